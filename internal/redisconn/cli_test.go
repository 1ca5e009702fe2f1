package redisconn

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestCLICommand(t *testing.T) {
	for _, tc := range []struct {
		name, url  string
		skipVerify bool
		want       string
	}{
		{"tcp", "redis://127.0.0.1:6379", false, "redis-cli -h 127.0.0.1 -p 6379"},
		{"host name, default port", "redis://cache.internal", false, "redis-cli -h cache.internal -p 6379"},
		{"IPv6", "redis://[::1]:7000", false, "redis-cli -h ::1 -p 7000"},
		{"unix socket", "unix:///run/redis/redis.sock", false, "redis-cli -s /run/redis/redis.sock"},
		{"unix socket with DB", "unix:///run/redis/redis.sock?db=3", false, "redis-cli -s /run/redis/redis.sock -n 3"},
		{"TLS", "rediss://redis.example:6380", false, "redis-cli -h redis.example -p 6380 --tls"},
		{"TLS, insecure", "rediss://redis.example:6380", true, "redis-cli -h redis.example -p 6380 --tls --insecure"},
		{"insecure without TLS", "redis://redis.example:6380", true, "redis-cli -h redis.example -p 6380"},
		{"password", "redis://:s3cret@127.0.0.1:6379", false, "redis-cli -h 127.0.0.1 -p 6379 --askpass"},
		{"username and password", "redis://app:s3cret@127.0.0.1:6379", false, "redis-cli -h 127.0.0.1 -p 6379 --user app --askpass"},
		{"DB", "redis://127.0.0.1:6379/2", false, "redis-cli -h 127.0.0.1 -p 6379 -n 2"},
		{"everything", "rediss://app:s3cret@redis.example:6380/5", true,
			"redis-cli -h redis.example -p 6380 --tls --insecure --user app --askpass -n 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := redis.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got := cliCommand(opts, tc.skipVerify)
			if got != tc.want {
				t.Errorf("cliCommand(%s) = %q, want %q", tc.url, got, tc.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("cliCommand(%s) = %q shows the password", tc.url, got)
			}
		})
	}
}

func TestHostPortFlags(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:6379", " -h 127.0.0.1 -p 6379"},
		{"redis.example:26379", " -h redis.example -p 26379"},
		{"[::1]:7000", " -h ::1 -p 7000"},
		{"[fe80::1%eth0]:7000", " -h fe80::1%eth0 -p 7000"},
		{"127.0.0.1", ""},
		{"::1", ""},
		{"", ""},
		{"not an address", ""},
		{"a:b:c", ""},
	} {
		if got := hostPortFlags(tc.addr); got != tc.want {
			t.Errorf("hostPortFlags(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestTLSFlags(t *testing.T) {
	for _, tc := range []struct {
		skipVerify bool
		want       string
	}{
		{false, " --tls"},
		{true, " --tls --insecure"},
	} {
		if got := tlsFlags(tc.skipVerify); got != tc.want {
			t.Errorf("tlsFlags(%v) = %q, want %q", tc.skipVerify, got, tc.want)
		}
	}
}

func TestSkipVerify(t *testing.T) {
	for _, tc := range []struct {
		name       string
		config     *tls.Config
		skip, want bool
	}{
		{"verified by default", &tls.Config{}, false, false},
		{"skipped on request", &tls.Config{}, true, true},
		{"an insecure config stays so", &tls.Config{InsecureSkipVerify: true}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skipVerify(tc.config, tc.skip)
			if tc.config.InsecureSkipVerify != tc.want {
				t.Errorf("InsecureSkipVerify = %v, want %v", tc.config.InsecureSkipVerify, tc.want)
			}
		})
	}
	skipVerify(nil, true) // no TLS: nothing to change, and no panic
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"dev.blog:*", "'dev.blog:*'"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's:*", `'it'\''s:*'`},
		{"$(reboot)", "'$(reboot)'"},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
