package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestConnect(t *testing.T) {
	conn := Connect(t)
	if external := os.Getenv("TEST_REDIS_URL") != ""; conn.Embedded == external {
		t.Errorf("Embedded = %v with TEST_REDIS_URL=%q", conn.Embedded, os.Getenv("TEST_REDIS_URL"))
	}
	ctx := context.Background()
	if err := conn.Client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Close ran already when the subtest ended, so its client is closed.
	var inner *redis.Client
	t.Run("closed in cleanup", func(t *testing.T) {
		c, ok := Connect(t).Client.(*redis.Client)
		if !ok {
			t.Fatalf("client of type %T", Connect(t).Client)
		}
		inner = c
	})
	if err := inner.Ping(ctx).Err(); err != redis.ErrClosed {
		t.Errorf("PING after the test ended: %v, want %v", err, redis.ErrClosed)
	}
}

func TestPrefix(t *testing.T) {
	a, b := Prefix(t), Prefix(t)
	if !regexp.MustCompile(`^test-[0-9a-f]{12}:$`).MatchString(a) {
		t.Errorf("Prefix = %q, want test-<12 hex digits>:", a)
	}
	if a == b {
		t.Errorf("two prefixes are both %q", a)
	}
}

func TestDeleteKeys(t *testing.T) {
	conn := Connect(t)
	ctx := context.Background()
	mine, other := Prefix(t), Prefix(t)
	t.Cleanup(func() { DeleteKeys(t, conn.Client, other+"*") })
	for _, key := range []string{mine + "a", mine + "b", "lock:" + mine + "a", other + "a", "lock:" + other + "a"} {
		if err := conn.Client.Set(ctx, key, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	DeleteKeys(t, conn.Client, mine+"*", "lock:"+mine+"*")
	var left []string
	for _, pattern := range []string{"*" + mine + "*", "*" + other + "*"} {
		keys, err := conn.Client.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, keys...)
	}
	slices.Sort(left)
	if want := []string{"lock:" + other + "a", other + "a"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want only the other test's %v", left, want)
	}
	DeleteKeys(t, conn.Client, mine+"*") // nothing left to delete: no error
}

// answers reports whether a Redis server answers PING on the loopback port.
func answers(port int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return PingTCP(ctx, port) == nil
}

func TestProcessStopRestart(t *testing.T) {
	s := NeedServer(t)
	p := s.Start("plain", TCPPort, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
	}, PingTCP)
	if p.Addr() != "127.0.0.1:"+strconv.Itoa(p.Port) {
		t.Errorf("Addr = %q for port %d", p.Addr(), p.Port)
	}
	c := redis.NewClient(&redis.Options{Addr: p.Addr()})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.LogTail(), "Ready to accept connections") {
		t.Errorf("the log does not tell of the start:\n%s", p.LogTail())
	}

	p.Stop()
	if answers(p.Port) {
		t.Fatal("the server still answers after Stop")
	}
	p.Stop() // stopping a stopped process does nothing

	port := p.Port
	p.Restart()
	if p.Port != port || !answers(p.Port) {
		t.Fatalf("after Restart port %d answers %v, want port %d to answer", p.Port, answers(p.Port), port)
	}
	// The client reconnects by itself; the restarted server kept nothing.
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS k after the restart: %d, %v; want 0", n, err)
	}
	if got := strings.Count(p.LogTail(), "Ready to accept connections"); got != 2 {
		t.Errorf("the log tells of %d starts, want both:\n%s", got, p.LogTail())
	}
	p.Restart() // restarting a running process stops it first
	if !answers(p.Port) {
		t.Error("the server does not answer after a second Restart")
	}
}

// TestProcessUnixSocket starts a server on a unix socket only: NoPort.
func TestProcessUnixSocket(t *testing.T) {
	s := NeedServer(t)
	sock := filepath.Join(s.Dir, "redis.sock")
	ping := func(ctx context.Context, port int) error {
		if port != 0 {
			return fmt.Errorf("ready got port %d, want 0", port)
		}
		c := redis.NewClient(&redis.Options{Network: "unix", Addr: sock, MaxRetries: -1, DialerRetries: 1})
		defer c.Close()
		return c.Ping(ctx).Err()
	}
	p := s.Start("unix", NoPort, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--unixsocket", sock}
	}, ping)
	if p.Port != 0 {
		t.Errorf("Port = %d, want 0", p.Port)
	}
	p.Stop()
	if err := ping(context.Background(), 0); err == nil {
		t.Error("the server still answers after Stop")
	}
}

// TestStartTriesAnotherPort takes the picked port just before the server
// binds it, as another process might, and expects Start to pick again.
func TestStartTriesAnotherPort(t *testing.T) {
	s := NeedServer(t)
	var ports []int
	p := s.Start("raced", TCPPort, func(port int) []string {
		ports = append(ports, port)
		if len(ports) == 1 {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
	}, PingTCP)
	if len(ports) != 2 || p.Port != ports[1] || !answers(p.Port) {
		t.Errorf("tried ports %v, runs on %d; want a second port that answers", ports, p.Port)
	}
}

func TestFreeLoopbackPort(t *testing.T) {
	for _, bus := range []bool{false, true} {
		port := FreeLoopbackPort(t, bus)
		ports := []int{port}
		if bus {
			ports = append(ports, port+10000)
		}
		for _, p := range ports {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				t.Errorf("FreeLoopbackPort(bus %v) = %d, but port %d is taken: %v", bus, port, p, err)
				continue
			}
			l.Close()
		}
	}
}

func TestRestartable(t *testing.T) {
	r := Restartable(t)
	opts, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	if opts.Addr != r.Addr() {
		t.Errorf("URL %q names %q, Addr is %q", r.URL(), opts.Addr, r.Addr())
	}
	// No retries: the PING during the outage fails at once.
	opts.MaxRetries, opts.DialerRetries = -1, 1
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("the server answers PING after Stop")
	}
	r.Start()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	// miniredis kept the key; redis-server kept nothing on disk.
	if n, err := c.Exists(ctx, "k").Result(); err != nil || (n == 1) != r.Miniredis {
		t.Errorf("EXISTS k after the restart: %d, %v; Miniredis %v", n, err, r.Miniredis)
	}
}
