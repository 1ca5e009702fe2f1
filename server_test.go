package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/redistest"
)

// lockedBuffer collects what run prints while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningLine = regexp.MustCompile(`listening on (http://localhost:\d+)`)

// startRun runs the app as main does, on a free port, and returns its base
// URL and a function that stops it and returns run's error.
func startRun(t *testing.T, vars map[string]string) (string, *lockedBuffer, func() error) {
	t.Helper()
	vars["PORT"] = "0"
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return vars[k] }, out) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Error("run did not return after cancel")
			return nil
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := listeningLine.FindStringSubmatch(out.String()); m != nil {
			t.Cleanup(func() { stop() })
			return m[1], out, stop
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("run printed no address:\n%s", out)
		}
	}
}

func TestRunServesWithEmbeddedRedis(t *testing.T) {
	base, out, stop := startRun(t, map[string]string{})
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "embedded Redis") {
		t.Errorf("GET /: %d, embedded badge shown: %v", resp.StatusCode, strings.Contains(string(body), "embedded Redis"))
	}
	// The session's cookie, and the Express twin's remembered expiry.
	if c := resp.Cookies(); len(c) != 2 || c[0].Name != "web.engineer" || c[1].Name != "twin" {
		t.Errorf("cookies %v, want web.engineer and twin", c)
	}
	printed := out.String()
	for _, want := range []string{"embedded Redis (miniredis) on 127.0.0.1:", "redis-cli -h 127.0.0.1 -p ", "--scan --pattern 'dev.blog:*'", "SESSION_SECRET is not set"} {
		if !strings.Contains(printed, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, printed)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("still serving after shutdown")
	}
}

func TestRunUsesRedisURL(t *testing.T) {
	url := redistest.ExternalURL(t, "this test runs against a real redis-server only")
	base, out, _ := startRun(t, map[string]string{"REDIS_URL": url, "SESSION_KEY_PREFIX": "test-run:"})
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(out.String(), "embedded") || !strings.Contains(out.String(), "answers PING") {
		t.Errorf("healthz %d; output:\n%s", resp.StatusCode, out)
	}
}

// TestRunSaysWhenRedisIsUnreachable: with an external Redis that does not
// answer, the start says so, without the password, and names the redis-cli
// line to look with; the app serves its 503 meanwhile.
func TestRunSaysWhenRedisIsUnreachable(t *testing.T) {
	base, out, _ := startRun(t, map[string]string{"REDIS_URL": "redis://app:s3cret-pass@127.0.0.1:1/0"})
	printed := out.String()
	for _, want := range []string{"redis://app:xxxxx@127.0.0.1:1/0", "does NOT answer", "redis-cli -h 127.0.0.1 -p 1 --user app --askpass --scan --pattern 'dev.blog:*'"} {
		if !strings.Contains(printed, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, printed)
		}
	}
	if strings.Contains(printed, "s3cret-pass") {
		t.Errorf("start-up output shows the password:\n%s", printed)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET / with Redis unreachable: %d, want 503", resp.StatusCode)
	}
}

// TestRunLogsRequests: run sets the log that the request log goes to: text
// for a person in development, JSON in production.
func TestRunLogsRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"development", map[string]string{}, `level=INFO msg=request method=GET route=/livez status=200 duration=`},
		{"production", map[string]string{"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("s", 32)},
			`"level":"INFO","msg":"request","method":"GET","route":"/livez","status":200,"duration":`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, out, stop := startRun(t, tc.vars)
			resp, err := http.Get(base + "/livez?token=query-secret")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if printed := out.String(); !strings.Contains(printed, tc.want) || strings.Contains(printed, "query-secret") {
				t.Errorf("output lacks %s or holds the query string:\n%s", tc.want, printed)
			}
		})
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	err := run(context.Background(), func(k string) string {
		return map[string]string{"APP_ENV": "production", "PORT": "x", "SESSION_MAX_AGE": "-1"}[k]
	}, io.Discard)
	if err == nil {
		t.Fatal("run started with a bad configuration")
	}
	for _, want := range []string{"SESSION_SECRET", "PORT", "SESSION_MAX_AGE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
