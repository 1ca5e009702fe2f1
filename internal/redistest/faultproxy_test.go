package redistest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// eachTarget runs test against miniredis and against a redis-server process,
// which NeedServer skips with -short or without redis-server.
func eachTarget(t *testing.T, test func(t *testing.T, target string)) {
	t.Run("miniredis", func(t *testing.T) { test(t, miniredis.RunT(t).Addr()) })
	t.Run("redis-server", func(t *testing.T) {
		p := NeedServer(t).Start("redis", TCPPort, func(port int) []string {
			return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
		}, PingTCP)
		test(t, p.Addr())
	})
}

// newClient is a go-redis client that shows a fault instead of retrying
// around it, closed when the test ends.
func newClient(t testing.TB, addr string, readTimeout time.Duration) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: readTimeout, WriteTimeout: time.Second,
		MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

// isTimeout reports a client's read timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isDropped reports a connection the other side closed.
func isDropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// outcome names what a command got: "ok", "timeout", "dropped", or the error.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case isTimeout(err):
		return "timeout"
	case isDropped(err):
		return "dropped"
	}
	return err.Error()
}

// waitForKey polls until key exists and returns how long after start it
// appeared.
func waitForKey(t *testing.T, direct *redis.Client, key string, start time.Time) time.Duration {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		n, err := direct.Exists(context.Background(), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return time.Since(start)
		}
	}
	t.Fatalf("%s never appeared on the server", key)
	return 0
}

func TestReadValue(t *testing.T) {
	tests := []struct {
		name, in string
		typ      byte
	}{
		{"simple string", "+OK\r\n", '+'},
		{"empty simple string", "+\r\n", '+'},
		{"error", "-ERR wrong\r\n", '-'},
		{"integer", ":-42\r\n", ':'},
		{"bulk string with CRLF inside", "$4\r\na\r\nb\r\n", '$'},
		{"empty bulk string", "$0\r\n\r\n", '$'},
		{"RESP2 null bulk string", "$-1\r\n", '$'},
		{"RESP2 null array", "*-1\r\n", '*'},
		{"nested array", "*2\r\n*1\r\n:1\r\n$1\r\nx\r\n", '*'},
		{"null", "_\r\n", '_'},
		{"boolean", "#t\r\n", '#'},
		{"double", ",1.5\r\n", ','},
		{"big number", "(3492890328409238509324850943850943825024385\r\n", '('},
		{"blob error", "!21\r\nSYNTAX invalid syntax\r\n", '!'},
		{"verbatim string", "=9\r\ntxt:hello\r\n", '='},
		{"map", "%2\r\n+a\r\n:1\r\n+b\r\n%1\r\n+c\r\n_\r\n", '%'},
		{"set", "~2\r\n+a\r\n,2\r\n", '~'},
		{"push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", '>'},
		{"attribute then reply", "|1\r\n+ttl\r\n:3\r\n*1\r\n+OK\r\n", '*'},
		{"attribute then push", "|1\r\n+a\r\n#f\r\n>1\r\n+x\r\n", '>'},
		{"long simple string", "+" + strings.Repeat("x", 10000) + "\r\n", '+'},
		{"long bulk string", "$70000\r\n" + strings.Repeat("y", 70000) + "\r\n", '$'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A value that follows must stay unread.
			r := bufio.NewReader(strings.NewReader(tt.in + "+NEXT\r\n"))
			raw, typ, err := readValue(r, nil)
			if err != nil || string(raw) != tt.in || typ != tt.typ {
				t.Fatalf("readValue = %.60q, %q, %v; want %.60q, %q", raw, typ, err, tt.in, tt.typ)
			}
			if next, _, err := readValue(r, nil); string(next) != "+NEXT\r\n" || err != nil {
				t.Errorf("then %q, %v; want +NEXT", next, err)
			}
		})
	}
}

func TestReadValueErrors(t *testing.T) {
	tests := []struct {
		in       string
		protocol bool // bytes that are not RESP, not a stream that ended
	}{
		{"", false},
		{"+OK", false},
		{"$5\r\nab", false},
		{"*2\r\n:1\r\n", false},
		{"|1\r\n+a\r\n+b\r\n", false},
		{"?\r\n", true},
		{"+OK\n", true},
		{"$x\r\n", true},
		{"$-2\r\n", true},
		{"$2\r\nabc\r\n", true},
	}
	for _, tt := range tests {
		_, _, err := readValue(bufio.NewReader(strings.NewReader(tt.in)), nil)
		var perr *protocolError
		if err == nil || errors.As(err, &perr) != tt.protocol {
			t.Errorf("readValue(%q): %v; want an error, protocol error %v", tt.in, err, tt.protocol)
		}
	}
}

func TestReadCommand(t *testing.T) {
	in := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n"
	raw, args, err := readCommand(bufio.NewReader(strings.NewReader(in)))
	if err != nil || string(raw) != in || !slices.Equal(args, []string{"SET", "k", "a\r\nb"}) {
		t.Errorf("readCommand = %q, %q, %v", raw, args, err)
	}
	for _, bad := range []string{"PING\r\n", "*1\r\n:1\r\n", "*1\r\n$-1\r\n"} {
		var perr *protocolError
		if _, _, err := readCommand(bufio.NewReader(strings.NewReader(bad))); !errors.As(err, &perr) {
			t.Errorf("readCommand(%q): %v, want a protocol error", bad, err)
		}
	}
}

// TestFaultProxyPassThrough sends, without faults, a RESP3 pipeline whose
// replies take most RESP3 types, a value larger than the proxy's buffers,
// and pub/sub, whose replies are push messages.
func TestFaultProxyPassThrough(t *testing.T) {
	eachTarget(t, func(t *testing.T, target string) {
		p := NewFaultProxy(t, target)
		app := newClient(t, p.Addr(), time.Second)
		direct := newClient(t, target, time.Second)
		ctx := context.Background()
		k := Prefix(t)

		hello, err := app.Do(ctx, "HELLO", "3").Result()
		if m, ok := hello.(map[any]any); err != nil || !ok || m["proto"] != int64(3) {
			t.Fatalf("HELLO 3 = %#v, %v; want a map with proto 3", hello, err)
		}
		big := strings.Repeat("0123456789", 20000)
		var (
			get, getBig *redis.StringCmd
			hgetall     *redis.MapStringStringCmd
			smembers    *redis.StringSliceCmd
			zscore      *redis.FloatCmd
			missing     *redis.StringCmd
			incr        *redis.IntCmd
		)
		_, err = app.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, k+"s", "v\r\nwith CRLF", 0)
			pipe.Set(ctx, k+"big", big, 0)
			pipe.HSet(ctx, k+"h", "f1", "a", "f2", "b")
			pipe.SAdd(ctx, k+"set", "x")
			pipe.ZAdd(ctx, k+"z", redis.Z{Score: 1.5, Member: "m"})
			get = pipe.Get(ctx, k+"s")
			getBig = pipe.Get(ctx, k+"big")
			hgetall = pipe.HGetAll(ctx, k+"h")     // a map
			smembers = pipe.SMembers(ctx, k+"set") // a set
			zscore = pipe.ZScore(ctx, k+"z", "m")  // a double
			missing = pipe.Get(ctx, k+"missing")   // a null
			incr = pipe.Incr(ctx, k+"s")           // an error
			return nil
		})
		if err == nil {
			t.Error("the pipeline reports no error, want the GET of a missing key's")
		}
		if v, err := get.Result(); v != "v\r\nwith CRLF" || err != nil {
			t.Errorf("GET = %q, %v", v, err)
		}
		if v, err := getBig.Result(); v != big || err != nil {
			t.Errorf("GET of %d bytes = %d bytes, %v", len(big), len(v), err)
		}
		if v, err := hgetall.Result(); !maps.Equal(v, map[string]string{"f1": "a", "f2": "b"}) || err != nil {
			t.Errorf("HGETALL = %v, %v", v, err)
		}
		if v, err := smembers.Result(); !slices.Equal(v, []string{"x"}) || err != nil {
			t.Errorf("SMEMBERS = %v, %v", v, err)
		}
		if v, err := zscore.Result(); v != 1.5 || err != nil {
			t.Errorf("ZSCORE = %v, %v", v, err)
		}
		if err := missing.Err(); err != redis.Nil {
			t.Errorf("GET of a missing key: %v, want redis.Nil", err)
		}
		if err := incr.Err(); err == nil || !strings.Contains(err.Error(), "not an integer") {
			t.Errorf("INCR of a string: %v, want an error", err)
		}
		if got := p.Seen("set") + p.Seen("GET"); got != 5 {
			t.Errorf("Seen(SET) + Seen(GET) = %d, want 5", got)
		}

		sub := app.Subscribe(ctx, k+"ch")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil { // the subscription, a push message
			t.Fatal(err)
		}
		if err := direct.Publish(ctx, k+"ch", "hi").Err(); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveTimeout(ctx, 2*time.Second)
		if m, ok := msg.(*redis.Message); err != nil || !ok || m.Payload != "hi" {
			t.Errorf("received %#v, %v; want the message hi", msg, err)
		}
		if p.Seen("SUBSCRIBE") != 1 {
			t.Errorf("Seen(SUBSCRIBE) = %d, want 1", p.Seen("SUBSCRIBE"))
		}
		if err := app.Ping(ctx).Err(); err != nil {
			t.Errorf("PING after pub/sub: %v", err)
		}
	})
}

// TestFaultProxyActions runs each Action on a SET with a client read timeout
// shorter or longer than the fault, and checks what the client got, how long
// it took, and when the SET ran on the server.
func TestFaultProxyActions(t *testing.T) {
	const delay = 300 * time.Millisecond
	tests := []struct {
		name        string
		action      Action
		delay       time.Duration
		readTimeout time.Duration
		want        string // "ok", "timeout" or "dropped"
		minTook     time.Duration
	}{
		{"DelayReply within the timeout", DelayReply, delay, time.Second, "ok", delay},
		{"DelayReply past the timeout", DelayReply, delay, 100 * time.Millisecond, "timeout", 0},
		{"DelayCommand within the timeout", DelayCommand, delay, time.Second, "ok", delay},
		{"DelayCommand past the timeout", DelayCommand, delay, 100 * time.Millisecond, "timeout", 0},
		{"DropReply", DropReply, 0, 100 * time.Millisecond, "timeout", 0},
		{"DropReply then close", DropReply, 50 * time.Millisecond, time.Second, "dropped", 50 * time.Millisecond},
		{"CutAfterCommand", CutAfterCommand, 0, time.Second, "dropped", 0},
	}
	eachTarget(t, func(t *testing.T, target string) {
		p := NewFaultProxy(t, target)
		direct := newClient(t, target, time.Second)
		prefix := Prefix(t)
		t.Cleanup(func() { DeleteKeys(t, direct, prefix+"*") })
		ctx := context.Background()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				app := newClient(t, p.Addr(), tt.readTimeout)
				if err := app.Ping(ctx).Err(); err != nil { // connected before the fault
					t.Fatal(err)
				}
				key := prefix + strconv.Itoa(i)
				seen := p.Seen("SET")
				p.Inject(Fault{Command: "SET", KeyPrefix: key, Action: tt.action, Delay: tt.delay})
				start := time.Now()
				err := app.Set(ctx, key, "v", 0).Err()
				took := time.Since(start)
				if got := outcome(err); got != tt.want || took < tt.minTook || took > tt.readTimeout+500*time.Millisecond {
					t.Errorf("SET: %s after %v; want %s after %v to %v",
						got, took, tt.want, tt.minTook, tt.readTimeout)
				}
				if tt.action == CutAfterCommand {
					// The cut waits for the reply: the SET has run already.
					if n, err := direct.Exists(ctx, key).Result(); n != 1 || err != nil {
						t.Errorf("EXISTS right after the cut: %d, %v; want 1", n, err)
					}
				}
				appeared := waitForKey(t, direct, key, start)
				if tt.action == DelayCommand && appeared < tt.delay {
					t.Errorf("the SET ran %v after the client sent it, want at least %v", appeared, tt.delay)
				}
				if got := p.Seen("SET") - seen; got != 1 {
					t.Errorf("Seen(SET) grew by %d, want 1", got)
				}
				// The fault is used up and the client recovers.
				if v, err := app.Get(ctx, key).Result(); v != "v" || err != nil {
					t.Errorf("GET after the fault: %q, %v", v, err)
				}
			})
		}
	})
}

// TestFaultProxyPipeline faults the middle command of a pipeline sent in one
// write, on a plain connection that shows exactly what the client gets: a
// go-redis pipeline reports a connection's error on every command.
func TestFaultProxyPipeline(t *testing.T) {
	const delay = 200 * time.Millisecond
	tests := []struct {
		name   string
		action Action
		delay  time.Duration
		want   []string // the replies, and what ended the reading if it did
		after  bool     // whether the command after the faulted one ran
	}{
		{"DelayReply", DelayReply, delay, []string{"+OK", ":1", "+OK"}, true},
		{"DelayCommand", DelayCommand, delay, []string{"+OK", ":1", "+OK"}, true},
		{"DropReply", DropReply, 0, []string{"+OK", "timeout"}, true},
		{"CutAfterCommand", CutAfterCommand, 0, []string{"+OK", "dropped"}, false},
	}
	eachTarget(t, func(t *testing.T, target string) {
		p := NewFaultProxy(t, target)
		direct := newClient(t, target, time.Second)
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				k := Prefix(t)
				t.Cleanup(func() { DeleteKeys(t, direct, k+"*") })
				p.Inject(Fault{Command: "INCR", Action: tt.action, Delay: tt.delay})
				c, err := net.Dial("tcp", p.Addr())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				cmd := func(args ...string) string {
					s := "*" + strconv.Itoa(len(args)) + "\r\n"
					for _, a := range args {
						s += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
					}
					return s
				}
				start := time.Now()
				if _, err := io.WriteString(c, cmd("SET", k+"before", "v")+cmd("INCR", k+"n")+cmd("SET", k+"after", "v")); err != nil {
					t.Fatal(err)
				}
				c.SetReadDeadline(start.Add(tt.delay + 300*time.Millisecond))
				r := bufio.NewReader(c)
				var got []string
				for len(got) < len(tt.want) {
					v, _, err := readValue(r, nil)
					if err != nil {
						got = append(got, outcome(err))
						break
					}
					got = append(got, strings.TrimSuffix(string(v), "\r\n"))
					if len(got) == 2 && tt.delay > 0 && time.Since(start) < tt.delay {
						t.Errorf("the INCR's reply came after %v, before its delay of %v", time.Since(start), tt.delay)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				// The faulted command ran once, after the one before it.
				if v, err := direct.MGet(ctx, k+"before", k+"n").Result(); err != nil || !slices.Equal(v, []any{"v", "1"}) {
					t.Errorf("the server holds %v, %v; want v and 1", v, err)
				}
				if n, err := direct.Exists(ctx, k+"after").Result(); err != nil || (n == 1) != tt.after {
					t.Errorf("EXISTS of the key set after the faulted command: %d, %v; want it %v", n, err, tt.after)
				}
			})
		}
	})
}

// TestFaultProxyMatching checks which commands a fault takes: by name in any
// case, by key prefix (the first key for EVAL), how many, on connections
// opened before and after Inject, until Clear.
func TestFaultProxyMatching(t *testing.T) {
	eachTarget(t, func(t *testing.T, target string) {
		p := NewFaultProxy(t, target)
		ctx := context.Background()
		k := Prefix(t)
		before := newClient(t, p.Addr(), time.Second)
		if err := before.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		p.Inject(Fault{Command: "del", KeyPrefix: k + "b", Times: 2, Action: CutAfterCommand})
		after := newClient(t, p.Addr(), time.Second)
		eval := func(c *redis.Client, key string) error {
			return c.Eval(ctx, `return redis.call("DEL", KEYS[1])`, []string{key}).Err()
		}
		steps := []struct {
			name    string
			run     func() error
			dropped bool
		}{
			{"DEL of another prefix", func() error { return before.Del(ctx, k+"a").Err() }, false},
			{"SET of the prefix", func() error { return before.Set(ctx, k+"b1", "v", 0).Err() }, false},
			{"DEL of the prefix, connected before Inject", func() error { return before.Del(ctx, k+"b1").Err() }, true},
			{"DEL of the prefix, connected after Inject", func() error { return after.Del(ctx, k+"b2").Err() }, true},
			{"DEL of the prefix after Times", func() error { return after.Del(ctx, k+"b3").Err() }, false},
			{"arm EVAL by its first key", func() error {
				p.Inject(Fault{Command: "EVAL", KeyPrefix: k + "lock", Action: CutAfterCommand})
				return nil
			}, false},
			{"EVAL of another key", func() error { return eval(after, k+"other") }, false},
			{"EVAL of the key", func() error { return eval(after, k+"lock") }, true},
			{"arm every command on a key until Clear", func() error {
				p.Inject(Fault{KeyPrefix: k + "any", Times: -1, Action: CutAfterCommand})
				return nil
			}, false},
			{"GET of the key", func() error { return after.Get(ctx, k+"any").Err() }, true},
			{"INCR of the key", func() error { return after.Incr(ctx, k+"any").Err() }, true},
			{"INCR of the key again", func() error { return after.Incr(ctx, k+"any").Err() }, true},
			{"Clear", func() error { p.Clear(); return nil }, false},
			{"INCR of the key after Clear", func() error {
				if n, err := after.Incr(ctx, k+"any").Result(); n != 3 || err != nil {
					return errors.New("INCR = " + strconv.FormatInt(n, 10) + ", want 3")
				}
				return nil
			}, false},
		}
		for _, s := range steps {
			err := s.run()
			if s.dropped && !isDropped(err) || !s.dropped && err != nil && err != redis.Nil {
				t.Errorf("%s: %v; want dropped %v", s.name, err, s.dropped)
			}
		}
		if got := p.Seen("DEL"); got != 4 {
			t.Errorf("Seen(DEL) = %d, want 4: the cut ones ran too", got)
		}
	})
}

// TestFaultProxyStall holds every reply, and ends the stall by time, by
// Clear and by Stall(0).
func TestFaultProxyStall(t *testing.T) {
	eachTarget(t, func(t *testing.T, target string) {
		p := NewFaultProxy(t, target)
		ctx := context.Background()
		patient := newClient(t, p.Addr(), 2*time.Second)
		hasty := newClient(t, p.Addr(), 100*time.Millisecond)
		for _, c := range []*redis.Client{patient, hasty} {
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		end := func(name string, stop func()) {
			t.Helper()
			p.Stall(time.Minute)
			timer := time.AfterFunc(100*time.Millisecond, stop)
			defer timer.Stop()
			start := time.Now()
			if err := patient.Ping(ctx).Err(); err != nil || time.Since(start) > time.Second {
				t.Errorf("PING during a stall ended by %s: %v after %v", name, err, time.Since(start))
			}
		}

		p.Stall(300 * time.Millisecond)
		start := time.Now()
		if err := hasty.Ping(ctx).Err(); !isTimeout(err) {
			t.Errorf("PING with a read timeout of 100 ms during a stall: %v, want a timeout", err)
		}
		if err := patient.Ping(ctx).Err(); err != nil || time.Since(start) < 250*time.Millisecond {
			t.Errorf("PING during a stall of 300 ms: %v after %v", err, time.Since(start))
		}
		end("Clear", p.Clear)
		end("Stall(0)", func() { p.Stall(0) })
		if err := hasty.Ping(ctx).Err(); err != nil {
			t.Errorf("PING after the stalls: %v", err)
		}
	})
}

// TestFaultProxyPushNotPaired uses a fake server that sends a push message
// before each reply, and delays the reply: the push passes at once.
func TestFaultProxyPushNotPaired(t *testing.T) {
	const push = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
	const reply = "|1\r\n+ttl\r\n:3\r\n+OK\r\n"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			if _, _, err := readCommand(r); err != nil {
				return
			}
			if _, err := io.WriteString(c, push+reply); err != nil {
				return
			}
		}
	}()

	const delay = 200 * time.Millisecond
	p := NewFaultProxy(t, ln.Addr().String())
	p.Inject(Fault{Command: "GET", Action: DelayReply, Delay: delay})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	get := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	start := time.Now()
	if _, err := io.WriteString(c, get+get); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for i, want := range []string{push, reply, push, reply} {
		got, _, err := readValue(r, nil)
		took := time.Since(start)
		if string(got) != want || err != nil {
			t.Fatalf("value %d: %q, %v; want %q", i, got, err, want)
		}
		if i == 0 && took >= delay || i == 1 && took < delay {
			t.Errorf("value %d after %v, the reply's delay being %v", i, took, delay)
		}
	}
	if p.Seen("GET") != 2 {
		t.Errorf("Seen(GET) = %d, want 2", p.Seen("GET"))
	}
}

// TestFaultProxyClose closes the proxy while it holds a command and a reply:
// Close returns at once, the clients see their connections drop, and no
// goroutine is left.
func TestFaultProxyClose(t *testing.T) {
	target := miniredis.RunT(t).Addr()
	goroutines := runtime.NumGoroutine()
	t.Run("held", func(t *testing.T) {
		p := NewFaultProxy(t, target)
		opts, err := redis.ParseURL(p.URL())
		if err != nil || opts.Addr != p.Addr() {
			t.Fatalf("URL %q: %v; want the address %s", p.URL(), err, p.Addr())
		}
		app := newClient(t, p.Addr(), 10*time.Second)
		ctx := context.Background()
		if err := app.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		p.Inject(Fault{Command: "SET", Action: DelayCommand, Delay: time.Minute})
		p.Stall(time.Minute)
		errs := make(chan error, 2)
		go func() { errs <- app.Set(ctx, "k", "v", 0).Err() }()
		go func() { errs <- app.Get(ctx, "k").Err() }()
		time.Sleep(100 * time.Millisecond) // both are held now
		start := time.Now()
		p.Close()
		if took := time.Since(start); took > time.Second {
			t.Errorf("Close took %v", took)
		}
		for range 2 {
			if err := <-errs; !isDropped(err) {
				t.Errorf("a held command: %v, want its connection dropped", err)
			}
		}
		p.Close() // again: nothing happens
		if err := app.Ping(ctx).Err(); err == nil {
			t.Error("PING through a closed proxy succeeded")
		}
	})
	var now int
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= goroutines {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines before, %d after:\n%s", goroutines, now, buf[:runtime.Stack(buf, true)])
}
