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
	// ForEachMaster runs the masters in parallel; the lock keeps found's
	// calls apart, so that callers need no lock of their own.
	var mu sync.Mutex
	return cluster.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return walk(ctx, master)
	})
}

// ScanStrings calls found for keys matching pattern that hold strings
// (SCAN ... TYPE string: a hash or list of another app under the same
// pattern is passed over by Redis itself), with at most maxCalls SCAN
// calls per server (each examines about 1000 keys): the bound on the work
// one caller can make Redis do. complete reports that every key was
// examined.
func ScanStrings(ctx context.Context, rdb redis.UniversalClient, pattern string, maxCalls int, found func(key string)) (complete bool, err error) {
	complete = true
	var mu sync.Mutex // ForEachMaster runs the masters in parallel
	walk := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for range maxCalls {
			keys, next, err := c.ScanType(ctx, cursor, pattern, 1000, "string").Result()
			if err != nil {
				return err
			}
			mu.Lock()
			for _, k := range keys {
				found(k)
			}
			mu.Unlock()
			if cursor = next; cursor == 0 {
				return nil
			}
		}
		mu.Lock()
		complete = false
		mu.Unlock()
		return nil
	}
	if cluster, ok := rdb.(*redis.ClusterClient); ok {
		err = cluster.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error { return walk(ctx, master) })
	} else {
		err = walk(ctx, rdb)
	}
	return complete, err
}
