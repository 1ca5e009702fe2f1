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

// List scans every session key (SCAN, never KEYS), counts them, and reads
// the TTL and size of up to limit of them in one pipelined round trip, the
// most recently used (longest TTL) first. Keys under the prefix that are
// not shaped like a session ID of this store, or that hold anything but a
// string, are neither listed nor counted.
func (s *Store) List(ctx context.Context, limit int) ([]Row, int, error) {
	var ids []string
	total := 0
	err := redisconn.ScanStrings(ctx, s.rdb, s.opts.Keys.Pattern(), func(key string) {
		id, ok := s.opts.Keys.ID(key)
		if !ok {
			return
		}
		total++
		if len(ids) < limit {
			ids = append(ids, id)
		}
	})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	ttls := make([]*redis.DurationCmd, len(ids))
	sizes := make([]*redis.IntCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			ttls[i] = p.PTTL(ctx, s.opts.Keys.Session(id))
			sizes[i] = p.StrLen(ctx, s.opts.Keys.Session(id))
		}
		return nil
	})
	// An error reply (WRONGTYPE: some other app's hash under the prefix)
	// spoils one row, not the list; any other error means Redis is gone.
	var reply redis.Error
	if err != nil && !errors.Is(err, redis.Nil) && !errors.As(err, &reply) {
		return nil, 0, unavailable(err)
	}
	rows := make([]Row, 0, len(ids))
	for i, id := range ids {
		if sizes[i].Err() != nil || ttls[i].Err() != nil {
			total--
			continue
		}
		rows = append(rows, Row{ID: id, TTL: ttls[i].Val(), Bytes: sizes[i].Val()})
	}
	slices.SortFunc(rows, func(x, y Row) int { return cmp.Compare(y.TTL, x.TTL) })
	return rows, total, nil
}
