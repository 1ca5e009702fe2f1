package redisconn

import (
	"crypto/tls"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// cliCommand builds a redis-cli invocation for opts without its password:
// --askpass makes redis-cli prompt for it instead.
func cliCommand(opts *redis.Options, skipVerify bool) string {
	args := []string{"redis-cli"}
	if opts.Network == "unix" {
		args = append(args, "-s", opts.Addr)
	} else if host, port, err := net.SplitHostPort(opts.Addr); err == nil {
		args = append(args, "-h", host, "-p", port)
	}
	if opts.TLSConfig != nil {
		args = append(args, strings.TrimSpace(tlsFlags(skipVerify)))
	}
	if opts.Username != "" {
		args = append(args, "--user", opts.Username)
	}
	if opts.Password != "" {
		args = append(args, "--askpass")
	}
	if opts.DB != 0 {
		args = append(args, "-n", strconv.Itoa(opts.DB))
	}
	return strings.Join(args, " ")
}

// clusterCLI reaches a cluster through one of its nodes; -c makes redis-cli
// follow the MOVED redirections to the node that holds a key.
func clusterCLI(node string) string {
	return "redis-cli -c" + hostPortFlags(node)
}

// sentinelCLI reaches the master that the sentinel at addr names now: the
// master moves on failover, so the command asks the sentinel each time.
func sentinelCLI(addr, master string) string {
	return "redis-cli $(redis-cli" + hostPortFlags(addr) +
		" SENTINEL get-master-addr-by-name " + master + " | xargs printf -- '-h %s -p %s')"
}

// hostPortFlags are redis-cli's -h and -p flags for addr, with a leading
// space, or "" when addr is no host:port.
func hostPortFlags(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return " -h " + host + " -p " + port
}

// tlsFlags are redis-cli's TLS flags, with a leading space: --insecure when
// the app itself skips verification, so that the command works where the
// app does.
func tlsFlags(skipVerify bool) string {
	if skipVerify {
		return " --tls --insecure"
	}
	return " --tls"
}

// skipVerify turns certificate verification off on request only; it stays on
// by default, so that rediss:// means an authenticated server.
func skipVerify(t *tls.Config, skip bool) {
	if t != nil && skip {
		t.InsecureSkipVerify = true
	}
}
