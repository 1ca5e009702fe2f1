package server

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// exchange is what one request carried over HTTP and sent to Redis: the
// Cookie header the browser sent, the Set-Cookie headers the response
// sends, and the Redis commands in between.
type exchange struct {
	Method     string         `json:"method"`
	Path       string         `json:"path"`
	Cookie     string         `json:"cookie_header"`
	SetCookies []string       `json:"set_cookie_headers"`
	Commands   []redisCommand `json:"commands"`
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
		Commands:   commandLogFrom(r.Context()).Commands(),
	}
}
