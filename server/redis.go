package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is the connection the app keeps its sessions on, together with what
// the page needs to tell a person how to look at the same server.
type Redis struct {
	// Client is shared by every request; it reconnects by itself after an
	// outage.
	Client redis.UniversalClient
	// Embedded reports that Client talks to the in-process miniredis server.
	Embedded bool
	// CLI is the start of a one-shot redis-cli command that reaches the same
	// server, such as "redis-cli -h 127.0.0.1 -p 6379". It never holds a
	// password.
	CLI string

	embedded *miniredis.Miniredis
}

// Timeouts of the Redis client. With them an unreachable Redis fails a
// request quickly (the app answers 503) instead of hanging it; the request
// deadline in middleware.go bounds the sum.
const (
	redisDialTimeout = 1 * time.Second
	redisIOTimeout   = 500 * time.Millisecond
)

// RedisSettings say which Redis to use and how to reach it.
type RedisSettings struct {
	// URL is a redis://, rediss:// or unix:// URL; empty starts the embedded
	// server. In cluster mode it names one node (more with ?addr=host:port),
	// in sentinel mode a sentinel (?master_name=NAME is required).
	URL string
	// Mode is "standalone", "cluster" or "sentinel".
	Mode string
	// TLSSkipVerify accepts any server certificate on rediss://, for
	// platforms whose Redis has a self-signed one (Heroku's does).
	TLSSkipVerify bool
}

// ConnectRedis connects to the Redis that s names, or starts the embedded
// Redis-protocol server on a free loopback port when s.URL is empty. It does
// not wait for the server to answer: the app starts while Redis is down and
// answers 503 until it is back.
func ConnectRedis(s RedisSettings) (*Redis, error) {
	if s.URL == "" {
		return startEmbedded()
	}
	switch s.Mode {
	case "cluster":
		co, err := redis.ParseClusterURL(s.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %w", err)
		}
		u := &redis.UniversalOptions{Addrs: co.Addrs, Username: co.Username, Password: co.Password,
			TLSConfig: co.TLSConfig, IsClusterMode: true}
		return connectUniversal(u, s, "redis-cli -c"+hostPortFlags(co.Addrs[0]))
	case "sentinel":
		fo, err := redis.ParseFailoverURL(s.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel): %w", err)
		}
		if fo.MasterName == "" {
			return nil, fmt.Errorf("REDIS_URL (sentinel): add ?master_name=NAME")
		}
		u := &redis.UniversalOptions{Addrs: fo.SentinelAddrs, MasterName: fo.MasterName,
			SentinelUsername: fo.SentinelUsername, SentinelPassword: fo.SentinelPassword,
			Username: fo.Username, Password: fo.Password, DB: fo.DB, TLSConfig: fo.TLSConfig}
		// The master moves on failover, so the commands go through the
		// address a sentinel names now.
		return connectUniversal(u, s, "redis-cli $(redis-cli"+hostPortFlags(fo.SentinelAddrs[0])+
			" SENTINEL get-master-addr-by-name "+fo.MasterName+" | xargs printf -- '-h %s -p %s')")
	}
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	skipVerify(opts.TLSConfig, s.TLSSkipVerify)
	return &Redis{Client: newClient(opts), CLI: cliCommand(opts, s.TLSSkipVerify)}, nil
}

func connectUniversal(u *redis.UniversalOptions, s RedisSettings, cli string) (*Redis, error) {
	skipVerify(u.TLSConfig, s.TLSSkipVerify)
	// The settings of withTimeouts, for the other options type (go-redis has
	// no interface over its option structs); keep the two in step.
	u.DialTimeout, u.ReadTimeout, u.WriteTimeout, u.PoolTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout, redisIOTimeout
	u.ContextTimeoutEnabled, u.MaxRetries, u.DialerRetries = true, 1, 1
	u.DisableIdentity = true
	u.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := redis.NewUniversalClient(u)
	c.AddHook(commandRecorder{})
	if u.TLSConfig != nil {
		cli += tlsFlags(s.TLSSkipVerify)
	}
	return &Redis{Client: c, CLI: cli}, nil
}

// skipVerify turns certificate verification off on request only; it stays on
// by default, so that rediss:// means an authenticated server.
func skipVerify(t *tls.Config, skip bool) {
	if t != nil && skip {
		t.InsecureSkipVerify = true
	}
}

func hostPortFlags(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return " -h " + host + " -p " + port
}

// startEmbedded runs miniredis in this process. ClockTTL makes keys expire as
// real time passes; without it miniredis only expires them on FastForward.
func startEmbedded() (*Redis, error) {
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true)
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded Redis: %w", err)
	}
	opts := &redis.Options{Addr: m.Addr()}
	return &Redis{
		Client:   newClient(opts),
		Embedded: true,
		CLI:      cliCommand(opts, false),
		embedded: m,
	}, nil
}

// ScanCommand is a one-shot redis-cli command that lists the keys under
// prefix with SCAN (never KEYS, which blocks the server while it runs).
func (r *Redis) ScanCommand(prefix string) string {
	return r.CLI + " --scan --pattern '" + prefix + "*'"
}

// Addr is the address of the embedded server, or "" when Redis is external.
func (r *Redis) Addr() string {
	if r.embedded == nil {
		return ""
	}
	return r.embedded.Addr()
}

// Close closes the client and stops the embedded server, if any.
func (r *Redis) Close() error {
	err := r.Client.Close()
	if r.embedded != nil {
		r.embedded.Close()
	}
	return err
}

// newClient opens a client with the app's timeouts whose every command is
// recorded into the command log of the request that sent it, so the page
// can show a request's Redis traffic.
func newClient(opts *redis.Options) *redis.Client {
	c := redis.NewClient(withTimeouts(opts))
	c.AddHook(commandRecorder{})
	return c
}

func withTimeouts(opts *redis.Options) *redis.Options {
	opts.DialTimeout = redisDialTimeout
	opts.ReadTimeout = redisIOTimeout
	opts.WriteTimeout = redisIOTimeout
	opts.PoolTimeout = redisIOTimeout
	opts.ContextTimeoutEnabled = true // request deadlines apply to socket reads too
	// One retry of a command, one retry of a dial: a refused connection is
	// reported at once instead of after the default five dials.
	opts.MaxRetries = 1
	opts.DialerRetries = 1
	// No CLIENT SETINFO or CLIENT MAINT_NOTIFICATIONS on connect: they are
	// noise in what the app shows of its Redis traffic, and miniredis and
	// older servers answer them with errors.
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return opts
}

// tlsFlags are redis-cli's TLS flags: --insecure when the app itself skips
// verification, so that the command works where the app does.
func tlsFlags(skipVerify bool) string {
	if skipVerify {
		return " --tls --insecure"
	}
	return " --tls"
}

// cliCommand builds a redis-cli invocation for opts without its password:
// --askpass makes redis-cli prompt for it instead.
func cliCommand(opts *redis.Options, skipVerify bool) string {
	args := []string{"redis-cli"}
	if opts.Network == "unix" {
		args = append(args, "-s", opts.Addr)
	} else if host, port, err := net.SplitHostPort(opts.Addr); err == nil {
		args = append(args, "-h", host, "-p", port)
	}
	if opts.TLSConfig != nil {
		args = append(args, strings.TrimSpace(tlsFlags(skipVerify)))
	}
	if opts.Username != "" {
		args = append(args, "--user", opts.Username)
	}
	if opts.Password != "" {
		args = append(args, "--askpass")
	}
	if opts.DB != 0 {
		args = append(args, "-n", fmt.Sprint(opts.DB))
	}
	return strings.Join(args, " ")
}
