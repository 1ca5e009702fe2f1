package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// flash tells the page after a POST's 303 redirect what that POST changed.
// It lives in a short-lived key of its own next to the session key, never
// among the session's values, and the next page load takes it (GETDEL) in
// the same round trip that loads the session.
type flash struct {
	Action string `json:"action"`         // value, set, delete, rotate
	Name   string `json:"name,omitempty"` // the variable concerned
	// Exchange is what the POST itself carried and sent to Redis, which the
	// page after the redirect shows beside its own.
	Exchange *exchange `json:"exchange,omitempty"`
}

const flashTTL = time.Minute

func flashKey(sessionKey string) string { return "flash:" + sessionKey }

// putFlash records f for the session's next page load. It is best effort: a
// failure here must not fail a change that is already saved.
func (s *sessionStore) putFlash(ctx context.Context, id string, f flash) {
	b, _ := json.Marshal(f)
	if err := s.rdb.Set(ctx, flashKey(s.key(id)), b, flashTTL).Err(); err != nil {
		slog.Warn("flash not stored", "err", err)
	}
}

func parseFlash(cmd *redis.StringCmd) flash {
	var f flash
	if b, err := cmd.Bytes(); err == nil {
		json.Unmarshal(b, &f) // a malformed flash is simply not shown
	}
	return f
}
