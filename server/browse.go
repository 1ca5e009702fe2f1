package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// maxListed is how many sessions /sessions shows; it counts them all.
const maxListed = 100

// sessionRow is one session key as /sessions shows it: another visitor's ID
// is masked and no session's values are ever read.
type sessionRow struct {
	ShownKey string // the key, with the ID masked unless it is the visitor's
	TTLms    int64
	Bytes    int64
	Own      bool
}

// sessionsPage is the data of /sessions.
type sessionsPage struct {
	page
	Prefix string
	Rows   []sessionRow
	Total  int
	CLI    string
}

// showSessions lists the session keys under the prefix, like the Redis
// viewer in the tutorial, but safe to deploy: SCAN, never KEYS; masked IDs;
// no values. It creates no session.
func (a *App) showSessions(c echo.Context) error {
	rows, total, err := a.sessions.list(c.Request().Context(), a.sessions.cookieID(c.Request()))
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "sessions", sessionsPage{
		page:   a.page(c, "sessions.title"),
		Prefix: a.sessions.prefix,
		Rows:   rows,
		Total:  total,
		CLI:    a.redis.ScanCommand(a.sessions.prefix),
	})
}

// list scans every key under the prefix, counts them, and reads the TTL and
// size of the first maxListed in one pipelined round trip.
func (s *sessionStore) list(ctx context.Context, ownID string) ([]sessionRow, int, error) {
	var keys []string
	total := 0
	err := scanAll(ctx, s.rdb, s.prefix+"*", func(key string) {
		total++
		if len(keys) < maxListed {
			keys = append(keys, key)
		}
	})
	if err != nil {
		return nil, 0, unavailable(err)
	}
	ttls := make([]*redis.DurationCmd, len(keys))
	sizes := make([]*redis.IntCmd, len(keys))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range keys {
			ttls[i] = p.PTTL(ctx, key)
			sizes[i] = p.StrLen(ctx, key)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, unavailable(err)
	}
	rows := make([]sessionRow, 0, len(keys))
	for i, key := range keys {
		id := strings.TrimPrefix(key, s.prefix)
		row := sessionRow{ShownKey: s.prefix + maskID(id), TTLms: milliseconds(ttls[i].Val()), Bytes: sizes[i].Val()}
		if ownID != "" && id == ownID {
			row.ShownKey, row.Own = key, true
		}
		rows = append(rows, row)
	}
	// The longest TTL first: the sessions used most recently.
	slices.SortFunc(rows, func(x, y sessionRow) int { return cmp.Compare(y.TTLms, x.TTLms) })
	return rows, total, nil
}

// scanAll calls found for every key matching pattern. SCAN walks one
// server, so in a Redis Cluster it walks each master in turn.
func scanAll(ctx context.Context, rdb redis.UniversalClient, pattern string, found func(key string)) error {
	walk := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			found(iter.Val())
		}
		return iter.Err()
	}
	cluster, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return walk(ctx, rdb)
	}
	var mu sync.Mutex // ForEachMaster runs the masters in parallel
	return cluster.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return walk(ctx, master)
	})
}

// maskID keeps a short prefix of another visitor's ID: enough to tell rows
// apart, far too little to use.
func maskID(id string) string {
	if len(id) <= 4 {
		return "…"
	}
	return id[:4] + "…"
}
