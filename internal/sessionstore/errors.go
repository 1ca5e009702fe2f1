package sessionstore

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The errors of the store say what happened; the web layer decides what a
// visitor is told. Test for them with errors.Is: the Redis error, where
// there is one, is wrapped beside them.
var (
	// ErrNotFound means the session a change names is not in Redis: it
	// expired, or another request destroyed or rotated it.
	ErrNotFound = errors.New("session expired or destroyed")
	// ErrBusy means another change to the same session held its lock for
	// as long as the caller could wait.
	ErrBusy = errors.New("session busy with another change")
	// ErrUnavailable means Redis did not answer, or answered with an error:
	// nothing was written, or the write is known to have failed.
	ErrUnavailable = errors.New("redis unavailable")
	// ErrOutcomeUnknown means a write was sent and Redis did not confirm it
	// in time: it may or may not have been applied. Such an error wraps
	// ErrUnavailable too. The next read shows what Redis holds.
	ErrOutcomeUnknown = errors.New("redis did not confirm the write: its outcome is unknown")
	// ErrRateLimited means the client has made as many new sessions as
	// Options.NewPerMinute allows; the error is a *LimitError.
	ErrRateLimited = errors.New("too many new sessions from this client")
	// ErrUnreadable means what Redis holds under the session key is not a
	// session this store can use: bytes the serializer cannot read (for
	// example after SESSION_SERIALIZER changed), a key of another type, a
	// value over MaxStoredBytes; or values the serializer cannot write.
	ErrUnreadable = errors.New("stored session unreadable")
)

// unavailable wraps a failed Redis call.
func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }

// writeFailed wraps the failure of a write: only ErrUnavailable when Redis
// surely did not apply it (it answered with an error, or no connection was
// made), else ErrOutcomeUnknown too, because the command may have reached
// Redis and run there although its reply never came back.
func writeFailed(err error) error {
	if notSent(err) {
		return unavailable(err)
	}
	return fmt.Errorf("%w: %w: %w", ErrOutcomeUnknown, ErrUnavailable, err)
}

// notSent reports errors after which Redis surely did not apply a command:
// an error reply, or a connection that was never made.
func notSent(err error) bool {
	var reply redis.Error
	var op *net.OpError
	switch {
	case errors.As(err, &reply), errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted),
		errors.Is(err, redis.ErrClosed), errors.Is(err, syscall.ECONNREFUSED):
		return true
	case errors.As(err, &op):
		return op.Op == "dial"
	}
	return false
}

// isReply reports an error reply of Redis itself (WRONGTYPE, OOM, ...), as
// opposed to a failure to reach it.
func isReply(err error) bool {
	var reply redis.Error
	return errors.As(err, &reply) && !errors.Is(err, redis.Nil)
}

// LimitError is ErrRateLimited with the time until the client may try
// again.
type LimitError struct{ RetryAfter time.Duration }

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: try again in %v", ErrRateLimited, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true for a *LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrRateLimited }
