package server

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/redisconn"
	"redis-session-demo/internal/redistest"
)

// TestRedisOutageAnswers503ThenRecovers stops Redis under a running app,
// expects clear 503s within 2 s that change nothing, then starts Redis again
// and expects the same app to serve sessions without a restart.
func TestRedisOutageAnswers503ThenRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and restarts Redis: not with -short")
	}
	server := redistest.Restartable(t)
	rdb, err := redisconn.Connect(redisconn.Settings{URL: server.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	cfg := testConfig(t)
	b := newBrowser(t, startServer(t, newTestApp(t, cfg, rdb)))
	st := b.state()

	server.Stop()
	for _, tc := range []struct {
		name, method, path, accept string
		wantText                   string
	}{
		{"page", "GET", "/", "", "Redis cannot be reached"},
		{"API", "GET", "/api/session", "", `{"error":"Redis cannot be reached`},
		{"readiness", "GET", "/healthz", "", `{"status":"unavailable","error":"Redis cannot be reached right now. The app keeps trying; reload in a moment.","code":"redis_unavailable"}`},
		{"change", "POST", "/value", "", "Redis cannot be reached"},
		{"change, JSON", "POST", "/set", "application/json", `"code":"redis_unavailable"`},
		{"rotate", "POST", "/rotate", "", "Redis cannot be reached"},
		{"destroy", "POST", "/destroy", "", "Redis cannot be reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started := time.Now()
			var resp *http.Response
			var body string
			if tc.method == "GET" {
				resp, body = b.get(tc.path, "Accept", tc.accept)
			} else {
				resp, body = b.post(tc.path, form("_csrf", st.CSRFToken, "name", "n", "value", "v"), "Accept", tc.accept)
			}
			if elapsed := time.Since(started); elapsed > 2*time.Second {
				t.Errorf("answered after %v, want within 2 s", elapsed)
			}
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, tc.wantText) {
				t.Errorf("status %d, body %q; want 503 with %q", resp.StatusCode, firstLine(body), tc.wantText)
			}
			if len(resp.Header["Set-Cookie"]) != 0 {
				t.Errorf("a failed request set %q", resp.Header["Set-Cookie"])
			}
		})
	}
	// Liveness asks Redis nothing: a platform that restarts on it leaves
	// the app alone during the outage, and the learner sees its 503 page.
	if resp, body := b.get("/livez"); resp.StatusCode != http.StatusOK {
		t.Errorf("/livez during the outage: %d %s, want 200", resp.StatusCode, body)
	}
	if got := b.cookie(cfg.CookieName); got != st.Cookie.Value {
		t.Errorf("the outage changed the browser's cookie to %q", got)
	}

	server.Start()
	var recovered sessionState
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, body := b.get("/api/session")
		if resp.StatusCode == http.StatusOK {
			recovered = decodeState(t, body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("app did not recover after Redis came back: %d %s", resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if server.Miniredis {
		// miniredis kept the data: the session and its value are unchanged.
		if recovered.IsNew || recovered.Values["value"] != st.Values["value"] || len(recovered.Values) != 1 {
			t.Errorf("after the outage the session is %+v, want it unchanged: %v", recovered, st.Values)
		}
	} else if !recovered.IsNew {
		t.Errorf("redis-server kept nothing on disk, yet the old session was found")
	}
	if resp, body := b.get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz after recovery: %d %s", resp.StatusCode, body)
	}
}

// TestSilentRedisNeverHangs points the app at a server that accepts
// connections and never answers, the worst case of an unreachable Redis.
func TestSilentRedisNeverHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out Redis timeouts: not with -short")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn) // held open, never read or answered
			mu.Unlock()
		}
	}()
	rdb, err := redisconn.Connect(redisconn.Settings{URL: "redis://" + l.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	b := newBrowser(t, startServer(t, newTestApp(t, testConfig(t), rdb)))
	for _, path := range []string{"/", "/api/session", "/healthz"} {
		started := time.Now()
		resp, _ := b.get(path)
		if elapsed := time.Since(started); resp.StatusCode != http.StatusServiceUnavailable || elapsed > 2*time.Second {
			t.Errorf("GET %s: status %d after %v, want 503 within 2 s", path, resp.StatusCode, elapsed)
		}
	}
}
