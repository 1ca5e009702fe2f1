package server

import (
	"os"
	"strings"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8080 || cfg.MaxAge != 120 || cfg.CookieName != "web.engineer" || cfg.KeyPrefix != "dev.blog:" ||
		cfg.Serializer != "json" || cfg.Production || cfg.Redis.URL != "" || cfg.Redis.Mode != "standalone" || len(cfg.TrustedProxies) != 6 ||
		cfg.NewSessionsPerMinute != 120 || len(cfg.PublicHosts) != 0 {
		t.Errorf("defaults: %+v", cfg)
	}
	if !cfg.SecretGenerated || len(cfg.Secret) < MinSecretBytes {
		t.Errorf("no random secret outside production: %d bytes", len(cfg.Secret))
	}
	other, _ := ConfigFromEnv(env(nil))
	if string(other.Secret) == string(cfg.Secret) {
		t.Errorf("two starts generated the same secret")
	}
}

func TestConfigFromEnv(t *testing.T) {
	secret := strings.Repeat("s", 32)
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string // parts of the error; none means valid
		ok   func(Config) bool
	}{
		{"all set", map[string]string{
			"PORT": "9000", "REDIS_URL": "rediss://u:p@host:6380/1", "SESSION_SECRET": secret, "SESSION_MAX_AGE": "2",
			"SESSION_COOKIE_NAME": "sid", "SESSION_KEY_PREFIX": "app:s:", "SESSION_SERIALIZER": "gob", "APP_ENV": "production",
		}, nil, func(c Config) bool {
			return c.Port == 9000 && c.MaxAge == 2 && c.CookieName == "sid" && c.KeyPrefix == "app:s:" &&
				c.Serializer == "gob" && c.Production && string(c.Secret) == secret && !c.SecretGenerated
		}},
		{"unix socket", map[string]string{"REDIS_URL": "unix:///run/redis.sock"}, nil,
			func(c Config) bool { return c.Redis.URL == "unix:///run/redis.sock" }},
		{"REDIS_TLS_URL when REDIS_URL is unset", map[string]string{"REDIS_TLS_URL": "rediss://h:6380", "REDIS_TLS_SKIP_VERIFY": "true"}, nil,
			func(c Config) bool { return c.Redis.URL == "rediss://h:6380" && c.Redis.TLSSkipVerify }},
		{"REDIS_URL wins over REDIS_TLS_URL", map[string]string{"REDIS_URL": "redis://a:1", "REDIS_TLS_URL": "rediss://b:2"}, nil,
			func(c Config) bool { return c.Redis.URL == "redis://a:1" && !c.Redis.TLSSkipVerify }},
		{"cluster", map[string]string{"REDIS_URL": "redis://a:7000?addr=b:7001", "REDIS_MODE": "cluster"}, nil,
			func(c Config) bool { return c.Redis.Mode == "cluster" }},
		{"trusted proxies", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8"}, nil,
			func(c Config) bool { return len(c.TrustedProxies) == 2 && c.TrustedProxies[1].String() == "fd00::/8" }},
		{"sentinel without a URL", map[string]string{"REDIS_MODE": "sentinel"}, []string{"REDIS_MODE=sentinel needs REDIS_URL"}, nil},
		{"port 0 picks a free port", map[string]string{"PORT": "0"}, nil, func(c Config) bool { return c.Port == 0 }},
		{"production without secret", map[string]string{"APP_ENV": "production"}, []string{"SESSION_SECRET: required"}, nil},
		{"production with a short secret", map[string]string{"APP_ENV": "production", "SESSION_SECRET": "short"}, []string{"at least 32 bytes"}, nil},
		{"every bad variable at once", map[string]string{
			"PORT": "http", "SESSION_MAX_AGE": "0", "SESSION_COOKIE_NAME": "a b", "SESSION_KEY_PREFIX": "dev blog",
			"SESSION_SERIALIZER": "xml", "APP_ENV": "staging", "REDIS_URL": "http://x", "REDIS_MODE": "ring",
			"REDIS_TLS_SKIP_VERIFY": "maybe", "TRUSTED_PROXIES": "10.0.0.0/8,router",
		}, []string{"PORT=", "SESSION_MAX_AGE=", "SESSION_COOKIE_NAME=", "SESSION_KEY_PREFIX=", "SESSION_SERIALIZER=", "APP_ENV=", "REDIS_URL",
			"REDIS_MODE=", "REDIS_TLS_SKIP_VERIFY=", "TRUSTED_PROXIES"}, nil},
		{"port too large", map[string]string{"PORT": "65536"}, []string{"PORT="}, nil},
		{"rate limit off", map[string]string{"RATE_LIMIT_NEW_SESSIONS": "0"}, nil, func(c Config) bool { return c.NewSessionsPerMinute == 0 }},
		{"Express", map[string]string{"SESSION_COMPAT": "express", "SESSION_SECRET": "WANTEDSECRET", "SESSION_SECRET_PREVIOUS": "old1, old2"}, nil,
			func(c Config) bool {
				return c.Express && c.KeyPrefix == "dev.blog" && string(c.Secret) == "WANTEDSECRET" && len(c.PreviousSecrets) == 2 && string(c.PreviousSecrets[1]) == "old2"
			}},
		{"Express with a prefix of its own", map[string]string{"SESSION_COMPAT": "express", "SESSION_KEY_PREFIX": "app:"}, nil,
			func(c Config) bool { return c.Express && c.KeyPrefix == "app:" }},
		{"unknown compatibility", map[string]string{"SESSION_COMPAT": "rails"}, []string{"SESSION_COMPAT="}, nil},
		{"rate limit", map[string]string{"RATE_LIMIT_NEW_SESSIONS": "30"}, nil, func(c Config) bool { return c.NewSessionsPerMinute == 30 }},
		{"bad rate limit", map[string]string{"RATE_LIMIT_NEW_SESSIONS": "-1"}, []string{"RATE_LIMIT_NEW_SESSIONS="}, nil},
		{"public URLs", map[string]string{"PUBLIC_URL": "https://Demo.example.com, https://www.example.com:8443/"}, nil,
			func(c Config) bool {
				return len(c.PublicHosts) == 2 && c.PublicHosts[0] == "demo.example.com" && c.PublicHosts[1] == "www.example.com:8443"
			}},
		{"public URL with a path", map[string]string{"PUBLIC_URL": "https://demo.example.com/app"}, []string{"PUBLIC_URL"}, nil},
		{"public URL without a scheme", map[string]string{"PUBLIC_URL": "demo.example.com"}, []string{"PUBLIC_URL"}, nil},
		{"max age not a number", map[string]string{"SESSION_MAX_AGE": "2m"}, []string{"SESSION_MAX_AGE="}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(env(tc.vars))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tc.ok != nil && !tc.ok(cfg) {
					t.Errorf("config %+v", cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != len(tc.want) {
				t.Errorf("error has %d lines, want one per bad variable (%d):\n%v", lines, len(tc.want), err)
			}
		})
	}
}

// TestREADMEListsTheACLPatterns: the Redis ACL line the README gives covers
// exactly the keys the app writes, for the default prefix.
func TestREADMEListsTheACLPatterns(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range (Config{KeyPrefix: DefaultKeyPrefix}).Keys().ACLPatterns() {
		want = append(want, "~"+p)
	}
	if line := "`" + strings.Join(want, " ") + "`"; !strings.Contains(string(readme), line) {
		t.Errorf("README.md does not give the ACL patterns %s", line)
	}
}
