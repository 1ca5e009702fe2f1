package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/redistest"
)

// faultEnv is a testEnv whose app reaches Redis through a fault-injecting
// proxy; env.rdb goes around it, to see what Redis really holds.
func faultEnv(t *testing.T) (*testEnv, *redistest.FaultProxy) {
	t.Helper()
	env := &testEnv{rdb: testRedis(t), cfg: testConfig(t)}
	behind, proxy := redistest.Behind(t, env.rdb)
	env.app = newTestApp(t, env.cfg, behind)
	env.srv = startServer(t, env.app)
	env.b = newBrowser(t, env.srv)
	return env, proxy
}

// TestLateWriteIsAnsweredAsUnknown: a change whose SET Redis does not
// confirm in time is answered 503 outcome_unknown with no cookie, and the
// next page load shows that it did happen.
func TestLateWriteIsAnsweredAsUnknown(t *testing.T) {
	env, proxy := faultEnv(t)
	st := env.b.state()
	proxy.Inject(redistest.Fault{Command: "SET", KeyPrefix: env.cfg.KeyPrefix, Times: 2, Action: redistest.DelayCommand, Delay: 1200 * time.Millisecond})
	resp, body := env.b.post("/set", form("_csrf", st.CSRFToken, "name", "late", "value", "yes"), "Accept", "application/json")
	var e errorBody
	json.Unmarshal([]byte(body), &e)
	if resp.StatusCode != http.StatusServiceUnavailable || e.Code != "outcome_unknown" || len(resp.Header["Set-Cookie"]) != 0 {
		t.Fatalf("a late SET: %d %s, cookies %q; want 503 outcome_unknown and no cookie", resp.StatusCode, body, resp.Header["Set-Cookie"])
	}
	time.Sleep(1500 * time.Millisecond) // the SET lands meanwhile
	if again := env.b.state(); again.Values["late"] != "yes" {
		t.Errorf("after the late SET the page shows %v, want late=yes", again.Values)
	}
}

// TestStallUnderLoadLosesNoSession stalls Redis for two seconds while 24
// sessions rotate and load pages at once: every request is answered, none
// with a 500, and afterwards every session is still there under one of its
// IDs, the one its browser holds.
func TestStallUnderLoadLosesNoSession(t *testing.T) {
	if testing.Short() {
		t.Skip("stalls Redis for seconds: not with -short")
	}
	env, proxy := faultEnv(t)
	const sessions = 24
	browsers := make([]*browser, sessions)
	tokens := make([]string, sessions)
	for i := range browsers {
		browsers[i] = newBrowser(t, env.srv)
		tokens[i] = browsers[i].state().CSRFToken
	}
	proxy.Stall(2 * time.Second)
	var wg sync.WaitGroup
	statuses := make(chan int, 2*sessions)
	for i, b := range browsers {
		wg.Go(func() {
			started := time.Now()
			resp, _ := b.post("/rotate", form("_csrf", tokens[i]))
			if time.Since(started) > 4*time.Second {
				t.Errorf("a rotation took %v", time.Since(started))
			}
			statuses <- resp.StatusCode
		})
		wg.Go(func() {
			resp, _ := b.get("/")
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[http.StatusInternalServerError] > 0 || counts[0] > 0 {
		t.Errorf("answers during the stall: %v", counts)
	}
	t.Logf("answers during a 2 s stall: %v", counts)
	time.Sleep(2500 * time.Millisecond) // the stall ends, held writes land
	lost := 0
	for _, b := range browsers {
		id := b.cookie(env.cfg.CookieName)
		if id == "" || stored(t, env.rdb, env.cfg.KeyPrefix+id) == "" {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d sessions lost in the stall", lost, sessions)
	}
}
