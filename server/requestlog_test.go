package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"redis-session-demo/internal/redistest"
)

// TestRequestLog: one line per request with the matched route, the status
// the client got (errors included), the response size and the client
// address, and none of the secrets a request carries: no session ID,
// cookie value, CSRF token or query string.
func TestRequestLog(t *testing.T) {
	cfg := testConfig(t)
	app := newTestApp(t, cfg, testRedis(t))
	var out bytes.Buffer
	app.log = slog.New(slog.NewJSONHandler(&out, nil))

	type want struct {
		method, route string
		status        int
		client        string
	}
	var wants []want
	var sizes []int
	send := func(method, target, cookie, body, remote, xff string, w want) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code != w.status {
			t.Fatalf("%s %s: status %d, want %d", method, target, rec.Code, w.status)
		}
		wants, sizes = append(wants, w), append(sizes, rec.Body.Len())
		return rec
	}

	rec := send("GET", "/api/session", "", "", "10.1.2.3:5000", "198.51.100.7", want{"GET", "/api/session", 200, "198.51.100.7"})
	st := decodeState(t, rec.Body.String())
	cookie := cfg.CookieName + "=" + st.Cookie.Value
	id := strings.TrimPrefix(st.Redis.Key, cfg.KeyPrefix)
	const query = "q=query-secret"
	send("GET", "/?lang=ja&"+query, cookie, "", "10.1.2.3:5000", "198.51.100.7", want{"GET", "/", 200, "198.51.100.7"})
	send("POST", "/value?"+query, cookie, url.Values{"_csrf": {st.CSRFToken}}.Encode(), "10.1.2.3:5000", "198.51.100.7", want{"POST", "/value", 303, "198.51.100.7"})
	send("POST", "/set", cookie, url.Values{"_csrf": {"forged"}, "name": {"n"}, "value": {"v"}}.Encode(), "203.0.113.9:5000", "198.51.100.1",
		want{"POST", "/set", 403, "203.0.113.9"})
	send("GET", "/no/such/page?"+query, cookie, "", "203.0.113.9:5000", "", want{"GET", "", 404, "203.0.113.9"})
	send("DELETE", "/api/session", cookie, "", "[fd00::1]:5000", "", want{"DELETE", "/api/session", 405, "fd00::1"})

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("%d log lines for %d requests:\n%s", len(lines), len(wants), out.String())
	}
	for i, line := range lines {
		var got struct {
			Msg, Method, Route, Client string
			Status                     int
			Bytes                      int
			Duration                   *int64
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		w := wants[i]
		if got.Msg != "request" || got.Method != w.method || got.Route != w.route || got.Status != w.status ||
			got.Client != w.client || got.Bytes != sizes[i] || got.Duration == nil || *got.Duration <= 0 {
			t.Errorf("log line %s\nwant method %s route %q status %d client %s bytes %d and a duration",
				line, w.method, w.route, w.status, w.client, sizes[i])
		}
	}
	for name, secret := range map[string]string{
		"session ID": id, "cookie value": st.Cookie.Value, "CSRF token": st.CSRFToken,
		"query string": "query-secret", "language parameter": "lang=ja",
	} {
		if secret == "" {
			t.Fatalf("no %s to look for", name)
		}
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log holds the %s %q:\n%s", name, secret, out.String())
		}
	}
}

// TestMain keeps the request log of every test's app out of a failure's
// output, where it would bury the messages; -v shows it. Warnings and
// errors (such as a 5xx's cause) are shown either way.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	os.Exit(redistest.Main(m))
}
