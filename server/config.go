package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"redis-session-demo/internal/redisconn"
	"redis-session-demo/internal/sessionstore"
)

// Config is the whole configuration of the app. It comes from environment
// variables only, so that a PaaS can set it; ConfigFromEnv documents every
// variable and its default.
type Config struct {
	// Port is the TCP port to listen on, on all interfaces (PORT).
	Port int
	// Redis says which Redis to use (REDIS_URL, or REDIS_TLS_URL when
	// REDIS_URL is unset; REDIS_MODE; REDIS_TLS_SKIP_VERIFY).
	Redis redisconn.Settings
	// TrustedProxies are the networks whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed (TRUSTED_PROXIES).
	TrustedProxies []*net.IPNet
	// Secret keys the CSRF tokens (SESSION_SECRET).
	Secret []byte
	// SecretGenerated reports that Secret was made up at start because
	// SESSION_SECRET was unset outside production.
	SecretGenerated bool
	// MaxAge is the session lifetime in seconds, both the Redis TTL and the
	// cookie's Max-Age (SESSION_MAX_AGE).
	MaxAge int
	// CookieName is the name of the session cookie (SESSION_COOKIE_NAME).
	CookieName string
	// KeyPrefix is put before the session ID to make the Redis key
	// (SESSION_KEY_PREFIX).
	KeyPrefix string
	// Serializer is how session values are stored: "json" or "gob"
	// (SESSION_SERIALIZER).
	Serializer string
	// Production turns on Secure cookies and requires a real secret
	// (APP_ENV=production).
	Production bool
	// PublicHosts are the host names (with port, if any) the app is reached
	// at from outside, taken from PUBLIC_URL (comma-separated origins such
	// as https://demo.example.com). In production the HTTP→HTTPS redirect
	// goes to the first unless the request's Host is one of them. Empty:
	// the redirect goes to the request's Host.
	PublicHosts []string
	// Express makes the app read and write sessions as express-session and
	// connect-redis do, sharing them with an Express app of the same secret,
	// cookie name and prefix (SESSION_COMPAT=express).
	Express bool
	// PreviousSecrets still verify signed Express cookies after the secret
	// changed (SESSION_SECRET_PREVIOUS, comma-separated).
	PreviousSecrets [][]byte
	// NewSessionsPerMinute limits how many new sessions one client address
	// may create per minute, across all instances (RATE_LIMIT_NEW_SESSIONS);
	// 0 turns the limit off.
	NewSessionsPerMinute int
}

// Defaults, taken from the tutorial this app re-creates.
const (
	DefaultPort       = 8080
	DefaultMaxAge     = 120 // the tutorial's cookie maxAge of 120000 ms
	DefaultCookieName = "web.engineer"
	DefaultKeyPrefix  = "dev.blog:" // the tutorial's "dev.blog" plus a separator
	ExpressKeyPrefix  = "dev.blog"  // the tutorial's own, with SESSION_COMPAT=express
	MinSecretBytes    = 32
	// DefaultTrustedProxies are loopback and the private ranges, where a
	// platform's router (Heroku, Render, Fly.io, Railway) connects from.
	DefaultTrustedProxies = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
	// DefaultNewSessionsPerMinute is RATE_LIMIT_NEW_SESSIONS's default.
	DefaultNewSessionsPerMinute = 120
)

var (
	cookieNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	// The prefix is shown inside shell commands on the page, so it is kept
	// to characters that need no quoting.
	keyPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{0,64}$`)
)

// ConfigFromEnv reads and validates the configuration. It reports every bad
// variable at once, each on its own line.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Port:       DefaultPort,
		Redis:      redisconn.Settings{URL: strings.TrimSpace(getenv("REDIS_URL")), Mode: "standalone"},
		MaxAge:     DefaultMaxAge,
		CookieName: DefaultCookieName,
		KeyPrefix:  DefaultKeyPrefix,
		Serializer: "json",
		// A classroom behind one NAT opens a few sessions per learner; a
		// bot filling Redis opens hundreds a second.
		NewSessionsPerMinute: DefaultNewSessionsPerMinute,
	}
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	switch env := getenv("APP_ENV"); env {
	case "", "development":
	case "production":
		cfg.Production = true
	default:
		bad("APP_ENV=%q: want development or production", env)
	}
	if v := getenv("PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 0 || port > 65535 {
			bad("PORT=%q: want a port number from 0 to 65535", v)
		}
		cfg.Port = port
	}
	if v := getenv("SESSION_MAX_AGE"); v != "" {
		age, err := strconv.Atoi(v)
		if err != nil || age < 1 || age > 365*24*3600 {
			bad("SESSION_MAX_AGE=%q: want whole seconds from 1 to 31536000", v)
		}
		cfg.MaxAge = age
	}
	if v := getenv("SESSION_COOKIE_NAME"); v != "" {
		if !cookieNamePattern.MatchString(v) {
			bad("SESSION_COOKIE_NAME=%q: want 1-64 characters of A-Z a-z 0-9 _ . -", v)
		}
		cfg.CookieName = v
	}
	switch v := getenv("SESSION_COMPAT"); v {
	case "":
	case "express":
		cfg.Express = true
		// connect-redis glues the prefix to the ID: the tutorial's dev.blog.
		cfg.KeyPrefix = ExpressKeyPrefix
	default:
		bad("SESSION_COMPAT=%q: want express, or leave it unset", v)
	}
	for _, s := range strings.Split(getenv("SESSION_SECRET_PREVIOUS"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.PreviousSecrets = append(cfg.PreviousSecrets, []byte(s))
		}
	}
	if v := getenv("SESSION_KEY_PREFIX"); v != "" {
		if !keyPrefixPattern.MatchString(v) {
			bad("SESSION_KEY_PREFIX=%q: want at most 64 characters of A-Z a-z 0-9 _ . : -", v)
		}
		cfg.KeyPrefix = v
	}
	if v := getenv("SESSION_SERIALIZER"); v != "" {
		if v != "json" && v != "gob" {
			bad("SESSION_SERIALIZER=%q: want json or gob", v)
		}
		cfg.Serializer = v
	}
	if cfg.Redis.URL == "" {
		// Heroku's older Redis plans name their TLS endpoint REDIS_TLS_URL.
		cfg.Redis.URL = strings.TrimSpace(getenv("REDIS_TLS_URL"))
	}
	if cfg.Redis.URL != "" && !hasAnyPrefix(cfg.Redis.URL, "redis://", "rediss://", "unix://") {
		bad("REDIS_URL: want a redis://, rediss:// or unix:// URL")
	}
	switch v := getenv("REDIS_MODE"); v {
	case "", "standalone":
	case "cluster", "sentinel":
		cfg.Redis.Mode = v
		if cfg.Redis.URL == "" {
			bad("REDIS_MODE=%s needs REDIS_URL", v)
		}
	default:
		bad("REDIS_MODE=%q: want standalone, cluster or sentinel", v)
	}
	switch v := getenv("REDIS_TLS_SKIP_VERIFY"); v {
	case "", "false", "0":
	case "true", "1":
		cfg.Redis.TLSSkipVerify = true
	default:
		bad("REDIS_TLS_SKIP_VERIFY=%q: want true or false", v)
	}
	if v := getenv("RATE_LIMIT_NEW_SESSIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			bad("RATE_LIMIT_NEW_SESSIONS=%q: want new sessions per minute per client, 0 (off) to 1000000", v)
		}
		cfg.NewSessionsPerMinute = n
	}
	for _, origin := range strings.Split(getenv("PUBLIC_URL"), ",") {
		if origin = strings.TrimSpace(origin); origin == "" {
			continue
		}
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad("PUBLIC_URL: %q is not an origin such as https://demo.example.com", origin)
			continue
		}
		cfg.PublicHosts = append(cfg.PublicHosts, strings.ToLower(u.Host))
	}
	proxies := getenv("TRUSTED_PROXIES")
	if proxies == "" {
		proxies = DefaultTrustedProxies
	}
	for _, cidr := range strings.Split(proxies, ",") {
		_, network, err := net.ParseCIDR(strings.TrimSpace(cidr))
		if err != nil {
			bad("TRUSTED_PROXIES: %q is not a CIDR range such as 10.0.0.0/8", cidr)
			continue
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, network)
	}

	switch secret := getenv("SESSION_SECRET"); {
	case secret != "" && cfg.Production && len(secret) < MinSecretBytes:
		bad("SESSION_SECRET: want at least %d bytes in production, got %d", MinSecretBytes, len(secret))
	case secret != "":
		cfg.Secret = []byte(secret)
	case cfg.Production:
		bad("SESSION_SECRET: required when APP_ENV=production (at least %d random bytes)", MinSecretBytes)
	default:
		cfg.Secret = randomSecret()
		cfg.SecretGenerated = true
	}
	return cfg, errors.Join(problems...)
}

// Keys is the key scheme of the configured prefix.
func (c Config) Keys() sessionstore.Keys { return sessionstore.Keys{Prefix: c.KeyPrefix} }

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func randomSecret() []byte {
	b := make([]byte, MinSecretBytes)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return []byte(hex.EncodeToString(b))
}
