package redisconn

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ScanKeys calls found for every key matching pattern, one at a time. SCAN
// walks one server's keys only, so on a Redis Cluster it walks every master.
// It uses SCAN, never KEYS, which blocks the server while it runs.
func ScanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string, found func(key string)) error {
	return scan(ctx, rdb, pattern, "", found)
}

// ScanStrings is ScanKeys for the keys that hold strings (SCAN ... TYPE
// string): a hash or list of another app under the same pattern is passed
// over by Redis itself.
func ScanStrings(ctx context.Context, rdb redis.UniversalClient, pattern string, found func(key string)) error {
	return scan(ctx, rdb, pattern, "string", found)
}

func scan(ctx context.Context, rdb redis.UniversalClient, pattern, keyType string, found func(key string)) error {
	walk := func(ctx context.Context, c redis.Cmdable) error {
		var cmd *redis.ScanCmd
		if keyType == "" {
			cmd = c.Scan(ctx, 0, pattern, 1000)
		} else {
			cmd = c.ScanType(ctx, 0, pattern, 1000, keyType)
		}
		iter := cmd.Iterator()
		for iter.Next(ctx) {
			found(iter.Val())
		}
		return iter.Err()
	}
	cluster, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return walk(ctx, rdb)
	}
	// ForEachMaster runs the masters in parallel; the lock keeps found's
	// calls apart, so that callers need no lock of their own.
	var mu sync.Mutex
	return cluster.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return walk(ctx, master)
	})
}
