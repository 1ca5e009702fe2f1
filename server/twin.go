package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"redis-session-demo/internal/sessionstore"
)

// The Express twin: without SESSION_COMPAT=express, the main page shows
// beside each session what the tutorial's Express app (express-session with
// connect-redis, the same secret, cookie {path: '/', maxAge}) would have
// sent and stored for it. Its cookie's expiry is fixed when the cookie is
// first sent, while the Redis TTL is renewed on every request: the drift
// this app's own cookie avoids. The page remembers that first moment in a
// cookie of its own, twin, since the session (whose stored bytes must stay
// the tutorial's) has no place for it.

const twinCookie = "twin"

// expressTwin is what express-session and connect-redis would hold for one
// session.
type expressTwin struct {
	SetCookie string // the header express-session sends on the first response
	Key       string // connect-redis's key: the prefix glued to the ID
	Stored    string // JSON.stringify(req.session)
	LeftMs    int64  // until the cookie's Expires, fixed when first sent; negative once passed
	// LeftSeconds is LeftMs in seconds, as the clock shows it.
	LeftSeconds string
}

// twinExpiry is the Express cookie's expiry for this request's session: the
// one remembered in the twin cookie, or, for a new session (or none
// remembered), now plus the lifetime, which it remembers.
func (a *App) twinExpiry(c echo.Context, fresh bool) time.Time {
	if ck, err := c.Cookie(twinCookie); err == nil && !fresh {
		if ms, err := strconv.ParseInt(ck.Value, 10, 64); err == nil {
			return time.UnixMilli(ms)
		}
	}
	expires := time.Now().Add(time.Duration(a.cfg.MaxAge) * time.Second)
	a.setTwinExpiry(c, expires)
	return expires
}

func (a *App) setTwinExpiry(c echo.Context, expires time.Time) {
	ck := a.preferenceCookie(twinCookie, strconv.FormatInt(expires.UnixMilli(), 10))
	c.SetCookie(ck)
}

// newTwin describes sess as the Express app would hold it.
func (a *App) newTwin(sess *sessions.Session, expires time.Time) *expressTwin {
	maxAge := time.Duration(a.cfg.MaxAge) * time.Second
	value := sessionstore.ExpressCookieValue(sess.ID, a.cfg.Secret)
	serializer := sessionstore.ExpressSerializer{
		Cookie: sessionstore.ExpressCookie{MaxAge: a.cfg.MaxAge},
		Now:    func() time.Time { return expires.Add(-maxAge) },
	}
	stored, err := serializer.Serialize(sess)
	if err != nil {
		stored = []byte(fmt.Sprintf("(%v)", err))
	}
	left := time.Until(expires).Milliseconds()
	return &expressTwin{
		SetCookie:   a.sessions.CookieName() + "=" + value + "; Path=/; Expires=" + expires.UTC().Format(http.TimeFormat) + "; HttpOnly",
		Key:         strings.TrimSuffix(a.keys.Prefix, ":") + sess.ID,
		Stored:      string(stored),
		LeftMs:      left,
		LeftSeconds: seconds(left),
	}
}
