package commandlog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// seenNames is a hook that notes the name of every command sent with a
// log in its context, set-up included, to show what the Log leaves out.
type seenNames struct {
	mu    sync.Mutex
	names []string
}

func (s *seenNames) DialHook(next redis.DialHook) redis.DialHook { return next }

func (s *seenNames) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		s.note(ctx, cmd)
		return next(ctx, cmd)
	}
}

func (s *seenNames) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		s.note(ctx, cmds...)
		return next(ctx, cmds)
	}
}

func (s *seenNames) note(ctx context.Context, cmds ...redis.Cmder) {
	if FromContext(ctx) == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cmds {
		s.names = append(s.names, c.Name())
	}
}

// newClient starts miniredis with a password and connects to it with a
// client that sends set-up commands (HELLO or AUTH, SELECT, CLIENT) on
// every new connection.
func newClient(t *testing.T, protocol int) (*redis.Client, *seenNames) {
	t.Helper()
	m := miniredis.RunT(t)
	m.RequireAuth("secret")
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), Password: "secret", DB: 1, ClientName: "demo", Protocol: protocol})
	t.Cleanup(func() { c.Close() })
	seen := &seenNames{}
	c.AddHook(seen) // added first, so it sees what Hook is given
	c.AddHook(Hook{})
	return c, seen
}

type shown struct {
	command, reply string
	roundTrip      int
}

func withoutTimes(cmds []Command) []shown {
	var s []shown
	for _, c := range cmds {
		s = append(s, shown{c.Command, c.Reply, c.RoundTrip})
	}
	return s
}

func TestHookRecordsRoundTrips(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", protocol), func(t *testing.T) {
			c, seen := newClient(t, protocol)
			ctx, log := WithLog(context.Background())
			if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Get(ctx, "k")
				p.PTTL(ctx, "k")
				p.Get(ctx, "missing")
				return nil
			})
			if err != redis.Nil {
				t.Fatalf("pipeline: %v, want redis.Nil from its last GET", err)
			}
			if err := c.HSet(ctx, "h", "f", "1").Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Get(ctx, "h").Err(); err == nil {
				t.Fatal("GET of a hash succeeded")
			}

			want := []shown{
				{"SET k v EX 60", "OK", 1},
				{"GET k", `"v"`, 2},
				{"PTTL k", "(integer) 60000", 2},
				{"GET missing", "(nil)", 2},
				{"HSET h f 1", "(integer) 1", 3},
				{"GET h", "(error) WRONGTYPE Operation against a key holding the wrong kind of value", 4},
			}
			got := log.Commands()
			if !slices.Equal(withoutTimes(got), want) {
				t.Errorf("recorded\n%v\nwant\n%v", withoutTimes(got), want)
			}
			if len(got) == len(want) && (got[1].Micros != got[2].Micros || got[2].Micros != got[3].Micros) {
				t.Errorf("a pipeline's commands took %d, %d and %d µs, want one time for the round trip",
					got[1].Micros, got[2].Micros, got[3].Micros)
			}
			// The set-up went through the hook with the request's context,
			// and the log left it out.
			for _, name := range []string{"select", "client"} {
				if !slices.Contains(seen.names, name) {
					t.Errorf("the client sent %v, no %q: the test does not show set-up being left out", seen.names, name)
				}
			}
			if !slices.Contains(seen.names, "hello") && !slices.Contains(seen.names, "auth") {
				t.Errorf("the client sent %v, neither HELLO nor AUTH", seen.names)
			}
		})
	}
}

// TestHookWithoutLog: with no log in the context, the hook passes commands
// and pipelines through untouched, and a nil Log reads as empty.
func TestHookWithoutLog(t *testing.T) {
	c, _ := newClient(t, 3)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "k"); return nil }); err != nil {
		t.Fatal(err)
	}
	if log := FromContext(ctx); log != nil || log.Commands() != nil {
		t.Errorf("a context without a log has %v", log.Commands())
	}
	if v, err := c.Get(ctx, "k").Result(); v != "v" || err != nil {
		t.Errorf("GET through the hook: %q, %v", v, err)
	}
}

// TestLogConcurrentRequests runs commands of one request from several
// goroutines, as the session store does; -race checks the lock.
func TestLogConcurrentRequests(t *testing.T) {
	c, _ := newClient(t, 3)
	ctx, log := WithLog(context.Background())
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := c.Incr(ctx, "counter").Err(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := log.Commands()
	var trips []int
	for _, cmd := range got {
		if cmd.Command != "INCR counter" || !strings.HasPrefix(cmd.Reply, "(integer) ") {
			t.Errorf("recorded %+v, want INCR counter", cmd)
		}
		trips = append(trips, cmd.RoundTrip)
	}
	slices.Sort(trips)
	for i, trip := range trips {
		if trip != i+1 {
			t.Fatalf("round trips %v, want 1 to %d", trips, n)
		}
	}
	if len(got) != n {
		t.Errorf("recorded %d commands, want %d", len(got), n)
	}
	// Commands returns a copy: changing it changes nothing recorded.
	got[0].Command = "changed"
	if log.Commands()[0].Command == "changed" {
		t.Error("Commands returned the log's own slice")
	}
}

func TestCommandJSON(t *testing.T) {
	b, err := json.Marshal(Command{Command: "GET k", Reply: `"v"`, Micros: 12, RoundTrip: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"command":"GET k","reply":"\"v\"","duration_us":12,"round_trip":1}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}
