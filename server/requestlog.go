package server

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// statusClientGone is logged for a request whose client went away before
// the answer (handleError then answers nothing); nginx's "499 client closed
// request".
const statusClientGone = 499

// logRequests writes one line per request to the app's logger: method,
// route, status, duration, response bytes and client address. What it
// leaves out is on purpose: the route is the pattern Echo matched (such as
// /api/session), never the raw path or query string, and no header, cookie
// or form field is read, so session IDs, CSRF tokens and cookie values never
// reach the log. The client is c.RealIP(), which believes X-Forwarded-For
// only from the trusted proxies.
func (a *App) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// The app's one error path answers now rather than after this
			// middleware, so that the line holds the status the client got.
			c.Error(err)
		}
		res := c.Response()
		status := res.Status
		if err != nil && !res.Committed {
			status = statusClientGone
		}
		ctx, h := c.Request().Context(), a.log.Handler()
		if !h.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		// A record without a caller's PC: Logger.LogAttrs would walk the
		// stack for one on every request, for a source nobody logs.
		r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
		r.AddAttrs(
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", res.Size),
			slog.String("client", c.RealIP()),
		)
		_ = h.Handle(ctx, r) // as Logger.LogAttrs, which drops the handler's error
		return nil
	}
}
