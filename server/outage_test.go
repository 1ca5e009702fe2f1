package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// restartableRedis is a Redis server a test can stop and start again on the
// same port: a real redis-server process when one is installed, else
// miniredis (which keeps its data across a restart; redis-server here keeps
// nothing on disk).
type restartableRedis struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
	mini *miniredis.Miniredis
}

func startRestartableRedis(t testing.TB) *restartableRedis {
	t.Helper()
	r := &restartableRedis{t: t}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("REQUIRE_REDIS") == "1" {
			t.Fatalf("REQUIRE_REDIS=1 but redis-server is not installed: %v", err)
		}
		t.Log("redis-server not installed: stopping and restarting the embedded server instead")
		r.mini = miniredis.NewMiniRedis()
		if err := r.mini.StartAddr("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		fmt.Sscan(r.mini.Port(), &r.port)
		t.Cleanup(r.mini.Close)
		return r
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *restartableRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d", r.port) }

func (r *restartableRedis) start() {
	r.t.Helper()
	if r.mini != nil {
		if err := r.mini.Restart(); err != nil {
			r.t.Fatal(err)
		}
		return
	}
	r.cmd = exec.Command("redis-server", "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			r.t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *restartableRedis) stop() {
	if r.mini != nil {
		r.mini.Close()
		return
	}
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// TestRedisOutageAnswers503ThenRecovers stops Redis under a running app,
// expects clear 503s within 2 s that change nothing, then starts Redis again
// and expects the same app to serve sessions without a restart.
func TestRedisOutageAnswers503ThenRecovers(t *testing.T) {
	server := startRestartableRedis(t)
	rdb, err := ConnectRedis(RedisSettings{URL: server.url()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	cfg := testConfig(t)
	b := newBrowser(t, startServer(t, newTestApp(t, cfg, rdb)))
	st := b.state()

	server.stop()
	for _, tc := range []struct {
		name, method, path, accept string
		wantText                   string
	}{
		{"page", "GET", "/", "", "Redis cannot be reached"},
		{"API", "GET", "/api/session", "", `{"error":"Redis cannot be reached`},
		{"readiness", "GET", "/healthz", "", `"status":"unavailable"`},
		{"change", "POST", "/value", "", "Redis cannot be reached"},
		{"change, JSON", "POST", "/set", "application/json", `{"error":"Redis cannot be reached`},
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

	server.start()
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
	if server.mini != nil {
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
	rdb, err := ConnectRedis(RedisSettings{URL: "redis://" + l.Addr().String()})
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
