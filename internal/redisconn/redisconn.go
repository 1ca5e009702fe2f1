// Package redisconn connects the app to its Redis: a standalone server, a
// cluster, a sentinel-managed master, or an embedded Redis-protocol server
// when none is given. It also builds the redis-cli command that reaches the
// same server, so the page can tell a learner how to look for themselves.
package redisconn

import (
	"fmt"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"redis-session-demo/internal/commandlog"
)

// Conn is the connection the app keeps its sessions on, together with what
// the page needs to tell a person how to look at the same server.
type Conn struct {
	// Client is shared by every request; it reconnects by itself after an
	// outage.
	Client redis.UniversalClient
	// Embedded reports that Client talks to the in-process miniredis server.
	Embedded bool
	// CLI is the start of a one-shot redis-cli command that reaches the same
	// server, such as "redis-cli -h 127.0.0.1 -p 6379". It never holds a
	// password.
	CLI string

	embedded *miniredis.Miniredis
	// addr is the embedded server's address, kept because miniredis's own
	// Addr panics once the server is closed.
	addr string
}

// Settings say which Redis to use and how to reach it.
type Settings struct {
	// URL is a redis://, rediss:// or unix:// URL; empty starts the embedded
	// server. In cluster mode it names one node (more with ?addr=host:port),
	// in sentinel mode a sentinel (?master_name=NAME is required).
	URL string
	// Mode is "standalone", "cluster" or "sentinel"; anything else counts as
	// standalone, so the caller validates it.
	Mode string
	// TLSSkipVerify accepts any server certificate on rediss://, for
	// platforms whose Redis has a self-signed one (Heroku's does).
	TLSSkipVerify bool
}

// Connect connects to the Redis that s names, or starts the embedded
// Redis-protocol server on a free loopback port when s.URL is empty. It does
// not wait for the server to answer: the app starts while Redis is down and
// answers 503 until it is back. The error texts name REDIS_URL, the variable
// the URL comes from.
func Connect(s Settings) (*Conn, error) {
	if s.URL == "" {
		return startEmbedded()
	}
	switch s.Mode {
	case "cluster":
		co, err := redis.ParseClusterURL(s.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %w", err)
		}
		u := &redis.UniversalOptions{Addrs: co.Addrs, Username: co.Username, Password: co.Password,
			TLSConfig: co.TLSConfig, IsClusterMode: true}
		return connectUniversal(u, s, clusterCLI(co.Addrs[0]))
	case "sentinel":
		fo, err := redis.ParseFailoverURL(s.URL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel): %w", err)
		}
		if fo.MasterName == "" {
			return nil, fmt.Errorf("REDIS_URL (sentinel): add ?master_name=NAME")
		}
		u := &redis.UniversalOptions{Addrs: fo.SentinelAddrs, MasterName: fo.MasterName,
			SentinelUsername: fo.SentinelUsername, SentinelPassword: fo.SentinelPassword,
			Username: fo.Username, Password: fo.Password, DB: fo.DB, TLSConfig: fo.TLSConfig}
		return connectUniversal(u, s, sentinelCLI(fo.SentinelAddrs[0], fo.MasterName))
	}
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	skipVerify(opts.TLSConfig, s.TLSSkipVerify)
	return &Conn{Client: NewClient(opts), CLI: cliCommand(opts, s.TLSSkipVerify)}, nil
}

// connectUniversal opens the cluster or failover client u describes; cli
// is its redis-cli command without the TLS flags.
func connectUniversal(u *redis.UniversalOptions, s Settings, cli string) (*Conn, error) {
	skipVerify(u.TLSConfig, s.TLSSkipVerify)
	c := redis.NewUniversalClient(universalWithTimeouts(u))
	c.AddHook(commandlog.Hook{})
	if u.TLSConfig != nil {
		cli += tlsFlags(s.TLSSkipVerify)
	}
	return &Conn{Client: c, CLI: cli}, nil
}

// startEmbedded runs miniredis in this process. ClockTTL makes keys expire as
// real time passes; without it miniredis only expires them on FastForward.
func startEmbedded() (*Conn, error) {
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true)
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded Redis: %w", err)
	}
	opts := &redis.Options{Addr: m.Addr()}
	return &Conn{
		Client:   NewClient(opts),
		Embedded: true,
		CLI:      cliCommand(opts, false),
		embedded: m,
		addr:     m.Addr(),
	}, nil
}

// ScanCommand is a one-shot redis-cli command that lists the keys matching
// the SCAN pattern, such as "dev.blog:*", with SCAN (never KEYS, which blocks
// the server while it runs). The caller derives pattern from its key scheme.
func (c *Conn) ScanCommand(pattern string) string {
	return c.CLI + " --scan --pattern " + shellQuote(pattern)
}

// Addr is the address of the embedded server, or "" when Redis is external.
func (c *Conn) Addr() string { return c.addr }

// Close closes the client and stops the embedded server, if any.
func (c *Conn) Close() error {
	err := c.Client.Close()
	if c.embedded != nil {
		c.embedded.Close()
	}
	return err
}

// shellQuote puts s in single quotes for a POSIX shell, so that the glob
// characters of a pattern reach redis-cli unexpanded. A single quote inside
// closes the quotes, is escaped with a backslash and opens them again.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
