package server

import (
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

// ConnectRedis connects to the server at rawURL, or starts the embedded
// Redis-protocol server on a free loopback port when rawURL is empty. It does
// not wait for the server to answer: the app starts while Redis is down and
// answers 503 until it is back.
func ConnectRedis(rawURL string) (*Redis, error) {
	if rawURL == "" {
		return startEmbedded()
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return &Redis{Client: newClient(opts), CLI: cliCommand(opts)}, nil
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
		CLI:      cliCommand(opts),
		embedded: m,
	}, nil
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

// cliCommand builds a redis-cli invocation for opts without its password:
// --askpass makes redis-cli prompt for it instead.
func cliCommand(opts *redis.Options) string {
	args := []string{"redis-cli"}
	if opts.Network == "unix" {
		args = append(args, "-s", opts.Addr)
	} else if host, port, err := net.SplitHostPort(opts.Addr); err == nil {
		args = append(args, "-h", host, "-p", port)
	}
	if opts.TLSConfig != nil {
		args = append(args, "--tls")
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
