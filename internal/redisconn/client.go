package redisconn

import (
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"redis-session-demo/internal/commandlog"
)

// Timeouts of the Redis client. With them an unreachable Redis fails a
// request quickly (the app answers 503) instead of hanging it; the request
// deadline of the web app bounds the sum.
const (
	// DialTimeout bounds opening a connection.
	DialTimeout = 1 * time.Second
	// IOTimeout bounds each read and write, and the wait for a free
	// connection of the pool.
	IOTimeout = 500 * time.Millisecond
	// BufferSize is each connection's read and write buffer, pipelines'
	// included. go-redis's defaults (32 KiB, and 128 KiB for its pipeline
	// pool) are for big batches; a session and its commands take a few
	// hundred bytes, and under load those buffers were a fifth of the app's
	// memory. A longer reply or command still goes through, in more reads
	// or writes.
	BufferSize = 8 << 10
)

// NewClient opens a client with the app's timeouts (set in opts) whose every
// command is recorded into the command log of the request that sent it, so
// the page can show a request's Redis traffic.
func NewClient(opts *redis.Options) *redis.Client {
	c := redis.NewClient(withTimeouts(opts))
	c.AddHook(commandlog.Hook{})
	return c
}

func withTimeouts(opts *redis.Options) *redis.Options {
	opts.DialTimeout = DialTimeout
	opts.ReadTimeout = IOTimeout
	opts.WriteTimeout = IOTimeout
	opts.PoolTimeout = IOTimeout
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
	opts.ReadBufferSize, opts.WriteBufferSize = BufferSize, BufferSize
	opts.PipelineReadBufferSize, opts.PipelineWriteBufferSize = BufferSize, BufferSize
	return opts
}

// universalWithTimeouts is withTimeouts for the other options type (go-redis
// has no interface over its option structs); keep the two in step, which
// TestTimeoutsInStep checks.
func universalWithTimeouts(u *redis.UniversalOptions) *redis.UniversalOptions {
	u.DialTimeout, u.ReadTimeout, u.WriteTimeout, u.PoolTimeout = DialTimeout, IOTimeout, IOTimeout, IOTimeout
	u.ContextTimeoutEnabled, u.MaxRetries, u.DialerRetries = true, 1, 1
	u.DisableIdentity = true
	u.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	u.ReadBufferSize, u.WriteBufferSize = BufferSize, BufferSize
	u.PipelineReadBufferSize, u.PipelineWriteBufferSize = BufferSize, BufferSize
	return u
}
