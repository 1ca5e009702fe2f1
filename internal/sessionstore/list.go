package sessionstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"redis-session-demo/internal/redisconn"

	"github.com/redis/go-redis/v9"
)

// Row is one stored session as a list of sessions shows it: never its
// values.
type Row struct {
	ID    string
	TTL   time.Duration
	Bytes int64
}

// Listing is one look at the stored sessions.
type Listing struct {
	Rows []Row // up to the limit asked for, the most recently used first
	// Total counts the sessions found; when Complete is false the scan
	// stopped at its budget and there are at least Total.
	Total    int
	Complete bool
}

// List scans the session keys (SCAN, never KEYS) with at most maxScans SCAN
// calls per Redis server, each examining about 1000 keys, counts the
// sessions it finds, and reads the TTL and size of up to limit of them in
// one pipelined round trip. Keys under the prefix that are not shaped like
// a session ID of this store, or hold anything but a string, are neither
// listed nor counted.
func (s *Store) List(ctx context.Context, limit, maxScans int) (Listing, error) {
	var ids []string
	var l Listing
	complete, err := redisconn.ScanStrings(ctx, s.rdb, s.opts.Keys.Pattern(), maxScans, func(key string) {
		id, ok := s.opts.Keys.ID(key)
		if !ok {
			return
		}
		l.Total++
		if len(ids) < limit {
			ids = append(ids, id)
		}
	})
	if err != nil {
		return Listing{}, unavailable(err)
	}
	l.Complete = complete
	ttls := make([]*redis.DurationCmd, len(ids))
	sizes := make([]*redis.IntCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			ttls[i] = p.PTTL(ctx, s.opts.Keys.Session(id))
			sizes[i] = p.StrLen(ctx, s.opts.Keys.Session(id))
		}
		return nil
	})
	// An error reply (a key that changed type since the scan) spoils one
	// row, not the list; any other error means Redis is gone.
	if err != nil && !errors.Is(err, redis.Nil) && !isReply(err) {
		return Listing{}, unavailable(err)
	}
	for i, id := range ids {
		if sizes[i].Err() != nil || ttls[i].Err() != nil || ttls[i].Val() == -2*time.Nanosecond {
			l.Total-- // gone or changed since the scan
			continue
		}
		l.Rows = append(l.Rows, Row{ID: id, TTL: ttls[i].Val(), Bytes: sizes[i].Val()})
	}
	slices.SortFunc(l.Rows, func(x, y Row) int { return cmp.Compare(y.TTL, x.TTL) })
	return l, nil
}
