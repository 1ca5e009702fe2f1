package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/redisconn"
	"redis-session-demo/internal/redistest"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// testRedis is the Redis the tests run against: TEST_REDIS_URL when it is
// set (a real redis-server in CI), else the embedded server, so that
// `go test ./...` passes anywhere.
func testRedis(t testing.TB) *redisconn.Conn { return redistest.Connect(t) }

// testConfig is the default configuration with a key prefix of its own, so
// that tests sharing one Redis never see each other's keys.
func testConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeyPrefix = redistest.Prefix(t)
	return cfg
}

// newTestApp builds the app on rdb with the real templates and static files,
// and deletes every key it wrote when the test ends.
func newTestApp(t testing.TB, cfg Config, rdb *redisconn.Conn) *App {
	t.Helper()
	app, err := New(cfg, rdb, Files{Templates: os.DirFS("../templates"), Static: os.DirFS("../static"), Source: os.DirFS("..")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { redistest.DeleteKeys(t, rdb.Client, cfg.Keys().ACLPatterns()...) })
	app.echo.Renderer = checkedRenderer{app.echo.Renderer.(*renderer), t}
	return app
}

// checkedRenderer renders every page of a test twice, through htmlexec (as
// the app does) and through html/template itself, and fails the test when
// the two differ by a byte: every page the tests ask for, with all their
// hostile input, checks the compiled templates.
type checkedRenderer struct {
	*renderer
	t testing.TB
}

func (c checkedRenderer) Render(w io.Writer, name string, data any, ctx echo.Context) error {
	var got bytes.Buffer
	err := c.renderer.Render(&got, name, data, ctx)
	p, lookupErr := c.page(name, data)
	if lookupErr != nil {
		return lookupErr
	}
	var want bytes.Buffer
	wantErr := p.tmpl.ExecuteTemplate(&want, "layout", data)
	switch {
	case (err == nil) != (wantErr == nil):
		c.t.Errorf("page %s: htmlexec's error %v, html/template's %v", name, err, wantErr)
	case err == nil && !bytes.Equal(got.Bytes(), want.Bytes()):
		at := 0
		for at < min(got.Len(), want.Len()) && got.Bytes()[at] == want.Bytes()[at] {
			at++
		}
		c.t.Errorf("page %s: htmlexec's output differs from html/template's at byte %d:\n htmlexec: %.200q\n template: %.200q",
			name, at, got.Bytes()[at:], want.Bytes()[at:])
	}
	if err != nil {
		return err
	}
	_, err = got.WriteTo(w)
	return err
}

// testEnv is the usual set-up of a test: a Redis, a configuration of the
// test's own, the app on them served over a real listener, and a browser
// with a cookie jar talking to it.
type testEnv struct {
	rdb *redisconn.Conn
	cfg Config
	app *App
	srv *httptest.Server
	b   *browser
}

// newTestEnv builds a testEnv; configure, if given, edits the configuration
// before the app is built.
func newTestEnv(t testing.TB, configure ...func(*Config)) *testEnv {
	t.Helper()
	env := &testEnv{rdb: testRedis(t), cfg: testConfig(t)}
	for _, edit := range configure {
		edit(&env.cfg)
	}
	env.app = newTestApp(t, env.cfg, env.rdb)
	env.srv = startServer(t, env.app)
	env.b = newBrowser(t, env.srv)
	return env
}

func scanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var keys []string
	err := redisconn.ScanKeys(ctx, rdb, pattern, func(key string) { keys = append(keys, key) })
	return keys, err
}

// redisValues reads the session JSON Redis holds under key through c; nil
// when there is no such key.
func redisValues(t *testing.T, c redis.Cmdable, key string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := c.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		t.Fatalf("GET %s: %q is not a JSON object: %v", key, raw, err)
	}
	return values
}

// sessionKeys lists the session keys under the app's prefix.
func sessionKeys(t testing.TB, rdb *redisconn.Conn, cfg Config) []string {
	t.Helper()
	keys, err := scanKeys(context.Background(), rdb.Client, cfg.Keys().Pattern())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// stored returns the bytes Redis holds under key, or "" when it holds none.
func stored(t testing.TB, rdb *redisconn.Conn, key string) string {
	t.Helper()
	v, err := rdb.Client.Get(context.Background(), key).Result()
	if err == redis.Nil {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see each 303.
type browser struct {
	t      testing.TB
	server *httptest.Server
	base   *url.URL
	client *http.Client
}

// srv is the server this browser talks to.
func (b *browser) srv() *httptest.Server { return b.server }

func newBrowser(t testing.TB, srv *httptest.Server) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(srv.URL)
	return &browser{t: t, server: srv, base: base, client: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func startServer(t testing.TB, app *App) *httptest.Server {
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request and returns the response with its body read.
func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string, header ...string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base.String()+path, nil)
	setHeaders(req, header)
	return b.do(req)
}

// post sends form as a browser form would; header holds name, value pairs.
func (b *browser) post(path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base.String()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	setHeaders(req, header)
	return b.do(req)
}

func setHeaders(req *http.Request, header []string) {
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
}

// state fetches /api/session.
func (b *browser) state() sessionState {
	b.t.Helper()
	resp, body := b.get("/api/session")
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET /api/session: status %d: %s", resp.StatusCode, body)
	}
	return decodeState(b.t, body)
}

func decodeState(t testing.TB, body string) sessionState {
	t.Helper()
	var st sessionState
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return st
}

// cookie returns the session cookie in the jar, or "".
func (b *browser) cookie(name string) string {
	for _, c := range b.client.Jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie into the jar, as a forged or stale one would be.
func (b *browser) setCookie(name, value string) {
	b.client.Jar.SetCookies(b.base, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// form is url.Values from name, value pairs.
func form(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}

// setCookieHeader returns the Set-Cookie of the named cookie in resp.
func setCookieHeader(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// secondClient connects a second client to the server rdb talks to, as a
// second app instance would.
func secondClient(t testing.TB, rdb *redisconn.Conn) *redisconn.Conn {
	t.Helper()
	if !rdb.Embedded {
		return testRedis(t)
	}
	c := redisconn.NewClient(&redis.Options{Addr: rdb.Addr()})
	t.Cleanup(func() { c.Close() })
	return &redisconn.Conn{Client: c, Embedded: true, CLI: rdb.CLI}
}

// env is a getenv over a map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// firstLine shortens a response body for a failure message.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// concurrentSets sends 30 sets with distinct names to one session at once,
// alternating between the given app instances, with a plain page load of
// the same session beside each, and checks through rdb that all 30 are
// stored: no change may overwrite another.
func concurrentSets(t *testing.T, rdb redis.Cmdable, token, key string, instances ...*browser) {
	t.Helper()
	const writers = 30
	var wg sync.WaitGroup
	errs := make(chan string, 2*writers)
	for i := range writers {
		b := instances[i%len(instances)]
		wg.Go(func() {
			name := fmt.Sprintf("var%02d", i)
			resp, body := b.post("/set", form("_csrf", token, "name", name, "value", name))
			if resp.StatusCode != http.StatusSeeOther {
				errs <- name + ": " + resp.Status + " " + firstLine(body)
			}
		})
		wg.Go(func() {
			if resp, _ := b.get("/"); resp.StatusCode != http.StatusOK {
				errs <- "GET /: " + resp.Status
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	values := redisValues(t, rdb, key)
	for i := range writers {
		if name := fmt.Sprintf("var%02d", i); values[name] != name {
			t.Errorf("%s lost: Redis holds %d variables", name, len(values))
		}
	}
}
