package server

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// maxBody is the largest request body the app reads.
const maxBody = 64 << 10

// requestTimeout bounds all the Redis work of one request, so that an
// unreachable Redis gives a 503 well within 2 s instead of a hang.
const requestTimeout = 1500 * time.Millisecond

// limitBody answers 413 before anything else when the body is declared too
// large, and cuts off a body that turns out too large while it is read.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxBody {
			return errTooLarge
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBody)
		return next(c)
	}
}

func tooLarge(err error) bool {
	var e *http.MaxBytesError
	return errors.As(err, &e)
}

// contentSecurityPolicy allows scripts, styles and images from this origin
// only: no inline script or style, no framing, forms post only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			// Session pages change on every request and hold a per-session token.
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

func requestDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), requestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// wantsJSON reports whether the client asked for JSON, by its Accept header
// or by calling the JSON endpoints.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == ReadinessPath || r.URL.Path == LivenessPath {
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if t, _, err := mime.ParseMediaType(part); err == nil && t == "application/json" {
			return true
		}
	}
	return false
}

// forwardedScheme returns the scheme a client used to reach the platform:
// "https" for a TLS connection of our own, else X-Forwarded-Proto when the
// peer is a trusted proxy (the platform's router), else "" (unknown). A
// client that connects directly cannot claim HTTPS with a header.
func (a *App) forwardedScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	peer := net.ParseIP(host)
	if err != nil || peer == nil {
		return ""
	}
	for _, network := range a.cfg.TrustedProxies {
		if network.Contains(peer) {
			return strings.ToLower(r.Header.Get("X-Forwarded-Proto"))
		}
	}
	return ""
}

// httpsOnly is production's transport policy: a request that the platform
// received over plain HTTP is redirected to HTTPS (the Secure cookie would
// not be kept otherwise), and HTTPS responses carry HSTS. The health check
// checks are left alone, since platforms probe them over plain HTTP.
func (a *App) httpsOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch a.forwardedScheme(r) {
		case "http":
			if r.URL.Path != ReadinessPath && r.URL.Path != LivenessPath {
				return c.Redirect(http.StatusPermanentRedirect, "https://"+r.Host+r.URL.RequestURI())
			}
		case "https":
			c.Response().Header().Set("Strict-Transport-Security", "max-age=63072000")
		}
		return next(c)
	}
}
