package redisconn

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"redis-session-demo/internal/commandlog"
)

// connect calls Connect and closes what it opened when the test ends.
func connect(t *testing.T, s Settings) *Conn {
	t.Helper()
	c, err := Connect(s)
	if err != nil {
		t.Fatalf("Connect(%+v): %v", s, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConnectEmbedded(t *testing.T) {
	c, err := Connect(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Embedded || c.Addr() == "" {
		t.Fatalf("Connect with no URL: Embedded %v, Addr %q; want the embedded server", c.Embedded, c.Addr())
	}
	if want := "redis-cli -h 127.0.0.1 -p " + strings.TrimPrefix(c.Addr(), "127.0.0.1:"); c.CLI != want {
		t.Errorf("CLI = %q, want %q", c.CLI, want)
	}
	if want := c.CLI + " --scan --pattern 'dev.blog:*'"; c.ScanCommand("dev.blog:*") != want {
		t.Errorf("ScanCommand = %q, want %q", c.ScanCommand("dev.blog:*"), want)
	}
	ctx, log := commandlog.WithLog(context.Background())
	if got, err := c.Client.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING: %q, %v", got, err)
	}
	// The client records into the request's log: NewClient added the hook.
	if cmds := log.Commands(); len(cmds) != 1 || cmds[0].Command != "PING" || cmds[0].Reply != "PONG" {
		t.Errorf("the log holds %+v, want PING answered PONG", cmds)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	after := redis.NewClient(&redis.Options{Addr: c.Addr(), MaxRetries: -1})
	defer after.Close()
	if err := after.Ping(context.Background()).Err(); err == nil {
		t.Error("the embedded server still answers after Close")
	}
}

func TestConnectStandalone(t *testing.T) {
	c := connect(t, Settings{URL: "rediss://app:s3cret@127.0.0.1:1/4", Mode: "standalone", TLSSkipVerify: true})
	if c.Embedded || c.Addr() != "" {
		t.Errorf("Embedded %v, Addr %q for an external Redis", c.Embedded, c.Addr())
	}
	if want := "redis-cli -h 127.0.0.1 -p 1 --tls --insecure --user app --askpass -n 4"; c.CLI != want {
		t.Errorf("CLI = %q, want %q", c.CLI, want)
	}
	opts := c.Client.(*redis.Client).Options()
	if opts.TLSConfig == nil || !opts.TLSConfig.InsecureSkipVerify {
		t.Errorf("TLSConfig %+v, want one that skips verification", opts.TLSConfig)
	}
	// Nothing listens on port 1: the error comes at once, not after a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	started := time.Now()
	if err := c.Client.Ping(ctx).Err(); err == nil {
		t.Error("PING to port 1 succeeded")
	}
	if took := time.Since(started); took > 3*DialTimeout {
		t.Errorf("PING to a closed port failed after %v", took)
	}
}

// TestConnectTopologies builds the clients of the cluster and sentinel
// modes, which dial nothing until the first command.
func TestConnectTopologies(t *testing.T) {
	sentinelCLI := func(flags string) string {
		return "redis-cli $(redis-cli -h 127.0.0.1 -p 26379 SENTINEL get-master-addr-by-name mymaster" +
			" | xargs printf -- '-h %s -p %s')" + flags
	}
	for _, tc := range []struct {
		name string
		s    Settings
		want string
	}{
		{"cluster", Settings{URL: "redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002", Mode: "cluster"},
			"redis-cli -c -h 127.0.0.1 -p 7000"},
		{"cluster, password not shown", Settings{URL: "redis://:s3cret@10.0.0.5:7000", Mode: "cluster"},
			"redis-cli -c -h 10.0.0.5 -p 7000"},
		{"cluster, TLS", Settings{URL: "rediss://127.0.0.1:7000", Mode: "cluster"},
			"redis-cli -c -h 127.0.0.1 -p 7000 --tls"},
		{"cluster, TLS insecure", Settings{URL: "rediss://127.0.0.1:7000", Mode: "cluster", TLSSkipVerify: true},
			"redis-cli -c -h 127.0.0.1 -p 7000 --tls --insecure"},
		{"sentinel", Settings{URL: "redis://127.0.0.1:26379?master_name=mymaster", Mode: "sentinel"},
			sentinelCLI("")},
		{"sentinel, more sentinels", Settings{URL: "redis://127.0.0.1:26379?addr=127.0.0.1:26380&master_name=mymaster", Mode: "sentinel"},
			sentinelCLI("")},
		{"sentinel, TLS insecure", Settings{URL: "rediss://127.0.0.1:26379?master_name=mymaster", Mode: "sentinel", TLSSkipVerify: true},
			sentinelCLI(" --tls --insecure")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connect(t, tc.s)
			if c.CLI != tc.want {
				t.Errorf("CLI = %q, want %q", c.CLI, tc.want)
			}
			if c.Embedded {
				t.Error("Embedded is true for an external Redis")
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
		want string
	}{
		{"sentinel without master_name", Settings{URL: "redis://127.0.0.1:26379", Mode: "sentinel"},
			"REDIS_URL (sentinel): add ?master_name=NAME"},
		{"bad sentinel URL", Settings{URL: "http://127.0.0.1:26379?master_name=m", Mode: "sentinel"}, "REDIS_URL (sentinel): "},
		{"bad cluster URL", Settings{URL: "http://127.0.0.1:7000", Mode: "cluster"}, "REDIS_URL (cluster): "},
		{"bad standalone URL", Settings{URL: "http://127.0.0.1:6379", Mode: "standalone"}, "REDIS_URL: "},
		{"bad DB", Settings{URL: "redis://127.0.0.1:6379/x"}, "REDIS_URL: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Connect(tc.s)
			if err == nil {
				c.Close()
				t.Fatalf("Connect(%+v) succeeded", tc.s)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Connect(%+v): %q, want it to start with %q", tc.s, err, tc.want)
			}
		})
	}
}

// TestTimeoutsInStep checks that every mode gets the app's timeouts and
// buffer sizes, although standalone and the others set them on different
// option types.
func TestTimeoutsInStep(t *testing.T) {
	type timeouts struct {
		dial, read, write, pool time.Duration
		contextTimeout          bool
		retries, dialRetries    int
		disableIdentity         bool
		buffers                 [4]int
	}
	want := timeouts{DialTimeout, IOTimeout, IOTimeout, IOTimeout, true, 1, 1, true, [4]int{BufferSize, BufferSize, BufferSize, BufferSize}}
	for _, tc := range []struct {
		name string
		s    Settings
	}{
		{"embedded", Settings{}},
		{"standalone", Settings{URL: "redis://127.0.0.1:1"}},
		{"cluster", Settings{URL: "redis://127.0.0.1:1", Mode: "cluster"}},
		{"sentinel", Settings{URL: "redis://127.0.0.1:1?master_name=m", Mode: "sentinel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got timeouts
			switch c := connect(t, tc.s).Client.(type) {
			case *redis.Client:
				o := c.Options()
				got = timeouts{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout,
					o.ContextTimeoutEnabled, o.MaxRetries, o.DialerRetries, o.DisableIdentity,
					[4]int{o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize}}
			case *redis.ClusterClient:
				o := c.Options()
				got = timeouts{o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout,
					o.ContextTimeoutEnabled, o.MaxRetries, o.DialerRetries, o.DisableIdentity,
					[4]int{o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize}}
			default:
				t.Fatalf("client of type %T", c)
			}
			if got != want {
				t.Errorf("options %+v, want %+v", got, want)
			}
		})
	}
}

func TestScanKeys(t *testing.T) {
	m := miniredis.RunT(t)
	want := map[string]bool{}
	for i := range 2500 { // more than one SCAN page of 1000
		key := fmt.Sprintf("dev.blog:%04d", i)
		m.Set(key, "v")
		want[key] = true
	}
	m.Set("lock:dev.blog:0001", "v")
	m.Set("dev.blogger", "v")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		rdb  redis.UniversalClient
	}{
		{"standalone", redis.NewClient(&redis.Options{Addr: m.Addr()})},
		// miniredis answers CLUSTER SLOTS as a one-node cluster, so this
		// walks the cluster path with one master.
		{"cluster", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{m.Addr()}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.rdb.Close()
			got := map[string]bool{}
			calls := 0
			err := ScanKeys(ctx, tc.rdb, "dev.blog:*", func(key string) {
				got[key] = true
				calls++
			})
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) || calls != len(want) {
				extra := slices.Collect(maps.Keys(got))
				slices.Sort(extra)
				t.Errorf("found %d keys in %d calls, want the %d under dev.blog: once each; first found: %v",
					len(got), calls, len(want), extra[:min(5, len(extra))])
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		c.Close()
		if err := ScanKeys(ctx, c, "*", func(string) { t.Error("found a key on a closed client") }); err == nil {
			t.Error("ScanKeys on a closed client returned no error")
		}
	})
}

func TestScanStrings(t *testing.T) {
	m := miniredis.RunT(t)
	m.Set("dev.blog:a", "v")
	m.HSet("dev.blog:b", "f", "v")
	m.Lpush("dev.blog:c", "v")
	for i := range 2500 {
		m.Set(fmt.Sprintf("other:%04d", i), "v") // examined, never matched
	}
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer c.Close()
	var got []string
	complete, err := ScanStrings(context.Background(), c, "dev.blog:*", 10, func(key string) { got = append(got, key) })
	if err != nil || !complete {
		t.Fatalf("complete %v, err %v", complete, err)
	}
	if len(got) != 1 || got[0] != "dev.blog:a" {
		t.Errorf("found %v, want only the string key dev.blog:a", got)
	}
}

// TestScanStringsBudget: on a real redis-server one SCAN call examines about
// COUNT keys, so a budget of one call ends the walk early, and says so.
// (miniredis answers every SCAN whole.)
func TestScanStringsBudget(t *testing.T) {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		// redistest.ExternalURL, which this package cannot import (redistest
		// imports it).
		if os.Getenv("REQUIRE_REDIS") == "1" {
			t.Fatal("REQUIRE_REDIS=1 but TEST_REDIS_URL is not set")
		}
		t.Skip("needs a real redis-server: set TEST_REDIS_URL")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	prefix := fmt.Sprintf("test-scan-budget-%d:", time.Now().UnixNano())
	p := c.Pipeline()
	for i := range 3000 {
		p.Set(ctx, fmt.Sprintf("%s%04d", prefix, i), "v", time.Minute)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p := c.Pipeline()
		for i := range 3000 {
			p.Del(ctx, fmt.Sprintf("%s%04d", prefix, i))
		}
		p.Exec(ctx)
	})
	n := 0
	complete, err := ScanStrings(ctx, c, prefix+"*", 1, func(string) { n++ })
	if err != nil || complete || n == 0 || n >= 3000 {
		t.Errorf("one SCAN call over 3000 keys: complete %v, %d found, err %v; want an incomplete part", complete, n, err)
	}
	n = 0
	if complete, err := ScanStrings(ctx, c, prefix+"*", 1000, func(string) { n++ }); err != nil || !complete || n != 3000 {
		t.Errorf("an ample budget: complete %v, %d found, err %v; want all 3000", complete, n, err)
	}
}
