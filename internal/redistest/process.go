package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Servers starts redis-server processes for one test, all under one
// temporary directory. Each process listens on loopback only, keeps nothing
// on disk and is killed when the test ends.
type Servers struct {
	// Server and CLI are the paths of redis-server and redis-cli.
	Server, CLI string
	// Dir is the test's temporary directory: the processes' working
	// directory and the place of their logs and of any files a test writes
	// for them, such as certificates or a sentinel's config.
	Dir string

	t testing.TB
}

// NeedServer finds redis-server and redis-cli, or skips the test (fails it
// under REQUIRE_REDIS=1) when they are not installed. It also skips the test
// with -short: starting processes makes a test slow.
func NeedServer(t testing.TB) *Servers {
	t.Helper()
	if testing.Short() {
		Skip(t, "starts redis-server processes, which -short leaves out")
	}
	s := &Servers{t: t}
	for _, b := range []struct {
		name string
		path *string
	}{{"redis-server", &s.Server}, {"redis-cli", &s.CLI}} {
		p, err := exec.LookPath(b.name)
		if err != nil {
			if required() {
				t.Fatalf("REQUIRE_REDIS=1 but %s is not installed: %v", b.name, err)
			}
			Skip(t, "install Debian's redis-server package (redis-server and redis-cli) to run this test")
		}
		*b.path = p
	}
	s.Dir = t.TempDir()
	return s
}

// keepNothing are the arguments every process gets: no RDB snapshots, no
// AOF, and a working directory of the test's own.
func (s *Servers) keepNothing() []string {
	return []string{"--save", "", "--appendonly", "no", "--dir", s.Dir}
}

// PortNeed says what kind of free port a process needs.
type PortNeed int

const (
	// NoPort is for a process that listens on no TCP port Start picks, such
	// as one on a unix socket only; its args and ready get port 0.
	NoPort PortNeed = iota
	// TCPPort is one free loopback port.
	TCPPort
	// ClusterPort is a free loopback port whose port+10000 (the cluster bus)
	// is free too.
	ClusterPort
)

// Process is one redis-server a test started. Call its methods from the
// goroutine of the test that started it.
type Process struct {
	// Name names the process in logs and failure messages.
	Name string
	// Port is the TCP port Start picked, or 0 for NoPort.
	Port int

	servers *Servers
	args    []string // the full command line after the program
	ready   func(ctx context.Context, port int) error
	log     string        // file with its stdout and stderr, of every run
	cmd     *exec.Cmd     // the current run
	exited  chan struct{} // closed once the current run has been waited for
}

// Start runs redis-server with args(port) plus arguments that keep nothing
// on disk, kills it when the test ends, and waits (at most 10 s) until
// ready(port) succeeds; it fails the test with the end of the process's log
// when the server does not get ready. Another process may take a free port
// between the pick and the bind; then the server exits with "Address already
// in use" and Start tries another port, up to three in all.
func (s *Servers) Start(name string, need PortNeed, args func(port int) []string, ready func(ctx context.Context, port int) error) *Process {
	s.t.Helper()
	for attempt := 1; ; attempt++ {
		port := 0
		if need != NoPort {
			port = FreeLoopbackPort(s.t, need == ClusterPort)
		}
		p := &Process{Name: name, Port: port, servers: s, ready: ready,
			args: append(args(port), s.keepNothing()...),
			log:  filepath.Join(s.Dir, fmt.Sprintf("%s-%d.log", name, port))}
		p.launch()
		err := p.WaitUntil(10*time.Second, p.isReady)
		if err == nil {
			return p
		}
		if errors.Is(err, ErrExited) && need != NoPort && attempt < 3 &&
			strings.Contains(p.LogTail(), "Address already in use") {
			s.t.Logf("%s: port %d was taken meanwhile, trying another", name, port)
			continue
		}
		s.t.Fatalf("%s did not start: %v\n%s", name, err, p.LogTail())
	}
}

// Addr is the process's loopback TCP address, "127.0.0.1:port".
func (p *Process) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.Port) }

// LogTail is the end of the process's log, for failure messages.
func (p *Process) LogTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return string(b)
}

// Stop kills the process and waits until it has exited, so that its port is
// free and its clients see the connection drop: an outage.
func (p *Process) Stop() {
	p.servers.t.Helper()
	if err := kill(p.cmd, p.exited); err != nil {
		p.servers.t.Fatalf("stop %s: %v", p.Name, err)
	}
}

// Restart stops the process if it still runs, and starts it again on the
// same port with the same arguments, waiting until it is ready. As the
// server keeps nothing on disk, it starts empty.
func (p *Process) Restart() {
	p.servers.t.Helper()
	p.Stop()
	p.launch()
	if err := p.WaitUntil(10*time.Second, p.isReady); err != nil {
		p.servers.t.Fatalf("%s did not start again: %v\n%s", p.Name, err, p.LogTail())
	}
}

func (p *Process) isReady(ctx context.Context) error { return p.ready(ctx, p.Port) }

// launch starts one run of the process and registers its kill; it does not
// wait. The log is appended to, so that it tells of every run.
func (p *Process) launch() {
	t := p.servers.t
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // the child holds its own copy
	cmd := exec.Command(p.servers.Server, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	// Each run gets its own cleanup, so that a test that fails while a
	// restarted run is starting leaves no process behind either.
	t.Cleanup(func() {
		if err := kill(cmd, exited); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	})
}

// kill sends SIGKILL to one run and waits for it to exit; a run that has
// exited already is left as it is.
func kill(cmd *exec.Cmd, exited chan struct{}) error {
	cmd.Process.Kill()
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// ErrExited is what WaitUntil returns when the process exits while it waits.
var ErrExited = errors.New("the process exited")

// WaitUntil polls check, with a context of at most a second per call, until
// it succeeds, the process exits, or timeout passes; it returns nil,
// ErrExited or an error wrapping check's last one.
func (p *Process) WaitUntil(timeout time.Duration, check func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.exited:
			return ErrExited
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// FreeLoopbackPort returns a port nothing listens on at the moment; with bus
// also port+10000 is free, as a cluster node needs. Something else may take
// it before the caller binds it, which Start handles.
func FreeLoopbackPort(t testing.TB, bus bool) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return port
		}
		if port+10000 <= 65535 {
			if lb, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000)); err == nil {
				lb.Close()
				l.Close()
				return port
			}
		}
		l.Close()
	}
	t.Fatal("found no free loopback port whose port+10000 is free too")
	return 0
}

// PingTCP is the readiness check of a plain TCP server on the loopback port:
// one dial and one PING, bounded by ctx, so that each poll of WaitUntil is
// one quick attempt even when something else holds the port and never
// answers.
func PingTCP(ctx context.Context, port int) error {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port),
		MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	defer c.Close()
	return c.Ping(ctx).Err()
}
