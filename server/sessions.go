package server

import (
	mathrand "math/rand/v2"

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
		OnCreate: func(s *sessions.Session) { s.Values["value"] = mathrand.Float64() },
	}
}
