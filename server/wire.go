package server

import (
	"strings"

	"redis-session-demo/internal/commandlog"

	"github.com/labstack/echo/v4"
)

// exchange is what one request carried over HTTP and sent to Redis: the
// Cookie header the browser sent, the Set-Cookie headers the response
// sends, and the Redis commands in between.
type exchange struct {
	Method     string               `json:"method"`
	Path       string               `json:"path"`
	Cookie     string               `json:"cookie_header"`
	SetCookies []string             `json:"set_cookie_headers"`
	Commands   []commandlog.Command `json:"commands"`
}

// currentExchange captures the request so far; call it after the last
// cookie has been set.
func currentExchange(c echo.Context) *exchange {
	r := c.Request()
	return &exchange{
		Method:     r.Method,
		Path:       r.URL.Path,
		Cookie:     strings.Join(r.Header.Values("Cookie"), "; "),
		SetCookies: c.Response().Header().Values("Set-Cookie"),
		Commands:   commandsOf(c),
	}
}

// commandsOf returns the Redis commands c's request has sent so far.
func commandsOf(c echo.Context) []commandlog.Command {
	return commandlog.FromContext(c.Request().Context()).Commands()
}

// recordCommands gives every request a command log of its own.
func recordCommands(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, _ := commandlog.WithLog(c.Request().Context())
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
