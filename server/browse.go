package server

import (
	"net/http"

	"redis-session-demo/internal/commandlog"

	"github.com/labstack/echo/v4"
)

// maxListed is how many sessions /sessions shows; it counts them all.
const maxListed = 100

// sessionRow is one session key as /sessions shows it: another visitor's ID
// is masked and no session's values are ever read.
type sessionRow struct {
	ShownKey string // the key, with the ID masked unless it is the visitor's
	TTLms    int64
	Bytes    int64
	Own      bool
}

// sessionsPage is the data of /sessions.
type sessionsPage struct {
	page
	Pattern string
	Rows    []sessionRow
	Total   int
	CLI     string
}

// showSessions lists the session keys under the prefix, like the Redis
// viewer in the tutorial, but safe to deploy: SCAN, never KEYS; masked IDs;
// no values. It creates no session.
func (a *App) showSessions(c echo.Context) error {
	found, total, err := a.sessions.List(c.Request().Context(), maxListed)
	if err != nil {
		return err
	}
	own := a.sessions.CookieID(c.Request())
	rows := make([]sessionRow, len(found))
	for i, r := range found {
		rows[i] = sessionRow{ShownKey: a.keys.Session(maskID(r.ID)), TTLms: commandlog.Milliseconds(r.TTL), Bytes: r.Bytes}
		if own != "" && r.ID == own {
			rows[i].ShownKey, rows[i].Own = a.keys.Session(r.ID), true
		}
	}
	return c.Render(http.StatusOK, "sessions", sessionsPage{
		page:    a.page(c, "sessions.title"),
		Pattern: a.keys.Pattern(),
		Rows:    rows,
		Total:   total,
		CLI:     a.redis.ScanCommand(a.keys.Pattern()),
	})
}

// maskID keeps a short prefix of another visitor's ID: enough to tell rows
// apart, far too little to use.
func maskID(id string) string {
	if len(id) <= 4 {
		return "…"
	}
	return id[:4] + "…"
}
