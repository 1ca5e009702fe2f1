package server

import (
	mathrand "math/rand/v2"
	"net/http"
	"net/netip"

	"github.com/gorilla/sessions"

	"redis-session-demo/internal/sessionstore"
)

// storeOptions is the session store this configuration asks for.
func (a *App) storeOptions() sessionstore.Options {
	c := a.cfg
	return sessionstore.Options{
		CookieName: c.CookieName,
		Keys:       c.Keys(),
		MaxAge:     c.MaxAge,
		Secure:     c.Production,
		Encoding:   c.Serializer,
		// The lock outlives the request deadline, so the holder's request
		// has always ended (or been cancelled) before its lock can expire.
		LockTTL: 2 * requestTimeout,
		// The tutorial's GET / stores Math.random() in a new session.
		OnCreate:     func(s *sessions.Session) { s.Values["value"] = mathrand.Float64() },
		NewPerMinute: c.NewSessionsPerMinute,
		ClientOf:     a.clientOf,
		Express:      a.expressOptions(),
	}
}

// expressOptions are the store's Express settings with SESSION_COMPAT=express:
// SESSION_SECRET signs, it and SESSION_SECRET_PREVIOUS verify.
func (a *App) expressOptions() *sessionstore.ExpressOptions {
	if !a.cfg.Express {
		return nil
	}
	return &sessionstore.ExpressOptions{Secrets: append([][]byte{a.cfg.Secret}, a.cfg.PreviousSecrets...)}
}

// clientOf names the client of r for the limit on new sessions: its address
// as the trusted proxies report it (echo's IPExtractor), or for IPv6 its
// /64, which one household or one host usually has whole.
func (a *App) clientOf(r *http.Request) string {
	ip, err := netip.ParseAddr(a.echo.IPExtractor(r))
	if err != nil {
		return "unknown"
	}
	if ip.Is6() && !ip.Is4In6() {
		prefix, _ := ip.Prefix(64)
		return prefix.String()
	}
	return ip.Unmap().String()
}
