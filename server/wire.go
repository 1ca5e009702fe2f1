package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/sessionstore"
)

// exchange is what one request carried over HTTP and sent to Redis: this
// app's cookies the browser sent, the Set-Cookie headers the response
// sends, and the Redis commands in between.
type exchange struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Cookie is the request's Cookie header cut down to this app's own
	// cookies (the session, lang, present, twin), each value shortened: other cookies
	// of the same host are none of this page's business and may be
	// HttpOnly secrets of another app.
	Cookie string `json:"cookie_header"`
	// OtherCookies counts the cookies left out of Cookie.
	OtherCookies int                  `json:"other_cookies"`
	SetCookies   []string             `json:"set_cookie_headers"`
	Commands     []commandlog.Command `json:"commands"`
	// Truncated says that commands were left out to keep a stored report
	// small.
	Truncated bool `json:"truncated,omitempty"`
}

// shownCookieValue is how long a cookie value shown on the page may be.
const shownCookieValue = 64

// currentExchange captures the request so far; call it after the last
// cookie has been set.
func (a *App) currentExchange(c echo.Context) *exchange {
	r := c.Request()
	own, others := a.ownCookies(r)
	return &exchange{
		Method:       r.Method,
		Path:         r.URL.Path,
		Cookie:       own,
		OtherCookies: others,
		SetCookies:   c.Response().Header().Values("Set-Cookie"),
		Commands:     commandsOf(c),
	}
}

// ownCookies writes r's cookies of this app as a Cookie header would, and
// counts the others.
func (a *App) ownCookies(r *http.Request) (string, int) {
	var shown []string
	others := 0
	for _, c := range r.Cookies() {
		if c.Name != a.sessions.CookieName() && c.Name != langCookie && c.Name != presentCookie && c.Name != twinCookie {
			others++
			continue
		}
		value := c.Value
		if len(value) > shownCookieValue {
			value = value[:shownCookieValue] + "…"
		}
		shown = append(shown, c.Name+"="+value)
	}
	return strings.Join(shown, "; "), others
}

// commandsOf returns the Redis commands c's request has sent so far.
func commandsOf(c echo.Context) []commandlog.Command {
	return commandlog.FromContext(c.Request().Context()).Commands()
}

// splitCommands separates the commands the tutorial's app would send too
// (the session key's SET, GET, DEL...) from this app's own bookkeeping:
// the change lock (SET NX and the unlock EVAL), the report carried across
// a redirect, and the count of new sessions.
func splitCommands(cmds []commandlog.Command) (main, bookkeeping []commandlog.Command) {
	for _, c := range cmds {
		name, rest, _ := strings.Cut(c.Command, " ")
		if name == "EVAL" || sessionstore.IsBookkeeping(rest) {
			bookkeeping = append(bookkeeping, c)
		} else {
			main = append(main, c)
		}
	}
	return main, bookkeeping
}
