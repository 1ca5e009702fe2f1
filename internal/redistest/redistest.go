// Package redistest holds the Redis helpers that tests of several packages
// share: a connection to the Redis the tests run against, key prefixes of a
// test's own, redis-server processes a test starts, stops and restarts, and
// a server a test can take down for an outage.
//
// Tests run against TEST_REDIS_URL when it is set and against the embedded
// server otherwise, so that `go test ./...` passes anywhere while CI proves
// the real thing. With REQUIRE_REDIS=1 a missing Redis fails a test instead
// of skipping it, so that CI cannot pass by skipping.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"redis-session-demo/internal/redisconn"
)

// required reports REQUIRE_REDIS=1: CI sets it so that a test which cannot
// reach or start Redis fails instead of skipping.
func required() bool { return os.Getenv("REQUIRE_REDIS") == "1" }

// Connect connects to TEST_REDIS_URL when it is set, and otherwise starts the
// embedded server, with the app's own client (timeouts and command log
// included); it closes the connection when the test ends. An unreachable
// TEST_REDIS_URL skips the test, or fails it under REQUIRE_REDIS=1.
func Connect(t testing.TB) *redisconn.Conn {
	t.Helper()
	conn, err := redisconn.Connect(redisconn.Settings{URL: os.Getenv("TEST_REDIS_URL")})
	if err != nil {
		t.Fatalf("connect to Redis: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := conn.Client.Ping(ctx).Err(); err != nil {
		if required() {
			t.Fatalf("REQUIRE_REDIS=1 but TEST_REDIS_URL does not answer: %v", err)
		}
		Skip(t, fmt.Sprintf("TEST_REDIS_URL does not answer (%v); unset it to test against the embedded server", err))
	}
	return conn
}

// ExternalURL returns TEST_REDIS_URL, for a test that needs a real
// redis-server of its own rather than the embedded one. Unset, it skips the
// test, or fails it under REQUIRE_REDIS=1.
func ExternalURL(t testing.TB, why string) string {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		if required() {
			t.Fatalf("REQUIRE_REDIS=1 but TEST_REDIS_URL is not set (%s)", why)
		}
		Skip(t, "set TEST_REDIS_URL=redis://127.0.0.1:6379: "+why)
	}
	return url
}

// Behind returns a connection that reaches the test Redis (the one Connect
// gives) through a FaultProxy, with the app's own client settings
// (redisconn.NewClient: its timeouts, one retry, the command log), and the
// proxy that injects the faults. The connection closes when the test ends.
func Behind(t testing.TB, direct *redisconn.Conn) (*redisconn.Conn, *FaultProxy) {
	t.Helper()
	target := direct.Addr()
	if target == "" {
		opts, err := redis.ParseURL(os.Getenv("TEST_REDIS_URL"))
		if err != nil {
			t.Fatalf("TEST_REDIS_URL: %v", err)
		}
		target = opts.Addr
	}
	proxy := NewFaultProxy(t, target)
	c := redisconn.NewClient(&redis.Options{Addr: proxy.Addr()})
	t.Cleanup(func() { c.Close() })
	return &redisconn.Conn{Client: c, CLI: direct.CLI}, proxy
}

// Prefix is a random key prefix of the test's own, such as
// "test-3f9a0c7e51d2:", so that tests sharing one Redis never see each
// other's keys.
func Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return "test-" + hex.EncodeToString(b) + ":"
}

// DeleteKeys removes every key that matches one of the SCAN patterns, on
// every master of a cluster. It is meant for t.Cleanup, registered after the
// connection so that it runs before the connection closes:
//
//	t.Cleanup(func() { redistest.DeleteKeys(t, conn.Client, prefix+"*") })
//
// Failures are logged, not reported as errors: a test of an outage may end
// with Redis down, and its keys then die with the server.
func DeleteKeys(t testing.TB, rdb redis.UniversalClient, patterns ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var keys []string
	for _, pattern := range patterns {
		if err := redisconn.ScanKeys(ctx, rdb, pattern, func(key string) { keys = append(keys, key) }); err != nil {
			t.Logf("delete the test's keys: SCAN %s: %v", pattern, err)
			return
		}
	}
	if len(keys) == 0 {
		return
	}
	// One DEL per key, pipelined: a single DEL of many keys fails with
	// CROSSSLOT on a cluster, whose client splits a pipeline by node.
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, key := range keys {
			p.Del(ctx, key)
		}
		return nil
	})
	if err != nil {
		t.Logf("delete the test's %d keys: %v", len(keys), err)
	}
}
