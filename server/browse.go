package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/sessionstore"

	"github.com/labstack/echo/v4"
)

// The work one /sessions request may make Redis do, and how long its
// result is reused: a flood of requests costs one scan a second.
const (
	maxListed    = 100             // sessions shown; all found are counted
	maxScanCalls = 20              // SCAN calls per Redis server, ~1000 keys examined each
	listingTTL   = 1 * time.Second // how long every visitor is shown the same scan
)

// listingCache keeps the last scan of the session keys for listingTTL.
type listingCache struct {
	mu    sync.Mutex
	at    time.Time
	value sessionstore.Listing
}

// sessionListing returns a scan of the session keys at most listingTTL old.
// Concurrent requests wait for one scan instead of starting their own.
func (a *App) sessionListing(ctx context.Context) (sessionstore.Listing, error) {
	a.listing.mu.Lock()
	defer a.listing.mu.Unlock()
	if time.Since(a.listing.at) < listingTTL {
		return a.listing.value, nil
	}
	l, err := a.sessions.List(ctx, maxListed, maxScanCalls)
	if err != nil {
		return l, err
	}
	a.listing.value, a.listing.at = l, time.Now()
	return l, nil
}

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
	// AtLeast says the scan stopped at its budget: there are at least Total.
	AtLeast  bool
	Examined int // keys a scan examines at most, per server
	CLI      string
}

// showSessions lists the session keys under the prefix, like the Redis
// viewer in the tutorial, but safe to deploy: SCAN, never KEYS, with a
// budget, reused for a second; masked IDs; no values. It creates no
// session. The row of the visitor's own session is theirs alone: the shared
// scan holds bare IDs, and each request masks them for its visitor.
func (a *App) showSessions(c echo.Context) error {
	listing, err := a.sessionListing(c.Request().Context())
	if err != nil {
		return err
	}
	own := a.sessions.CookieID(c.Request())
	rows := make([]sessionRow, len(listing.Rows))
	for i, r := range listing.Rows {
		rows[i] = sessionRow{ShownKey: a.keys.Session(maskID(r.ID)), TTLms: commandlog.Milliseconds(r.TTL), Bytes: r.Bytes}
		if own != "" && r.ID == own {
			rows[i].ShownKey, rows[i].Own = a.keys.Session(r.ID), true
		}
	}
	return render(c, http.StatusOK, "sessions", sessionsPage{
		page:     a.page(c, "sessions.title"),
		Pattern:  a.keys.Pattern(),
		Rows:     rows,
		Total:    listing.Total,
		AtLeast:  !listing.Complete,
		Examined: maxScanCalls * 1000,
		CLI:      a.redis.ScanCommand(a.keys.Pattern()),
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
