package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartCluster starts a Redis Cluster of masters nodes without replicas,
// joins them with `redis-cli --cluster create`, and waits (at most 20 s)
// until every node reports cluster_state:ok. Its nodes are killed when the
// test ends.
func (s *Servers) StartCluster(masters int) []*Process {
	s.t.Helper()
	nodes := make([]*Process, masters)
	addrs := make([]string, masters)
	for i := range nodes {
		nodes[i] = s.Start(fmt.Sprintf("node%d", i), ClusterPort, func(port int) []string {
			return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
				"--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(s.Dir, fmt.Sprintf("nodes-%d.conf", port)),
				"--cluster-node-timeout", "2000"}
		}, PingTCP)
		addrs[i] = nodes[i].Addr()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, s.CLI, create...).CombinedOutput(); err != nil {
		s.t.Fatalf("redis-cli %s: %v\n%s", strings.Join(create, " "), err, out)
	}
	for _, n := range nodes {
		c := redis.NewClient(&redis.Options{Addr: n.Addr()})
		err := n.WaitUntil(20*time.Second, func(ctx context.Context) error {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && !strings.Contains(info, "cluster_state:ok") {
				err = fmt.Errorf("CLUSTER INFO: %s", strings.SplitN(strings.TrimSpace(info), "\n", 2)[0])
			}
			return err
		})
		c.Close()
		if err != nil {
			s.t.Fatalf("%s never reported cluster_state:ok: %v\n%s", n.Name, err, n.LogTail())
		}
	}
	return nodes
}
