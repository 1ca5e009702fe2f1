package sessionstore

import (
	"errors"
	"fmt"
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
	// ErrUnreadable means the bytes stored under the session key are not a
	// session the configured serializer can read (or values it can write),
	// for example after SESSION_SERIALIZER changed.
	ErrUnreadable = errors.New("stored session unreadable")
)

// unavailable wraps a failed Redis call.
func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }
