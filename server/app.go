// Package server is the redis-session-demo web app: an Echo server that
// keeps sessions in Redis through gorilla/sessions and redisstore, and shows
// side by side the cookie, the Redis key and the session values.
package server

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"

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
}

// New builds the app on an open Redis connection. templates holds the page
// templates and static the files served under /static/; both are read and
// parsed here, so a broken template stops the start.
func New(cfg Config, rdb *redisconn.Conn, templates, static fs.FS) (*App, error) {
	pages, err := newRenderer(templates)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	a := &App{
		echo:     echo.New(),
		cfg:      cfg,
		redis:    rdb,
		keys:     cfg.Keys(),
		instance: fmt.Sprintf("%s:%d", host, os.Getpid()),
		version:  buildinfo.Version(),
	}
	e := a.echo
	e.HideBanner, e.HidePort = true, true
	e.Renderer = pages
	e.HTTPErrorHandler = a.handleError
	e.Use(limitBody, middleware.Recover(), securityHeaders, a.chooseLanguage, requestDeadline, recordCommands)
	if cfg.Production {
		e.Pre(a.httpsOnly)
	}
	// c.RealIP() (in the error log) believes X-Forwarded-For only from the
	// trusted proxies.
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, network := range cfg.TrustedProxies {
		trust = append(trust, echo.TrustIPRange(network))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	a.sessions = sessionstore.New(rdb.Client, a.storeOptions())
	a.routes(static)
	return a, nil
}

// ServeHTTP serves one request.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.echo.ServeHTTP(w, r) }

// Serve accepts connections on l until Shutdown is called; it then returns
// http.ErrServerClosed.
func (a *App) Serve(l net.Listener) error {
	a.echo.Listener = l
	return a.echo.Start("")
}

// Shutdown stops accepting connections and waits for the requests in flight,
// until ctx ends.
func (a *App) Shutdown(ctx context.Context) error { return a.echo.Shutdown(ctx) }
