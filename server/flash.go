package server

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"redis-session-demo/internal/sessionstore"
)

// flash tells the page after a POST's 303 redirect what that POST changed.
// The store keeps it in a short-lived key of its own next to the session
// key, never among the session's values, and the next page load takes it
// in the same round trip that loads the session.
type flash struct {
	Action string `json:"action"`         // value, set, delete, rotate, destroy, destroy_express
	Name   string `json:"name,omitempty"` // the variable concerned
	// Before and After are the variable Name as the page shows values,
	// before and after the change; Had and Has say whether it existed.
	Before string `json:"before,omitempty"`
	Had    bool   `json:"had,omitempty"`
	After  string `json:"after,omitempty"`
	Has    bool   `json:"has,omitempty"`
	// OldID and NewID are the session's IDs before and after a rotation;
	// a destroy has only OldID.
	OldID string `json:"old_id,omitempty"`
	NewID string `json:"new_id,omitempty"`
	// DeadIDSent says that the page showing an Express-style destroy came
	// with the destroyed session's ID in its cookie (set by showIndex).
	DeadIDSent bool `json:"-"`
	// OldKeyLeft says a rotation could not confirm that the old key was
	// deleted: it may remain until its TTL ends.
	OldKeyLeft bool `json:"old_key_left,omitempty"`
	// Exchange is what the POST itself carried and sent to Redis, which the
	// page after the redirect shows beside its own.
	Exchange *exchange `json:"exchange,omitempty"`
}

const (
	flashTTL = time.Minute
	// maxFlashBytes caps a stored flash whatever the client sent: one POST
	// must never make Redis hold more than this for it.
	maxFlashBytes = 4 << 10
)

// report is the store's Report of a change: done (which the change's edit
// may still fill in), the session's ID after it, and what the POST carried
// and sent so far, capped at maxFlashBytes. It is the empty Report, which
// stores nothing, when no page will take it: a JSON client has the new
// state in the answer, and a tutorial step's button goes back to the step.
func (a *App) report(c echo.Context, done *flash) sessionstore.Report {
	if wantsJSON(c.Request()) || nextPage(c.Request()) != resultPage {
		return sessionstore.Report{}
	}
	return sessionstore.Report{TTL: flashTTL, Make: func(sess *sessions.Session, problem error) []byte {
		done.OldKeyLeft = problem != nil
		if done.Action == "rotate" {
			done.NewID = sess.ID
		}
		done.Exchange = a.currentExchange(c)
		return done.encode()
	}}
}

// shownValue is values[name] as the page shows it, and whether it exists.
func shownValue(values map[any]any, name string) (string, bool) {
	v, ok := values[name]
	if !ok {
		return "", false
	}
	return fmt.Sprint(v), true
}

// encode is f as JSON within maxFlashBytes: the commands, the only part
// whose length a request can push, are dropped from the end as needed.
func (f flash) encode() []byte {
	for {
		b, _ := json.Marshal(f)
		if len(b) <= maxFlashBytes || f.Exchange == nil {
			return b
		}
		if n := len(f.Exchange.Commands); n > 0 {
			f.Exchange.Commands = f.Exchange.Commands[:n-1]
			f.Exchange.Truncated = true
		} else {
			f.Exchange = nil
		}
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
