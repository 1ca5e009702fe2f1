package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"redis-session-demo/internal/buildinfo"

	"redis-session-demo/internal/sessionstore"
)

func TestFirstVisitCreatesSessionInRedis(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, b := env.rdb, env.cfg, env.b

	resp, body := b.get("/api/session")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	c := setCookieHeader(resp, "web.engineer")
	if c == nil {
		t.Fatalf("no session cookie in %q", resp.Header["Set-Cookie"])
	}
	raw := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"Path=/", "Max-Age=120", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(raw, attr) {
			t.Errorf("Set-Cookie %q lacks %s", raw, attr)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("Set-Cookie %q is Secure outside production", raw)
	}

	st := decodeState(t, body)
	key := cfg.KeyPrefix + c.Value
	if st.Cookie.Value != c.Value || st.Redis.Key != key {
		t.Errorf("state names cookie %q and key %q, want %q and %q", st.Cookie.Value, st.Redis.Key, c.Value, key)
	}
	if !st.IsNew || st.CSRFToken == "" || st.Instance == "" {
		t.Errorf("is_new=%v csrf_token=%q instance=%q", st.IsNew, st.CSRFToken, st.Instance)
	}
	if _, ok := st.Values["value"].(float64); !ok || len(st.Values) != 1 {
		t.Errorf("values = %v, want one random number under value", st.Values)
	}
	got := stored(t, rdb, key)
	if got != st.Redis.Raw || st.Redis.Bytes != len(got) || st.Redis.Encoding != "json" {
		t.Errorf("Redis holds %q; state says raw %q, %d bytes, %s", got, st.Redis.Raw, st.Redis.Bytes, st.Redis.Encoding)
	}
	var decoded map[string]float64
	if err := json.Unmarshal([]byte(got), &decoded); err != nil || decoded["value"] != st.Values["value"] {
		t.Errorf("stored %q does not hold value %v as JSON", got, st.Values["value"])
	}
	ttl := rdb.Client.PTTL(context.Background(), key).Val()
	if ttl <= 110*time.Second || ttl > 120*time.Second || st.Redis.TTLms <= 110000 {
		t.Errorf("TTL in Redis %v, in state %d ms; want about 120 s", ttl, st.Redis.TTLms)
	}
	if keys := sessionKeys(t, rdb, cfg); len(keys) != 1 {
		t.Errorf("Redis holds %v, want one session key", keys)
	}
}

func TestProductionCookieIsSecure(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Production = true })
	cfg, b := env.cfg, env.b
	resp, _ := b.get("/")
	if c := setCookieHeader(resp, cfg.CookieName); c == nil || !c.Secure {
		t.Errorf("Set-Cookie %q: want Secure in production", resp.Header["Set-Cookie"])
	}
}

func TestRepeatVisitRenewsBothClocksWithoutRewriting(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, b := env.rdb, env.cfg, env.b
	first := b.state()
	ctx := context.Background()
	// A value written behind the app's back, with a TTL cut to 30 s, must
	// survive a read: a read renews the TTL but never writes the session back.
	rdb.Client.Set(ctx, first.Redis.Key, `{"value":0.5,"marker":"kept"}`, 30*time.Second)

	resp, body := b.get("/api/session")
	again := decodeState(t, body)
	if again.IsNew || again.Cookie.Value != first.Cookie.Value {
		t.Fatalf("second visit: is_new=%v id %q, want the first session %q", again.IsNew, again.Cookie.Value, first.Cookie.Value)
	}
	if got := stored(t, rdb, first.Redis.Key); got != `{"value":0.5,"marker":"kept"}` {
		t.Errorf("a read rewrote the session: Redis holds %q", got)
	}
	if again.Values["marker"] != "kept" || again.Values["value"] != 0.5 {
		t.Errorf("values = %v", again.Values)
	}
	if ttl := rdb.Client.PTTL(ctx, first.Redis.Key).Val(); ttl <= 110*time.Second {
		t.Errorf("TTL after a read = %v, want renewed to about 120 s", ttl)
	}
	if c := setCookieHeader(resp, cfg.CookieName); c == nil || c.MaxAge != 120 || c.Value != first.Cookie.Value {
		t.Errorf("read did not renew the cookie: %q", resp.Header["Set-Cookie"])
	}
}

func TestCookieRedisDoesNotHoldGetsFreshID(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, srv := env.rdb, env.cfg, env.srv
	wellFormed, _ := sessionstore.NewID()
	for _, tc := range []struct{ name, cookie string }{
		{"well-formed unknown ID", wellFormed},
		{"8 KiB", strings.Repeat("A", 8<<10)},
		{"star", "*"},
		{"dot dot", ".."},
		{"escaped NUL", "%00"},
		{"unicode", "セッション"},
		{"path", "../../etc/passwd"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, srv) // empty jar: the cookie goes raw in the header
			resp, body := b.get("/api/session", "Cookie", cfg.CookieName+"="+tc.cookie)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			st := decodeState(t, body)
			if !st.IsNew || st.Cookie.Value == tc.cookie || !sessionstore.ValidID(st.Cookie.Value) {
				t.Errorf("adopted or kept %q: state %+v", tc.cookie, st.Cookie)
			}
			if got := stored(t, rdb, cfg.KeyPrefix+tc.cookie); got != "" {
				t.Errorf("a key was written under the client's ID: %q", got)
			}
			if got := stored(t, rdb, st.Redis.Key); got == "" {
				t.Errorf("fresh session %s not in Redis", st.Redis.Key)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	env := newTestEnv(t)
	rdb, srv := env.rdb, env.srv
	victim := newBrowser(t, srv)
	st := victim.state()
	other := newBrowser(t, srv).state()

	for _, tc := range []struct {
		name   string
		form   []string
		header []string
		want   int
	}{
		{"missing", nil, nil, http.StatusForbidden},
		{"missing, same-origin fetch", nil, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusForbidden},
		{"wrong", []string{"_csrf", "wrong"}, nil, http.StatusForbidden},
		{"another session's", []string{"_csrf", other.CSRFToken}, nil, http.StatusForbidden},
		{"another session's header", nil, []string{"X-CSRF-Token", other.CSRFToken}, http.StatusForbidden},
		{"valid form field", []string{"_csrf", st.CSRFToken}, nil, http.StatusSeeOther},
		{"valid header", nil, []string{"X-CSRF-Token", st.CSRFToken}, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := stored(t, rdb, st.Redis.Key)
			resp, body := victim.post("/value", form(tc.form...), tc.header...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			after := stored(t, rdb, st.Redis.Key)
			if changed := before != after; changed != (tc.want == http.StatusSeeOther) {
				t.Errorf("Redis changed=%v: %q -> %q", changed, before, after)
			}
		})
	}

	t.Run("token in the query string only", func(t *testing.T) {
		resp, _ := victim.post("/value?_csrf="+st.CSRFToken, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})
	t.Run("no session cookie", func(t *testing.T) {
		resp, _ := newBrowser(t, srv).post("/destroy", form("_csrf", st.CSRFToken))
		if resp.StatusCode != http.StatusForbidden || stored(t, rdb, st.Redis.Key) == "" {
			t.Errorf("status %d, want 403 and the session kept", resp.StatusCode)
		}
	})
}

func TestEachButtonAsSeenInRedis(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, b := env.rdb, env.cfg, env.b
	st := b.state()
	token := st.CSRFToken
	post := func(path string, pairs ...string) {
		t.Helper()
		resp, body := b.post(path, form(append([]string{"_csrf", token}, pairs...)...))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?changed#result" {
			t.Fatalf("POST %s: status %d Location %q: %s", path, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	values := func(key string) map[string]any { return redisValues(t, rdb.Client, key) }

	post("/value")
	if v := values(st.Redis.Key); v["value"] == st.Values["value"] || v["value"] == nil {
		t.Errorf("after /value Redis holds %v, had %v", v, st.Values)
	}

	post("/set", "name", "colour", "value", "青")
	if v := values(st.Redis.Key); v["colour"] != "青" {
		t.Errorf("after /set Redis holds %v", v)
	}

	post("/delete", "name", "colour")
	if v := values(st.Redis.Key); len(v) != 1 || v["value"] == nil {
		t.Errorf("after /delete colour Redis holds %v", v)
	}

	post("/delete") // no name: the tutorial's variable, value
	if v := values(st.Redis.Key); v == nil || len(v) != 0 {
		t.Errorf("after /delete Redis holds %v, want an empty session", v)
	}
	if again := b.state(); again.IsNew || len(again.Values) != 0 {
		t.Errorf("a deleted value came back on GET: %+v", again)
	}

	post("/set", "name", "kept", "value", "yes")
	resp, _ := b.post("/rotate", form("_csrf", token))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	newID := b.cookie(cfg.CookieName)
	if newID == st.Cookie.Value || stored(t, rdb, st.Redis.Key) != "" {
		t.Errorf("rotate kept the old ID %q or its key", newID)
	}
	if v := values(cfg.KeyPrefix + newID); v["kept"] != "yes" {
		t.Errorf("rotated session holds %v", v)
	}
	if resp, _ := b.post("/value", form("_csrf", token)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("old token after rotate: status %d, want 403", resp.StatusCode)
	}
	token = b.state().CSRFToken

	resp, _ = b.post("/destroy", form("_csrf", token))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("destroy: %d", resp.StatusCode)
	}
	if c := setCookieHeader(resp, cfg.CookieName); c == nil || c.MaxAge >= 0 {
		t.Errorf("destroy did not expire the cookie: %q", resp.Header["Set-Cookie"])
	}
	if stored(t, rdb, cfg.KeyPrefix+newID) != "" || b.cookie(cfg.CookieName) != "" {
		t.Errorf("destroy left the key or the cookie")
	}
	if next := b.state(); !next.IsNew || next.Cookie.Value == newID {
		t.Errorf("after destroy the next visit did not start a new session: %+v", next.Cookie)
	}
}

func TestPostAnsweredAsJSON(t *testing.T) {
	env := newTestEnv(t)
	rdb, b := env.rdb, env.b
	token := b.state().CSRFToken

	resp, body := b.post("/set", form("name", "n", "value", "42"), "Accept", "application/json", "X-CSRF-Token", token)
	st := decodeState(t, body)
	if resp.StatusCode != http.StatusOK || st.Values["n"] != "42" || st.Redis.Raw != stored(t, rdb, st.Redis.Key) {
		t.Errorf("status %d, state %+v", resp.StatusCode, st)
	}
	resp, body = b.post("/destroy", nil, "Accept", "application/json", "X-CSRF-Token", token)
	var destroyed destroyedState
	if err := json.Unmarshal([]byte(body), &destroyed); err != nil || resp.StatusCode != http.StatusOK || !destroyed.Destroyed {
		t.Errorf("destroy: status %d body %s", resp.StatusCode, body)
	}
}

func TestInputLimits(t *testing.T) {
	env := newTestEnv(t)
	rdb, b := env.rdb, env.b
	st := b.state()
	set := func(name, value string) int {
		t.Helper()
		resp, _ := b.post("/set", form("_csrf", st.CSRFToken, "name", name, "value", value))
		return resp.StatusCode
	}

	for _, tc := range []struct {
		name, value string
		want        int
	}{
		{"", "x", http.StatusBadRequest},
		{strings.Repeat("n", 64), "x", http.StatusSeeOther},
		{strings.Repeat("n", 65), "x", http.StatusBadRequest},
		{"a-b_c.D9", "x", http.StatusSeeOther},
		{"has space", "x", http.StatusBadRequest},
		{"名前", "x", http.StatusBadRequest},
		{"<b>", "x", http.StatusBadRequest},
		{"empty", "", http.StatusSeeOther},
		{"full", strings.Repeat("v", 1024), http.StatusSeeOther},
		{"multibyte", strings.Repeat("値", 341), http.StatusSeeOther}, // 1023 bytes
		{"over", strings.Repeat("v", 1025), http.StatusBadRequest},
		{"over2", strings.Repeat("値", 342), http.StatusBadRequest}, // 1026 bytes
		{"badutf8", "\xff\xfe", http.StatusBadRequest},
	} {
		before := stored(t, rdb, st.Redis.Key)
		if got := set(tc.name, tc.value); got != tc.want {
			t.Errorf("set %q (%d bytes): status %d, want %d", tc.name, len(tc.value), got, tc.want)
		}
		if after := stored(t, rdb, st.Redis.Key); tc.want != http.StatusSeeOther && after != before {
			t.Errorf("a rejected set changed Redis: %q -> %q", before, after)
		}
	}

	// Fill up to exactly 32 variables, value included.
	now := b.state().Values
	for i := len(now); i < MaxVariables; i++ {
		if got := set("v"+strings.Repeat("x", i), "1"); got != http.StatusSeeOther {
			t.Fatalf("variable %d: status %d", i+1, got)
		}
	}
	full := stored(t, rdb, st.Redis.Key)
	rdb.Client.PExpire(context.Background(), st.Redis.Key, time.Minute)
	if got := set("one_too_many", "1"); got != http.StatusBadRequest {
		t.Errorf("33rd variable: status %d, want 400", got)
	}
	if ttl := rdb.Client.PTTL(context.Background(), st.Redis.Key).Val(); ttl > time.Minute {
		t.Errorf("a rejected change renewed the TTL to %v", ttl)
	}
	if got := stored(t, rdb, st.Redis.Key); got != full {
		t.Errorf("a rejected change wrote the session: %q, was %q", got, full)
	}
	if got := set("empty", "replaced"); got != http.StatusSeeOther {
		t.Errorf("replacing a variable at the limit: status %d, want 303", got)
	}
	if n := len(b.state().Values); n != MaxVariables {
		t.Errorf("session holds %d variables, want %d", n, MaxVariables)
	}
	if strings.Contains(stored(t, rdb, st.Redis.Key), "one_too_many") {
		t.Errorf("the 33rd variable was stored")
	}

	if resp, _ := b.post("/delete", form("_csrf", st.CSRFToken, "name", "bad name")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("delete with a bad name: status %d, want 400", resp.StatusCode)
	}
}

// TestConcurrentSetsAreNotLost sends 30 sets with distinct names to one
// session at once, through two app instances on one Redis, while plain page
// loads of the same session run beside them: all 30 must be kept.
func TestConcurrentSetsAreNotLost(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	first := newBrowser(t, startServer(t, newTestApp(t, cfg, rdb)))
	st := first.state()
	second := newBrowser(t, startServer(t, newTestApp(t, cfg, secondClient(t, rdb))))
	second.setCookie(cfg.CookieName, st.Cookie.Value)
	concurrentSets(t, rdb.Client, st.CSRFToken, st.Redis.Key, first, second)
}

func TestSessionExpires(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.MaxAge = 2 })
	rdb, cfg, b := env.rdb, env.cfg, env.b
	first := b.state()
	if first.Cookie.MaxAge != 2 || first.Redis.TTLms > 2000 || first.Redis.TTLms < 1000 {
		t.Fatalf("cookie Max-Age %d, TTL %d ms; want 2 s", first.Cookie.MaxAge, first.Redis.TTLms)
	}
	time.Sleep(2500 * time.Millisecond)
	if got := stored(t, rdb, first.Redis.Key); got != "" {
		t.Errorf("key still holds %q after its TTL", got)
	}
	// Send the dead cookie by hand, as a browser with a skewed clock would.
	b.setCookie(cfg.CookieName, first.Cookie.Value)
	if resp, _ := b.post("/value", form("_csrf", first.CSRFToken)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST to an expired session: status %d, want 403", resp.StatusCode)
	}
	if got := stored(t, rdb, first.Redis.Key); got != "" {
		t.Errorf("a POST revived the expired key: %q", got)
	}
	if next := b.state(); !next.IsNew || next.Cookie.Value == first.Cookie.Value {
		t.Errorf("an expired session was revived: %+v", next.Cookie)
	}
}

func TestTwoInstancesShareSessions(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	a := newTestApp(t, cfg, rdb)
	b := newTestApp(t, cfg, secondClient(t, rdb)) // same secret and prefix, own client
	b.instance = "second"
	srvA, srvB := startServer(t, a), startServer(t, b)

	visitor := newBrowser(t, srvA)
	st := visitor.state()
	// The same browser now reaches the other instance: same cookie.
	onB := newBrowser(t, srvB)
	onB.setCookie(cfg.CookieName, st.Cookie.Value)
	seen := onB.state()
	if seen.IsNew || seen.Cookie.Value != st.Cookie.Value || seen.Values["value"] != st.Values["value"] || seen.Instance != "second" {
		t.Fatalf("instance B saw %+v, want A's session", seen)
	}
	if resp, _ := onB.post("/set", form("_csrf", st.CSRFToken, "name", "from", "value", "B")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set on B: %d", resp.StatusCode)
	}
	if got := visitor.state(); got.Values["from"] != "B" {
		t.Errorf("A does not see B's change: %v", got.Values)
	}
	if resp, _ := onB.post("/destroy", form("_csrf", st.CSRFToken)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("destroy on B: %d", resp.StatusCode)
	}
	if got := visitor.state(); !got.IsNew {
		t.Errorf("A still serves the session B destroyed")
	}
}

func TestHealthChecksCreateNoSession(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, b := env.rdb, env.cfg, env.b
	want := fmt.Sprintf(`{"status":"ok","version":%q}`, buildinfo.Version())
	for _, path := range []string{ReadinessPath, LivenessPath} {
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != want {
			t.Errorf("%s: status %d body %s, want 200 %s", path, resp.StatusCode, body, want)
		}
		if len(resp.Header["Set-Cookie"]) != 0 || len(sessionKeys(t, rdb, cfg)) != 0 {
			t.Errorf("%s made a session: %q", path, resp.Header["Set-Cookie"])
		}
	}
}

// TestVersionIsShown: the build's version is in the JSON and the footer,
// so that a bug report can name the build.
func TestVersionIsShown(t *testing.T) {
	rdb := testRedis(t)
	b := newBrowser(t, startServer(t, newTestApp(t, testConfig(t), rdb)))
	if got := b.state().Version; got != buildinfo.Version() || got == "" {
		t.Errorf("/api/session version %q, want %q", got, buildinfo.Version())
	}
	_, page := b.get("/")
	if want := "<code>" + buildinfo.Version() + "</code>"; !strings.Contains(page, want) {
		t.Errorf("the footer does not show %s", want)
	}
}

// TestPageShowsWhatTheLastPostChanged follows each POST's 303 and expects the
// page to say what that POST did, once.
func TestPageShowsWhatTheLastPostChanged(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, b := env.rdb, env.cfg, env.b
	_, body := b.get("/")
	if !strings.Contains(body, "created one") {
		t.Errorf("first page does not say that it created the session")
	}
	token := b.state().CSRFToken
	for _, tc := range []struct {
		path string
		form []string
		want string
	}{
		{"/value", nil, "A new random number went into value."},
		{"/set", []string{"name", "colour", "value", "blue"}, "colour was stored."},
		{"/delete", []string{"name", "colour"}, "colour was deleted."},
		{"/delete", []string{"name", "colour"}, "There was no variable colour, so nothing was deleted"},
		{"/rotate", nil, "The session moved to a new ID"},
	} {
		resp, _ := b.post(tc.path, form(append([]string{"_csrf", token}, tc.form...)...))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", tc.path, resp.StatusCode)
		}
		if _, body := b.get(resp.Header.Get("Location")); !strings.Contains(body, tc.want) {
			t.Errorf("after POST %s the page does not say %q", tc.path, tc.want)
		}
		if _, body := b.get("/"); strings.Contains(body, tc.want) || strings.Contains(body, `class="result"`) {
			t.Errorf("the notice of POST %s is shown twice", tc.path)
		}
		token = b.state().CSRFToken
	}
	if keys, _ := scanKeys(context.Background(), rdb.Client, "flash:"+cfg.KeyPrefix+"*"); len(keys) != 0 {
		t.Errorf("flash keys left behind: %v", keys)
	}
}
