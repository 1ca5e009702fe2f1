package server

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"redis-session-demo/internal/commandlog"

	"github.com/labstack/echo/v4"
)

// maxBody is the largest request body the app reads.
const maxBody = 64 << 10

// requestTimeout bounds all the Redis work of one request, so that an
// unreachable Redis gives a 503 well within 2 s instead of a hang.
const requestTimeout = 1500 * time.Millisecond

// limitBody answers 413 before any handler runs when the body is declared
// too large, and cuts off a body that turns out too large while it is read.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxBody {
			return errTooLarge
		}
		if r.Body != http.NoBody { // nothing to bound in a GET's empty body
			r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBody)
		}
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

// The values of the headers every response carries. Each response's
// header map shares these slices, which nothing writes into: Header.Set
// replaces a slice, and Header.Add appends to one whose capacity is full,
// which copies it.
var (
	cspValue        = []string{contentSecurityPolicy}
	noSniffValue    = []string{"nosniff"}
	sameOriginValue = []string{"same-origin"}
	denyValue       = []string{"DENY"}
	noStoreValue    = []string{"no-store"}
)

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["Content-Security-Policy"] = cspValue
		h["X-Content-Type-Options"] = noSniffValue
		h["Referrer-Policy"] = sameOriginValue
		h["X-Frame-Options"] = denyValue
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			// Session pages change on every request and hold a per-session token.
			h["Cache-Control"] = noStoreValue
		}
		return next(c)
	}
}

// readForm reads a POST's form before requestContext starts the clock, so
// that a slow upload (bounded by the server's ReadTimeout) is never taken
// for a slow Redis. Handlers get the result from postForm.
func readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodPost {
			c.Set(formKey, parsedForm{err: parseForm(c.Request())})
		}
		return next(c)
	}
}

const formKey = "form" // of the echo.Context value readForm sets

// parsedForm is what readForm found.
type parsedForm struct{ err error }

// parseForm parses r's body, url-encoded or multipart, into r.PostForm.
func parseForm(r *http.Request) error {
	err := r.ParseForm()
	if err == nil && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxBody)
	}
	return err
}

// requestContext bounds the Redis work of a request (everything after the
// body has been read) by requestTimeout, and gives the request a command
// log of its own; both in one context, so the request is copied once.
func requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), requestTimeout)
		defer cancel()
		ctx, _ = commandlog.WithLog(ctx)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// wantsJSON reports whether the client asked for JSON, by its Accept header
// or by calling the JSON endpoints.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || isHealthPath(r.URL.Path) {
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
//
// The header can hold several values ("http, https", or several header
// lines) when a client sent one and the router appended its own instead of
// replacing it. Only the right-most value was written by the trusted proxy
// that connects to us, describing the connection it received; everything
// left of it came from further away, which a client can forge. So the
// right-most value decides: "http, https" is HTTPS (HSTS), "https, http"
// is plain HTTP (a redirect). Behind two proxies (a CDN in front of the
// platform) it is what the inner one saw: the CDN must connect over HTTPS.
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
			return lastListValue(r.Header.Values("X-Forwarded-Proto"))
		}
	}
	return ""
}

// lastListValue is the right-most element of a comma-separated header that
// may also come in several lines, trimmed and lower-cased.
func lastListValue(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	last := lines[len(lines)-1]
	return strings.ToLower(strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:]))
}

// httpsOnly is production's transport policy: a request that the platform
// received over plain HTTP is redirected to HTTPS (the Secure cookie would
// not be kept otherwise), and HTTPS responses carry HSTS. The health checks
// are left alone, since platforms probe them over plain HTTP. It runs after
// securityHeaders, so that the redirect carries the same headers as every
// other response.
func (a *App) httpsOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch a.forwardedScheme(r) {
		case "http":
			if !isHealthPath(r.URL.Path) {
				// A redirect to a host taken from the request must not be
				// kept by a cache and replayed to other visitors.
				c.Response().Header().Set("Cache-Control", "no-store")
				return c.Redirect(http.StatusPermanentRedirect, "https://"+a.redirectHost(r)+r.URL.RequestURI())
			}
		case "https":
			c.Response().Header().Set("Strict-Transport-Security", "max-age=63072000")
		}
		return next(c)
	}
}

// redirectHost is the host the HTTPS redirect goes to. The Host header is
// the client's to choose, so with PUBLIC_URL set it is only echoed when it
// is one of the public hosts, and any other Host is sent to the first of
// them. Without PUBLIC_URL the request's Host is used as it is: the
// platform's router routes by Host and delivers only the app's own host
// names here, so it has validated the Host already.
func (a *App) redirectHost(r *http.Request) string {
	if len(a.cfg.PublicHosts) == 0 {
		return r.Host
	}
	host := strings.ToLower(r.Host)
	for _, public := range a.cfg.PublicHosts {
		if host == public {
			return public
		}
	}
	return a.cfg.PublicHosts[0]
}
