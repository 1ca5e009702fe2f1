package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"redis-session-demo/internal/commandlog"
)

// TestFlashStoresOnlyThisAppsCookiesCapped: a POST's report to the next page
// never holds other cookies of the host, whatever their size, and stays
// under 4 KiB; the page shows how many there were, never a name or value.
func TestFlashStoresOnlyThisAppsCookiesCapped(t *testing.T) {
	env := newTestEnv(t)
	b := env.b
	st := b.state()
	var cookies []string
	for i := range 12 { // 12 KiB of another app's cookies, under the header limit
		cookies = append(cookies, fmt.Sprintf("other%02d=%s", i, strings.Repeat("S", 1000)))
	}
	other := strings.Join(cookies, "; ")
	for _, path := range []string{"/value", "/rotate"} {
		req, _ := http.NewRequest(http.MethodPost, b.base.String()+path, strings.NewReader(form("_csrf", st.CSRFToken).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", other) // the jar adds the session cookie
		resp, body := b.do(req)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, firstLine(body))
		}
		id := b.cookie(env.cfg.CookieName)
		stored := stored(t, env.rdb, "flash:"+env.cfg.KeyPrefix+id)
		if n := len(stored); n == 0 || n > maxFlashBytes {
			t.Errorf("%s: the flash holds %d bytes, want 1 to %d", path, n, maxFlashBytes)
		}
		t.Logf("%s with %d bytes of other cookies stored a %d-byte flash", path, len(other), len(stored))
		if strings.Contains(stored, "other0") || strings.Contains(stored, "SSSS") {
			t.Errorf("%s: the flash holds another app's cookie", path)
		}
		_, page := b.get(resp.Header.Get("Location"))
		if strings.Contains(page, "other0") || strings.Contains(page, "SSSS") {
			t.Errorf("%s: the page shows another app's cookie", path)
		}
		if !strings.Contains(page, "and 12 other cookie(s)") {
			t.Errorf("%s: the page does not say how many other cookies there were", path)
		}
		st = b.state()
	}
}

// TestNewSessionsAreLimitedPerClient drives the limit through the router: a
// client over it gets 429 with Retry-After and a stable code, nothing is
// stored, and requests of existing sessions go on.
func TestNewSessionsAreLimitedPerClient(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.NewSessionsPerMinute = 2 })
	visit := func(remote, cookie string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, "/api/session", nil)
		req.RemoteAddr = remote
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: env.cfg.CookieName, Value: cookie})
		}
		rec := httptest.NewRecorder()
		env.app.ServeHTTP(rec, req)
		return rec.Result()
	}
	for attempt := 0; ; attempt++ { // the count is per minute: redo a run that straddles one
		window := time.Now().Unix() / 60
		client := fmt.Sprintf("203.0.113.%d:4000", 10+attempt)
		first := visit(client, "")
		visit(client, "")
		keys := len(sessionKeys(t, env.rdb, env.cfg))
		over := visit(client, "")
		if time.Now().Unix()/60 != window && attempt < 2 {
			continue
		}
		var body errorBody
		json.NewDecoder(over.Body).Decode(&body)
		retry, _ := strconv.Atoi(over.Header.Get("Retry-After"))
		if over.StatusCode != http.StatusTooManyRequests || body.Code != "rate_limited" || retry < 1 || retry > 60 {
			t.Fatalf("third new session: %d %+v Retry-After %q, want 429 rate_limited within a minute", over.StatusCode, body, over.Header.Get("Retry-After"))
		}
		if n := len(sessionKeys(t, env.rdb, env.cfg)); n != keys || len(over.Cookies()) != 0 {
			t.Errorf("a refused request stored a session or set a cookie: %d keys, was %d", n, keys)
		}
		if again := visit(client, first.Cookies()[0].Value); again.StatusCode != http.StatusOK {
			t.Errorf("a visit of a live session was limited: %d", again.StatusCode)
		}
		if other := visit("198.51.100.1:4000", ""); other.StatusCode != http.StatusOK {
			t.Errorf("another client was limited: %d", other.StatusCode)
		}
		return
	}
}

func TestClientOfGroupsIPv6By64(t *testing.T) {
	app := newTestApp(t, testConfig(t), testRedis(t))
	for remote, want := range map[string]string{
		"203.0.113.9:1":            "203.0.113.9",
		"[2001:db8:1:2:aaaa::1]:1": "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::2]:1": "2001:db8:1:2::/64",
		"[::ffff:203.0.113.9]:1":   "203.0.113.9",
		"not an address":           "unknown",
	} {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = remote
		if got := app.clientOf(req); got != want {
			t.Errorf("%s: client %q, want %q", remote, got, want)
		}
	}
}

// TestSessionListIsBoundedAndShared: /sessions does a bounded scan, reused
// for a second, and a key of another type under the prefix breaks nothing.
func TestSessionListIsBoundedAndShared(t *testing.T) {
	env := newTestEnv(t)
	env.b.state()
	ctx := context.Background()
	foreign := env.cfg.KeyPrefix + strings.Repeat("F", 43)
	if err := env.rdb.Client.HSet(ctx, foreign, "field", "value").Err(); err != nil {
		t.Fatal(err)
	}
	env.rdb.Client.Expire(ctx, foreign, time.Minute)

	scans := func() int {
		logged, log := commandlog.WithLog(ctx)
		if _, err := env.app.sessionListing(logged); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range log.Commands() {
			if strings.HasPrefix(c.Command, "SCAN ") {
				n++
			}
		}
		return n
	}
	if n := scans(); n < 1 || n > maxScanCalls {
		t.Errorf("one listing sent %d SCANs, want 1 to %d", n, maxScanCalls)
	}
	if n := scans(); n != 0 {
		t.Errorf("a listing within a second of the last sent %d SCANs, want it reused", n)
	}
	resp, body := env.b.get("/sessions")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<strong>1 sessions under</strong>") {
		t.Errorf("/sessions with a hash under the prefix: %d %s", resp.StatusCode, firstLine(body))
	}
}

// TestUnusableStoredSessionGetsAFreshOne: whatever Redis holds under a
// session key that the app cannot use, a page load gets a fresh session
// (never a 500 or 503), and the key is left alone.
func TestUnusableStoredSessionGetsAFreshOne(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		put  func(key string)
	}{
		{"a hash", func(key string) {
			env.rdb.Client.Del(ctx, key)
			if err := env.rdb.Client.HSet(ctx, key, "f", "v").Err(); err != nil {
				t.Fatal(err)
			}
			env.rdb.Client.Expire(ctx, key, time.Minute)
		}},
		{"a number JSON cannot hold", func(key string) { env.rdb.Client.Set(ctx, key, `{"value":1e400}`, time.Minute) }},
		{"20 MB", func(key string) {
			env.rdb.Client.Set(ctx, key, `{"value":"`+strings.Repeat("x", 20<<20)+`"}`, time.Minute)
		}},
	} {
		b := newBrowser(t, env.srv)
		st := b.state()
		tc.put(st.Redis.Key)
		for _, path := range []string{"/", "/api/session"} {
			resp, body := b.get(path)
			if resp.StatusCode != http.StatusOK || len(body) > 1<<20 {
				t.Errorf("%s, %s: %d, %d bytes", tc.name, path, resp.StatusCode, len(body))
			}
		}
		if got := b.cookie(env.cfg.CookieName); got == st.Cookie.Value {
			t.Errorf("%s: the unusable session was kept", tc.name)
		}
		if n, _ := env.rdb.Client.Exists(ctx, st.Redis.Key).Result(); n != 1 {
			t.Errorf("%s: the key was deleted, want it left to its TTL", tc.name)
		}
	}
}

// TestSlowUploadIsNotARedisFailure: the Redis deadline starts once the body
// is read, so a form whose second half comes late is answered normally.
func TestSlowUploadIsNotARedisFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads a form over two seconds: not with -short")
	}
	env := newTestEnv(t)
	st := env.b.state()
	body := form("_csrf", st.CSRFToken, "name", "slow", "value", "upload").Encode()
	conn, err := net.Dial("tcp", env.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /set HTTP/1.1\r\nHost: app\r\nCookie: %s=%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		env.cfg.CookieName, st.Cookie.Value, len(body), body[:10])
	time.Sleep(requestTimeout + 200*time.Millisecond)
	fmt.Fprint(conn, body[10:])
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a slow upload got %d, want the 303 of a stored change", resp.StatusCode)
	}
	if v := redisValues(t, env.rdb.Client, st.Redis.Key); v["slow"] != "upload" {
		t.Errorf("Redis holds %v, want slow=upload", v)
	}
}
