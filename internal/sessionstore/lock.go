package sessionstore

import (
	"context"
	"math/rand/v2"
	"time"
)

// Why a lock and not WATCH/MULTI: every change is load, edit, save, and the
// save goes through the stock store, which writes with a plain SET on its
// own connection; WATCH would need the load and the save on one connection
// inside one transaction, which that store cannot do. A lock also serializes
// 30 writers to one session in 30 turns, where optimistic retries would
// redo most of the work on every conflict. The lock is a key of its own
// (SET key token PX ttl NX), so it works across app instances and in Redis
// Cluster.
const (
	// Waiters poll with a growing pause, capped so that a queue of 30 turns
	// still drains well within a request's deadline.
	lockFirstPause = time.Millisecond
	lockMaxPause   = 20 * time.Millisecond
	// releaseTimeout bounds the unlock, which runs even after the request's
	// own deadline has passed.
	releaseTimeout = 500 * time.Millisecond
)

// unlockScript deletes the lock only if this request still holds it. It is
// sent whole with EVAL: at 90 bytes that is cheap, it needs no script cache
// (so no NOSCRIPT retry after a Redis restart), and the page shows it as is.
const unlockScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`

// withLock runs fn while holding the lock of session id. Waiting ends with
// ErrBusy when ctx ends first.
func (s *Store) withLock(ctx context.Context, id string, fn func(context.Context) error) error {
	key := s.opts.Keys.Lock(id)
	token, err := NewID() // any unguessable value will do
	if err != nil {
		return err
	}
	pause := lockFirstPause
	for waited := false; ; waited = true {
		ok, err := s.rdb.SetNX(ctx, key, token, s.opts.LockTTL).Result()
		if err != nil {
			// The SET may have run: release whatever of ours it left.
			s.release(ctx, key, token)
			if waited && ctx.Err() != nil {
				// The deadline came while waiting for another change.
				return ErrBusy
			}
			return unavailable(err)
		}
		if !ok {
			// go-redis sends a command again when its reply is lost; the
			// second SET NX then finds the first one's lock, which is ours.
			held, _ := s.rdb.Get(ctx, key).Result()
			ok = held == token
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return ErrBusy
		case <-time.After(pause/2 + rand.N(pause)): // jitter spreads the waiters out
		}
		pause = min(2*pause, lockMaxPause)
	}
	defer s.release(ctx, key, token)
	return fn(ctx)
}

// release deletes the lock key if it still holds token, also when ctx was
// cancelled meanwhile. A lock it cannot delete expires after LockTTL.
func (s *Store) release(ctx context.Context, key, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	s.rdb.Eval(ctx, unlockScript, []string{key}, token)
}
