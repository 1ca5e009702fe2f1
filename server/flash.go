package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// flash tells the page after a POST's 303 redirect what that POST changed.
// The store keeps it in a short-lived key of its own next to the session
// key, never among the session's values, and the next page load takes it
// in the same round trip that loads the session.
type flash struct {
	Action string `json:"action"`         // value, set, delete, rotate
	Name   string `json:"name,omitempty"` // the variable concerned
	// Exchange is what the POST itself carried and sent to Redis, which the
	// page after the redirect shows beside its own.
	Exchange *exchange `json:"exchange,omitempty"`
}

const flashTTL = time.Minute

// putFlash records f for session id's next page load. It is best effort: a
// failure here must not fail a change that is already saved.
func (a *App) putFlash(ctx context.Context, id string, f flash) {
	b, _ := json.Marshal(f)
	if err := a.sessions.SetFlash(ctx, id, b, flashTTL); err != nil {
		slog.Warn("flash not stored", "err", err)
	}
}

// parseFlash reads what the store took for this page load; a malformed
// flash is simply not shown.
func parseFlash(b []byte) flash {
	var f flash
	if len(b) > 0 {
		json.Unmarshal(b, &f)
	}
	return f
}
