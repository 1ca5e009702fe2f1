package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"redis-session-demo/internal/expresstest"
	"redis-session-demo/internal/redistest"
	"redis-session-demo/internal/sessionstore"
	"redis-session-demo/server"
)

// The cross-stack tests: the tutorial's Express app (testdata/express, run
// by expresstest) and this app with SESSION_COMPAT=express share sessions
// in one real Redis. Both listen on 127.0.0.1 and one cookie jar serves
// both, as one browser would: cookies belong to a host, not to a port, so
// the two apps see the same web.engineer cookie.

// wantedSecret is the tutorial's secret, which both apps sign with unless a
// test says otherwise. (Outside production the Go app accepts a short one.)
const wantedSecret = "WANTEDSECRET"

// crossStack is one test's setting: the real Redis, a key prefix of the
// test's own given to every app it starts, and the shared cookie jar.
type crossStack struct {
	t        *testing.T
	redisURL string
	prefix   string
	rdb      redis.UniversalClient
	jar      *cookiejar.Jar
	client   *http.Client
}

// newCrossStack starts a parallel test on the real redis-server of
// TEST_REDIS_URL, which both stacks share: the point is to show them on the
// real thing. Without one the test skips, or fails under REQUIRE_REDIS=1.
func newCrossStack(t *testing.T) *crossStack {
	t.Helper()
	if testing.Short() {
		redistest.Skip(t, "starts the Express app under Node.js, which -short leaves out")
	}
	redisURL := redistest.ExternalURL(t, "the cross-stack tests need a real redis-server")
	t.Parallel()
	conn := redistest.Connect(t)
	// dev.blog-test-3f9a0c7e51d2: the tutorial's prefix, made the test's own,
	// glued to the ID as connect-redis does.
	prefix := "dev.blog-" + strings.TrimSuffix(redistest.Prefix(t), ":")
	t.Cleanup(func() {
		redistest.DeleteKeys(t, conn.Client, sessionstore.Keys{Prefix: prefix}.ACLPatterns()...)
	})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &crossStack{t: t, redisURL: redisURL, prefix: prefix, rdb: conn.Client, jar: jar,
		client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// goApp runs this app in Express mode on the test's Redis and prefix, with
// the tutorial's secret unless vars say otherwise, and returns its base URL
// on 127.0.0.1.
func (x *crossStack) goApp(vars map[string]string) string {
	x.t.Helper()
	env := map[string]string{
		"SESSION_COMPAT":          "express",
		"SESSION_SECRET":          wantedSecret,
		"REDIS_URL":               x.redisURL,
		"SESSION_KEY_PREFIX":      x.prefix,
		"RATE_LIMIT_NEW_SESSIONS": "0",
	}
	for k, v := range vars {
		env[k] = v
	}
	base, _, _ := startRun(x.t, env)
	// The same host as the Express app's URL, so the jar shares the cookie.
	return strings.Replace(base, "//localhost:", "//127.0.0.1:", 1)
}

// expressApp runs the tutorial's Express app on the test's Redis and
// prefix, with the tutorial's secret unless env says otherwise.
func (x *crossStack) expressApp(env map[string]string) string {
	x.t.Helper()
	all := map[string]string{"REDIS_URL": x.redisURL, "PREFIX": x.prefix, "SECRETS": wantedSecret}
	for k, v := range env {
		all[k] = v
	}
	return expresstest.Start(x.t, all).URL()
}

// expressState is what every route of the Express app answers.
type expressState struct {
	ID      string         `json:"id"`
	Value   any            `json:"value"` // float64, or nil when the session has none
	Session map[string]any `json:"session"`
}

// goState is the part of the Go app's /api/session (server.sessionState)
// these tests read.
type goState struct {
	ID     string `json:"session_id"`
	Cookie struct {
		Value string `json:"value"` // as sent: URL-encoded "s:<id>.<signature>"
	} `json:"cookie"`
	Redis struct {
		Key   string `json:"key"`
		TTLms int64  `json:"ttl_ms"`
	} `json:"redis"`
	Values    map[string]any `json:"values"`
	IsNew     bool           `json:"is_new"`
	CSRFToken string         `json:"csrf_token"`
}

// do sends a request through the shared jar and returns the response with
// its body read; anything but 200 fails the test.
func (x *crossStack) do(method, target string, form url.Values, header http.Header) (*http.Response, []byte) {
	x.t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(form.Encode()))
	if err != nil {
		x.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := x.client.Do(req)
	if err != nil {
		x.t.Fatalf("%s %s: %v", method, target, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		x.t.Fatalf("%s %s: %v", method, target, err)
	}
	if resp.StatusCode != http.StatusOK {
		x.t.Fatalf("%s %s: %d %s", method, target, resp.StatusCode, body)
	}
	return resp, body
}

func (x *crossStack) decode(body []byte, v any) {
	x.t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		x.t.Fatalf("%v in %s", err, body)
	}
}

// express sends GET path to the Express app; the response tells whether
// Express set a cookie.
func (x *crossStack) express(base, path string) (expressState, *http.Response) {
	x.t.Helper()
	resp, body := x.do(http.MethodGet, base+path, nil, nil)
	var st expressState
	x.decode(body, &st)
	return st, resp
}

// goSession is the Go app's GET /api/session.
func (x *crossStack) goSession(base string) goState {
	x.t.Helper()
	_, body := x.do(http.MethodGet, base+"/api/session", nil, nil)
	var st goState
	x.decode(body, &st)
	return st
}

// goPost sends a change to the Go app as a script does: the CSRF token in
// X-CSRF-Token, the answer as JSON.
func (x *crossStack) goPost(base, path, csrf string, form url.Values) []byte {
	x.t.Helper()
	_, body := x.do(http.MethodPost, base+path, form,
		http.Header{"X-Csrf-Token": {csrf}, "Accept": {"application/json"}})
	return body
}

// signedCookie is the session cookie the jar holds for the apps, URL-decoded:
// "s:<id>.<signature>", or "" when there is none.
func (x *crossStack) signedCookie(base string) string {
	x.t.Helper()
	u, _ := url.Parse(base)
	for _, c := range x.jar.Cookies(u) {
		if c.Name == server.DefaultCookieName {
			v, err := url.PathUnescape(c.Value)
			if err != nil {
				x.t.Fatalf("cookie %q: %v", c.Value, err)
			}
			return v
		}
	}
	return ""
}

// stored is the session id as Redis holds it, decoded; nil when there is
// no such key.
func (x *crossStack) stored(id string) map[string]any {
	x.t.Helper()
	raw, err := x.rdb.Get(context.Background(), x.prefix+id).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		x.t.Fatal(err)
	}
	var m map[string]any
	x.decode([]byte(raw), &m)
	return m
}

func setCookieHeaders(resp *http.Response) []string { return resp.Header.Values("Set-Cookie") }

// TestExpressSessionIsReadAndChangedByGo: a session Express made is the Go
// app's session too; a change made there is what Express then reads, under
// the same ID.
func TestExpressSessionIsReadAndChangedByGo(t *testing.T) {
	x := newCrossStack(t)
	express, goApp := x.expressApp(nil), x.goApp(nil)

	// The tutorial's GET /: Express makes the session and signs its cookie.
	made, _ := x.express(express, "/")
	if made.Value == nil || x.signedCookie(express) != sessionstore.Sign(made.ID, []byte(wantedSecret)) {
		t.Fatalf("Express made %+v with the cookie %q", made, x.signedCookie(express))
	}
	// The Go app reads it: same ID, same value.
	st := x.goSession(goApp)
	if st.IsNew || st.ID != made.ID || st.Values["value"] != made.Value {
		t.Fatalf("Go read id %s (new: %v) values %v; Express made id %s value %v", st.ID, st.IsNew, st.Values, made.ID, made.Value)
	}
	// The Go app changes it...
	var changed goState
	x.decode(x.goPost(goApp, "/set", st.CSRFToken, url.Values{"name": {"color"}, "value": {"blue"}}), &changed)
	if changed.ID != made.ID || changed.Values["color"] != "blue" {
		t.Fatalf("after POST /set on Go: id %s values %v", changed.ID, changed.Values)
	}
	// ...in the form Express stores: the cookie object is still there.
	raw := x.stored(made.ID)
	if cookie, _ := raw["cookie"].(map[string]any); raw["color"] != "blue" || raw["value"] != made.Value || cookie["originalMaxAge"] != 120000.0 {
		t.Errorf("Redis holds %v", raw)
	}
	// Express sees the change, in the same session: no new ID, no new cookie.
	seen, resp := x.express(express, "/state")
	if seen.ID != made.ID || seen.Value != made.Value || seen.Session["color"] != "blue" {
		t.Errorf("Express /state %+v: want id %s, value %v, color blue", seen, made.ID, made.Value)
	}
	if sc := setCookieHeaders(resp); len(sc) != 0 {
		t.Errorf("Express replaced the cookie: %q", sc)
	}
	if got := x.signedCookie(express); got != sessionstore.Sign(made.ID, []byte(wantedSecret)) {
		t.Errorf("the jar holds %q, want the same ID signed with the same secret", got)
	}
	// The tutorial's /session-delete on Express, seen by Go.
	x.express(express, "/session-delete")
	st = x.goSession(goApp)
	if _, has := st.Values["value"]; has || st.IsNew || st.ID != made.ID || st.Values["color"] != "blue" {
		t.Errorf("after Express's /session-delete Go reads id %s values %v", st.ID, st.Values)
	}
}

// TestExpressLoadsSessionMadeByGo: a session the Go app made (its cookie
// object included) is loaded by express-session as it is; what Express then
// changes, the Go app reads.
func TestExpressLoadsSessionMadeByGo(t *testing.T) {
	x := newCrossStack(t)
	express, goApp := x.expressApp(nil), x.goApp(nil)

	st := x.goSession(goApp)
	if !st.IsNew || len(st.ID) != 32 || x.signedCookie(goApp) != sessionstore.Sign(st.ID, []byte(wantedSecret)) {
		t.Fatalf("Go made id %q (new: %v), cookie %q: want an Express-style signed 32-character ID", st.ID, st.IsNew, x.signedCookie(goApp))
	}
	if shown, _ := url.PathUnescape(st.Cookie.Value); shown != x.signedCookie(goApp) {
		t.Errorf("/api/session shows the cookie %q, the jar holds %q", st.Cookie.Value, x.signedCookie(goApp))
	}
	seen, resp := x.express(express, "/state")
	if seen.ID != st.ID || seen.Value != st.Values["value"] {
		t.Fatalf("Express /state %+v; Go made id %s value %v", seen, st.ID, st.Values["value"])
	}
	if cookie, _ := seen.Session["cookie"].(map[string]any); cookie["originalMaxAge"] != 120000.0 || cookie["expires"] == nil {
		t.Errorf("express-session's cookie object %v, want the Go app's 2-minute cookie", seen.Session["cookie"])
	}
	if sc := setCookieHeaders(resp); len(sc) != 0 {
		t.Errorf("Express issued a cookie for an unchanged session: %q", sc)
	}
	// Express changes it; the Go app reads the change.
	resp, _ = x.do(http.MethodPost, express+"/set?name=lang&value=ja", nil, nil)
	if got := x.signedCookie(express); got != sessionstore.Sign(st.ID, []byte(wantedSecret)) {
		t.Errorf("after Express's /set the jar holds %q (Set-Cookie %q), want the same ID", got, setCookieHeaders(resp))
	}
	back := x.goSession(goApp)
	if back.IsNew || back.ID != st.ID || back.Values["lang"] != "ja" || back.Values["value"] != st.Values["value"] {
		t.Errorf("after Express's /set Go reads id %s (new: %v) values %v", back.ID, back.IsNew, back.Values)
	}
	if back.Redis.TTLms <= 0 || back.Redis.TTLms > 120_000 {
		t.Errorf("TTL %d ms, want at most the 2 minutes both apps give", back.Redis.TTLms)
	}
}

// TestExpressSeesDestroyByGo: after the Go app's POST /destroy the key is
// gone, so even a browser that kept the old cookie gets an empty session
// from Express.
func TestExpressSeesDestroyByGo(t *testing.T) {
	x := newCrossStack(t)
	express, goApp := x.expressApp(nil), x.goApp(nil)

	st := x.goSession(goApp)
	id := st.ID
	u, _ := url.Parse(goApp)
	old := x.jar.Cookies(u)
	if seen, _ := x.express(express, "/state"); seen.ID != id {
		t.Fatalf("Express /state id %s, want the Go app's %s", seen.ID, id)
	}
	var destroyed struct{ Destroyed bool }
	x.decode(x.goPost(goApp, "/destroy", st.CSRFToken, url.Values{}), &destroyed)
	if !destroyed.Destroyed || x.stored(id) != nil || x.signedCookie(goApp) != "" {
		t.Fatalf("after Go's /destroy: %+v, Redis holds %v, the jar %q", destroyed, x.stored(id), x.signedCookie(goApp))
	}
	x.jar.SetCookies(u, old)
	if seen, _ := x.express(express, "/state"); seen.ID == id || seen.Value != nil {
		t.Errorf("Express /state with the destroyed session's cookie: %+v", seen)
	}
}

// TestGoSeesDestroyByExpress: after the tutorial's req.session.destroy()
// the cookie is still in the browser, but the Go app finds no session
// under it and starts a new one.
func TestGoSeesDestroyByExpress(t *testing.T) {
	x := newCrossStack(t)
	express, goApp := x.expressApp(nil), x.goApp(nil)

	made, _ := x.express(express, "/")
	if st := x.goSession(goApp); st.ID != made.ID {
		t.Fatalf("Go read id %s, want Express's %s", st.ID, made.ID)
	}
	x.express(express, "/destroy")
	if raw := x.stored(made.ID); raw != nil {
		t.Fatalf("after Express's /destroy Redis holds %v", raw)
	}
	st := x.goSession(goApp)
	if !st.IsNew || st.ID == made.ID || len(st.ID) != 32 {
		t.Errorf("after Express's /destroy Go reads id %s (new: %v), want a new session", st.ID, st.IsNew)
	}
	if seen, _ := x.express(express, "/state"); seen.ID != st.ID {
		t.Errorf("Express /state id %s, want the Go app's new session %s", seen.ID, st.ID)
	}
}

// TestExpressWrongSecretIsRefused: a cookie signed with another secret is
// no cookie at all, on either side, and the session it names is left alone.
func TestExpressWrongSecretIsRefused(t *testing.T) {
	x := newCrossStack(t)
	express, goApp := x.expressApp(nil), x.goApp(nil)
	wrongExpress, wrongGo := x.expressApp(map[string]string{"SECRETS": "wrong"}), x.goApp(map[string]string{"SESSION_SECRET": "wrong"})

	// Express's cookie: the Go app with the right secret reads it, the one
	// with the wrong secret starts a session of its own.
	made, _ := x.express(express, "/")
	if st := x.goSession(goApp); st.ID != made.ID {
		t.Fatalf("Go with the right secret read id %s, want %s", st.ID, made.ID)
	}
	if st := x.goSession(wrongGo); !st.IsNew || st.ID == made.ID {
		t.Errorf("Go with the wrong secret read id %s (new: %v) from Express's cookie for %s", st.ID, st.IsNew, made.ID)
	}
	if raw := x.stored(made.ID); raw["value"] != made.Value {
		t.Errorf("Express's session now holds %v", raw)
	}

	// The Go app's cookie: Express with the right secret reads it, the one
	// with the wrong secret gives an empty session of its own.
	st := x.goSession(goApp)
	if seen, _ := x.express(express, "/state"); seen.ID != st.ID {
		t.Fatalf("Express with the right secret read id %s, want %s", seen.ID, st.ID)
	}
	if seen, _ := x.express(wrongExpress, "/state"); seen.ID == st.ID || seen.Value != nil {
		t.Errorf("Express with the wrong secret read %+v from the Go app's cookie for %s", seen, st.ID)
	}
	if raw := x.stored(st.ID); raw["value"] != st.Values["value"] {
		t.Errorf("the Go app's session now holds %v", raw)
	}
}

// TestExpressSecretRotation: Express signed with the old secret; the Go app
// whose SESSION_SECRET is new and SESSION_SECRET_PREVIOUS the old reads
// the session and re-signs the cookie with the new secret, which an Express
// app with SECRETS=new,old reads and one with only the old secret no longer
// does.
func TestExpressSecretRotation(t *testing.T) {
	const newSecret = "newsecret-4f1c9a7e2b6d8035"
	x := newCrossStack(t)
	oldExpress := x.expressApp(nil)
	rotatedGo := x.goApp(map[string]string{"SESSION_SECRET": newSecret, "SESSION_SECRET_PREVIOUS": wantedSecret})
	rotatedExpress := x.expressApp(map[string]string{"SECRETS": newSecret + "," + wantedSecret})

	made, _ := x.express(oldExpress, "/")
	if got := x.signedCookie(oldExpress); got != sessionstore.Sign(made.ID, []byte(wantedSecret)) {
		t.Fatalf("Express's cookie %q, want %s signed with the old secret", got, made.ID)
	}
	st := x.goSession(rotatedGo)
	if st.IsNew || st.ID != made.ID || st.Values["value"] != made.Value {
		t.Fatalf("the rotated Go app read id %s (new: %v) values %v; Express made %s %v", st.ID, st.IsNew, st.Values, made.ID, made.Value)
	}
	if got := x.signedCookie(rotatedGo); got != sessionstore.Sign(made.ID, []byte(newSecret)) {
		t.Errorf("the rotated Go app left the cookie %q, want %s signed with the new secret", got, made.ID)
	}
	if seen, _ := x.express(rotatedExpress, "/state"); seen.ID != made.ID || seen.Value != made.Value {
		t.Errorf("Express with SECRETS=new,old read %+v, want id %s value %v", seen, made.ID, made.Value)
	}
	if seen, _ := x.express(oldExpress, "/state"); seen.ID == made.ID {
		t.Errorf("Express with only the old secret still read the re-signed cookie")
	}
}

// TestExpressFollowsRotationByGo: the Go app's POST /rotate moves the
// values to a new ID and deletes the old key; Express then loads the new
// session from the new cookie, values included.
func TestExpressFollowsRotationByGo(t *testing.T) {
	x := newCrossStack(t)
	express, goApp := x.expressApp(nil), x.goApp(nil)

	made, _ := x.express(express, "/")
	st := x.goSession(goApp)
	var rotated goState
	x.decode(x.goPost(goApp, "/rotate", st.CSRFToken, url.Values{}), &rotated)
	if rotated.ID == made.ID || len(rotated.ID) != 32 || x.stored(made.ID) != nil {
		t.Fatalf("after Go's /rotate: id %s (was %s), the old key holds %v", rotated.ID, made.ID, x.stored(made.ID))
	}
	if seen, _ := x.express(express, "/state"); seen.ID != rotated.ID || seen.Value != made.Value {
		t.Errorf("Express /state %+v after Go's /rotate, want id %s value %v", seen, rotated.ID, made.Value)
	}
}
