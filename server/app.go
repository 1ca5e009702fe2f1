// Package server is the redis-session-demo web app: an Echo server that
// keeps sessions in Redis through gorilla/sessions and redisstore, and shows
// side by side the cookie, the Redis key and the session values.
package server

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"

	"redis-session-demo/internal/buildinfo"
	"redis-session-demo/internal/redisconn"
	"redis-session-demo/internal/sessionstore"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// App is the web app. It is an http.Handler.
type App struct {
	echo     *echo.Echo
	cfg      Config
	redis    *redisconn.Conn
	sessions *sessionstore.Store
	keys     sessionstore.Keys // the one key scheme, the same the store uses
	instance string            // host:pid, so that two instances can be told apart
	version  string            // of this build, see buildinfo.Version
	listing  listingCache      // the last scan /sessions showed
	log      *slog.Logger      // the request log and the HTTP server's errors
	// sources is the Go code /tutorial shows, cut from the embedded source
	// at start.
	sources map[goRef]sourceCode

	limits     httpLimits // of the HTTP server, see httpserver.go
	serverOnce sync.Once
	server     *http.Server // built by httpServer, from limits
}

// Files are the file systems the app reads. main.go embeds them in the
// binary; tests pass the folders themselves.
type Files struct {
	Templates fs.FS // the page templates (templates/)
	Static    fs.FS // the files served under /static/ (static/)
	// Source is the module's folder, holding at least go.mod and the Go
	// files whose code /tutorial shows.
	Source fs.FS
}

// New builds the app on an open Redis connection. The templates are parsed
// and the tutorial's code is cut from files.Source here, once, so a broken
// template or a step naming code that is not there stops the start.
func New(cfg Config, rdb *redisconn.Conn, files Files) (*App, error) {
	pages, err := newRenderer(files.Templates)
	if err != nil {
		return nil, err
	}
	sources, err := loadSources(files.Source, tutorialSteps)
	if err != nil {
		return nil, fmt.Errorf("tutorial code: %w", err)
	}
	host, _ := os.Hostname()
	a := &App{
		echo:     echo.New(),
		cfg:      cfg,
		redis:    rdb,
		keys:     cfg.Keys(),
		instance: fmt.Sprintf("%s:%d", host, os.Getpid()),
		version:  buildinfo.Version(),
		log:      slog.Default(),
		limits:   defaultLimits,
		sources:  sources,
	}
	e := a.echo
	e.HideBanner, e.HidePort = true, true
	e.Renderer = pages
	e.HTTPErrorHandler = a.handleError
	e.JSONSerializer = jsonSerializer{}
	// The request log comes first, so that it sees every request and the
	// status the error handler finally gave it. The transport policy comes
	// right after the security headers, so that its redirect carries them,
	// and before anything that could answer otherwise (413, a cookie).
	e.Use(a.logRequests, middleware.Recover(), securityHeaders)
	if cfg.Production {
		e.Use(a.httpsOnly)
	}
	e.Use(limitBody, a.choosePreferences, readForm, requestContext)
	// c.RealIP() (in the error log) believes X-Forwarded-For only from the
	// trusted proxies.
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, network := range cfg.TrustedProxies {
		trust = append(trust, echo.TrustIPRange(network))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	a.sessions = sessionstore.New(rdb.Client, a.storeOptions())
	a.routes(files.Static)
	return a, nil
}

// ServeHTTP serves one request.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.echo.ServeHTTP(w, r) }

// Serve accepts connections on l until Shutdown is called; it then returns
// http.ErrServerClosed. The server's timeouts and limits are in
// httpserver.go.
func (a *App) Serve(l net.Listener) error { return a.httpServer().Serve(l) }

// Shutdown stops accepting connections and waits for the requests in flight,
// until ctx ends. After it, Serve returns at once.
func (a *App) Shutdown(ctx context.Context) error { return a.httpServer().Shutdown(ctx) }

// httpServer is the one http.Server of the app, built on first use so that
// Shutdown before Serve still stops it.
func (a *App) httpServer() *http.Server {
	a.serverOnce.Do(func() { a.server = a.newHTTPServer() })
	return a.server
}
