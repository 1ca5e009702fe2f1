package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// appError is an error a visitor may cause or meet, with the status it gets
// and the catalog key of the message that explains it.
type appError struct {
	Status int
	Key    string // message key in the catalog, see messages.go
	Err    error  // the cause, logged for 5xx and never shown
}

func (e *appError) Error() string {
	if e.Err != nil {
		return e.Key + ": " + e.Err.Error()
	}
	return e.Key
}

func (e *appError) Unwrap() error { return e.Err }

func badRequest(key string) error { return &appError{Status: http.StatusBadRequest, Key: key} }

// unavailable marks a failed Redis call: the visitor gets a 503, and the next
// request tries again on a fresh connection.
func unavailable(err error) error {
	return &appError{Status: http.StatusServiceUnavailable, Key: "error.redis", Err: err}
}

var (
	errCSRF        = &appError{Status: http.StatusForbidden, Key: "error.csrf"}
	errSessionBusy = &appError{Status: http.StatusServiceUnavailable, Key: "error.busy"}
	errTooLarge    = &appError{Status: http.StatusRequestEntityTooLarge, Key: "error.too_large"}
)

// classify maps any error a handler returns to the appError it shows as.
func classify(err error) *appError {
	var app *appError
	var tooBig *http.MaxBytesError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &app):
		return app
	case errors.Is(err, errSessionGone):
		return &appError{Status: http.StatusForbidden, Key: "error.session_gone", Err: err}
	case errors.As(err, &tooBig):
		return errTooLarge
	case errors.As(err, &he):
		key, ok := statusKeys[he.Code]
		if !ok {
			key = "error.internal"
		}
		return &appError{Status: he.Code, Key: key, Err: err}
	}
	return &appError{Status: http.StatusInternalServerError, Key: "error.internal", Err: err}
}

var statusKeys = map[int]string{
	http.StatusBadRequest:            "error.bad_request",
	http.StatusNotFound:              "error.not_found",
	http.StatusMethodNotAllowed:      "error.method",
	http.StatusRequestEntityTooLarge: "error.too_large",
	http.StatusServiceUnavailable:    "error.redis",
}

// handleError is the app's one error path: it logs server-side failures,
// drops any cookie the failed request was about to set (a failed request
// changes nothing, in Redis or in the browser), and answers with a page or,
// when the client accepts JSON, with {"error": "..."}.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := classify(err)
	if e.Status >= 500 {
		slog.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path,
			"client", c.RealIP(), "status", e.Status, "err", err)
	}
	h := c.Response().Header()
	h.Del("Set-Cookie")
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if wantsJSON(c.Request()) {
		err = c.JSON(e.Status, map[string]string{"error": translate("en", e.Key)})
	} else {
		err = c.Render(e.Status, "error", a.errorPage(c, e))
	}
	if err != nil {
		slog.Error("error response failed", "err", err)
	}
}
