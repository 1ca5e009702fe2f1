package sessionstore

import (
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
)

// admitNew counts a new session of r's client against Options.NewPerMinute
// and refuses it once the client is over. The count lives in Redis, so all
// app instances share it: one key per client and minute, INCR and EXPIRE in
// one round trip, gone a minute after its window. A fixed window lets a
// client make up to twice the limit across a window's edge; for keeping a
// bot from filling Redis that is close enough, and the commands read as
// what they do.
func (s *Store) admitNew(r *http.Request) error {
	if s.opts.NewPerMinute <= 0 || s.opts.ClientOf == nil {
		return nil
	}
	ctx := r.Context()
	now := time.Now()
	window := now.Unix() / 60
	key := s.opts.Keys.NewSessions(s.opts.ClientOf(r), window)
	var count *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		count = p.Incr(ctx, key)
		p.Expire(ctx, key, 2*time.Minute)
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	if count.Val() > int64(s.opts.NewPerMinute) {
		windowEnd := time.Unix((window+1)*60, 0)
		return &LimitError{RetryAfter: windowEnd.Sub(now)}
	}
	return nil
}
