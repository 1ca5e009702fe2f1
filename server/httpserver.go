package server

import (
	"log/slog"
	"net/http"
	"time"
)

// httpLimits are the HTTP server's timeouts and header size limit, decided
// here in one place. Without them Go's http.Server waits for ever: a client
// that sends its headers a byte at a time (Slowloris), or never finishes a
// body, holds a connection and a goroutine until the process runs out of
// them. The app is meant to be left on the public internet, so every phase
// of a connection has a bound. The body's size is bounded elsewhere, by
// limitBody (64 KiB, 413).
type httpLimits struct {
	// ReadHeaderTimeout bounds the request line and headers, from when the
	// server starts reading the request. It is a deadline, not an idle
	// timeout: sending one byte now and then does not extend it. It also
	// lets Shutdown finish: it waits for connections that sent no complete
	// request yet.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the whole request, headers and body. In 15 s the
	// largest body the app reads (64 KiB) arrives at about 4 KB/s, a poor
	// mobile link.
	ReadTimeout time.Duration
	// WriteTimeout runs from the end of the headers to the end of the
	// response, so it must cover the body upload (ReadTimeout), the handler
	// (its Redis work is cut at requestTimeout) and a slow reader of the
	// response.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no next
	// request. It is longer than the platforms' routers keep idle
	// connections to the app (Heroku 90 s, load balancers often 60 s), so
	// that the router, not the app, closes them: a router that sends a
	// request on a connection the app is closing answers 502.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers (Go allows 4 KiB
	// more). This app's own cookies are well under 200 bytes (the session
	// cookie is 60); 16 KiB leaves room for a browser's usual headers and
	// is what most proxies accept. More is answered 431.
	MaxHeaderBytes int
}

// defaultLimits are the limits the app serves with; tests in this package
// shorten them (App.limits) before Serve.
var defaultLimits = httpLimits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       15 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    16 << 10,
}

// newHTTPServer is the http.Server the app serves with. Its errors (which
// net/http writes to a log.Logger) go to the app's slog logger.
func (a *App) newHTTPServer() *http.Server {
	return &http.Server{
		Handler:           a.echo,
		ReadHeaderTimeout: a.limits.ReadHeaderTimeout,
		ReadTimeout:       a.limits.ReadTimeout,
		WriteTimeout:      a.limits.WriteTimeout,
		IdleTimeout:       a.limits.IdleTimeout,
		MaxHeaderBytes:    a.limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}
