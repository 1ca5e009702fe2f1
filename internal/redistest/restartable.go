package redistest

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// RestartableServer is a Redis server a test can stop and start again on the
// same port, to make an outage: a redis-server process when one is
// installed, else miniredis in this process.
type RestartableServer struct {
	// Miniredis reports that the server is miniredis because redis-server
	// is not installed. miniredis keeps its data across a restart; the
	// redis-server process keeps nothing, so it comes back empty.
	Miniredis bool

	t    testing.TB
	addr string // kept: miniredis's Addr panics while it is stopped
	proc *Process
	mini *miniredis.Miniredis
}

// Restartable starts a server that Stop and Start take down and bring back.
// Without redis-server it falls back to miniredis (and fails the test under
// REQUIRE_REDIS=1). Unlike NeedServer it runs with -short too: one process
// starts in a few milliseconds.
func Restartable(t testing.TB) *RestartableServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if required() {
			t.Fatalf("REQUIRE_REDIS=1 but redis-server is not installed: %v", err)
		}
		t.Log("redis-server not installed: stopping and restarting the embedded server instead")
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		return &RestartableServer{Miniredis: true, t: t, addr: m.Addr(), mini: m}
	}
	s := &Servers{Server: path, Dir: t.TempDir(), t: t}
	p := s.Start("redis", TCPPort, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
	}, PingTCP)
	return &RestartableServer{t: t, addr: p.Addr(), proc: p}
}

// Addr is the server's loopback address, "127.0.0.1:port"; it stays the same
// across restarts.
func (r *RestartableServer) Addr() string { return r.addr }

// URL is the server's redis:// URL.
func (r *RestartableServer) URL() string { return "redis://" + r.Addr() }

// Stop takes the server down; its clients' connections drop.
func (r *RestartableServer) Stop() {
	r.t.Helper()
	if r.mini != nil {
		r.mini.Close()
		return
	}
	r.proc.Stop()
}

// Start brings the stopped server back on the same port and waits until it
// answers.
func (r *RestartableServer) Start() {
	r.t.Helper()
	if r.mini != nil {
		if err := r.mini.Restart(); err != nil {
			r.t.Fatal(err)
		}
		return
	}
	r.proc.Restart()
}
