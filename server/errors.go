package server

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"redis-session-demo/internal/sessionstore"

	"github.com/labstack/echo/v4"
)

// appError is an error a visitor may cause or meet: the status it gets, the
// stable code a JSON client can test, and the catalog key of the message
// that explains it.
type appError struct {
	Status int
	Code   string
	Key    string // message key in the catalog, see messages.go
	Err    error  // the cause, logged for 5xx and never shown
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter time.Duration
}

func (e *appError) Error() string {
	if e.Err != nil {
		return e.Key + ": " + e.Err.Error()
	}
	return e.Key
}

func (e *appError) Unwrap() error { return e.Err }

func badRequest(key string) error {
	return &appError{Status: http.StatusBadRequest, Code: "bad_input", Key: key}
}

var (
	errCSRF = &appError{Status: http.StatusForbidden, Code: "csrf", Key: "error.csrf"}
	// errSessionExpired answers a change whose session is gone: the cookie
	// ran out (the browser sent none) or Redis no longer holds its key.
	errSessionExpired = &appError{Status: http.StatusForbidden, Code: "session_expired", Key: "error.session_expired"}
	errTooLarge       = &appError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "error.too_large"}
)

// classify maps any error a handler returns to the appError it shows as.
// It is the only place that turns store and Redis errors into statuses.
func classify(err error) *appError {
	var app *appError
	var tooBig *http.MaxBytesError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &app):
		return app
	case errors.Is(err, sessionstore.ErrNotFound):
		// The cookie came, its key is gone: destroyed, rotated or expired.
		return &appError{Status: http.StatusForbidden, Code: "session_expired", Key: "error.session_gone"}
	case errors.Is(err, sessionstore.ErrBusy):
		return &appError{Status: http.StatusServiceUnavailable, Code: "busy", Key: "error.busy", Err: err}
	case errors.Is(err, sessionstore.ErrUnreadable):
		return &appError{Status: http.StatusConflict, Code: "session_unreadable", Key: "error.unreadable", Err: err}
	case errors.Is(err, sessionstore.ErrRateLimited):
		e := &appError{Status: http.StatusTooManyRequests, Code: "rate_limited", Key: "error.rate_limited", Err: err}
		var limit *sessionstore.LimitError
		if errors.As(err, &limit) {
			e.RetryAfter = limit.RetryAfter
		}
		return e
	case errors.Is(err, sessionstore.ErrOutcomeUnknown):
		return &appError{Status: http.StatusServiceUnavailable, Code: "outcome_unknown", Key: "error.outcome_unknown", Err: err}
	case errors.Is(err, sessionstore.ErrUnavailable):
		return &appError{Status: http.StatusServiceUnavailable, Code: "redis_unavailable", Key: "error.redis", Err: err}
	case errors.As(err, &tooBig):
		return errTooLarge
	case errors.As(err, &he):
		if known, ok := statusErrors[he.Code]; ok {
			return &appError{Status: he.Code, Code: known.Code, Key: known.Key, Err: err}
		}
	}
	return &appError{Status: http.StatusInternalServerError, Code: "internal", Key: "error.internal", Err: err}
}

// statusErrors are the codes and messages of the statuses Echo itself
// answers with (no route, wrong method, unreadable body).
var statusErrors = map[int]appError{
	http.StatusBadRequest:            {Code: "bad_input", Key: "error.bad_request"},
	http.StatusNotFound:              {Code: "not_found", Key: "error.not_found"},
	http.StatusMethodNotAllowed:      {Code: "method_not_allowed", Key: "error.method"},
	http.StatusRequestEntityTooLarge: {Code: "too_large", Key: "error.too_large"},
}

// errorBody is the JSON of an error. Status is set on the health checks
// only, whose clients read it.
type errorBody struct {
	Status string `json:"status,omitempty"`
	Error  string `json:"error"`
	Code   string `json:"code"`
}

// handleError is the app's one error path: it logs server-side failures
// (with their cause, which the client never sees), drops any cookie the
// failed request was about to set (a failed request changes nothing in the
// browser), and answers with a page or, when the client accepts JSON, with
// {"error": "...", "code": "..."}.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := classify(err)
	switch {
	case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
		// The client went away; there is nobody to answer and nothing to fix.
		slog.Info("client went away", "method", c.Request().Method, "path", c.Request().URL.Path)
		return
	case e.Status >= 500:
		slog.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path,
			"client", c.RealIP(), "status", e.Status, "code", e.Code, "err", err)
	}
	h := c.Response().Header()
	h.Del("Set-Cookie")
	switch {
	case e.RetryAfter > 0:
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	case e.Status == http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	if wantsJSON(c.Request()) {
		body := errorBody{Error: translate("en", e.Key), Code: e.Code}
		if isHealthPath(c.Request().URL.Path) {
			body.Status = "unavailable"
		}
		err = c.JSON(e.Status, body)
	} else {
		err = render(c, e.Status, "error", a.errorPage(c, e))
	}
	if err != nil {
		slog.Error("error response failed", "err", err)
	}
}
