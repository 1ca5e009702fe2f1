package redistest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"redis-session-demo/internal/redisconn"
)

// TestDeleteKeysOnCluster deletes keys spread over the three masters of a
// Redis Cluster, which a single DEL of many keys cannot do.
func TestDeleteKeysOnCluster(t *testing.T) {
	var addrs []string
	for _, n := range NeedServer(t).StartCluster(3) {
		addrs = append(addrs, n.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })
	prefix := Prefix(t)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := cc.Set(ctx, prefix+"probe", "v", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster takes no writes: %v", err)
		}
	}
	const n = 30
	for i := range n {
		if err := cc.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		found := 0
		if err := redisconn.ScanKeys(ctx, cc, prefix+"*", func(string) { found++ }); err != nil {
			t.Fatal(err)
		}
		return found
	}
	if got := count(); got != n+1 {
		t.Fatalf("ScanKeys found %d keys on the masters, want %d", got, n+1)
	}
	DeleteKeys(t, cc, prefix+"*")
	if got := count(); got != 0 {
		t.Errorf("%d keys left after DeleteKeys", got)
	}
}
