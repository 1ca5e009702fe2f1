package sessionstore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"redis-session-demo/internal/redistest"

	"github.com/gorilla/sessions"
	"github.com/redis/go-redis/v9"
)

// These tests put a fault-injecting proxy between the store and the test
// Redis and fault one chosen command; the store's client has the app's own
// settings (500 ms per command, one retry). direct reads what Redis really
// holds.

// faultStore is a Store behind a FaultProxy, and a client that goes around
// the proxy.
func faultStore(t *testing.T) (s *Store, proxy *redistest.FaultProxy, direct redis.UniversalClient) {
	t.Helper()
	conn := redistest.Connect(t)
	behind, proxy := redistest.Behind(t, conn)
	o := tutorialOptions(t)
	t.Cleanup(func() { redistest.DeleteKeys(t, conn.Client, o.Keys.ACLPatterns()...) })
	return New(behind.Client, o), proxy, conn.Client
}

// requestFor is a request of session id with the app's 1.5 s deadline.
func requestFor(t *testing.T, s *Store, id string) *http.Request {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	t.Cleanup(cancel)
	return request(s.CookieName(), id).WithContext(ctx)
}

func TestLateWriteSaysItsOutcomeIsUnknown(t *testing.T) {
	s, proxy, direct := faultStore(t)
	v, _ := open(t, s, "")
	id := v.Session.ID
	// Both tries of the SET (go-redis sends it again after a timeout) reach
	// Redis only after the client gave up on them.
	proxy.Inject(redistest.Fault{Command: "SET", KeyPrefix: s.Keys().Prefix, Times: 2, Action: redistest.DelayCommand, Delay: 1200 * time.Millisecond})
	w := httptest.NewRecorder()
	_, err := s.Change(w, requestFor(t, s, id), id, func(sess *sessions.Session) error {
		sess.Values["late"] = "yes"
		return nil
	}, Report{})
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a SET that timed out: %v, want ErrOutcomeUnknown", err)
	}
	// The write did happen, late: the next read shows the truth.
	deadline := time.Now().Add(3 * time.Second)
	for direct.Get(context.Background(), s.Keys().Session(id)).Val() != `{"late":"yes","value":0.5}` {
		if time.Now().After(deadline) {
			t.Fatalf("the late SET never arrived: Redis holds %q", direct.Get(context.Background(), s.Keys().Session(id)).Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLockCountsItsOwnRetriedSetNX(t *testing.T) {
	s, proxy, direct := faultStore(t)
	v, _ := open(t, s, "")
	id := v.Session.ID
	// The first SET NX runs but its reply is lost; go-redis sends it again,
	// and Redis answers nil: the key is there, holding this request's token.
	proxy.Inject(redistest.Fault{Command: "SET", KeyPrefix: s.Keys().Lock(id), Action: redistest.DropReply})
	seen := proxy.Seen("SET")
	_, err := s.Change(httptest.NewRecorder(), requestFor(t, s, id), id, func(sess *sessions.Session) error {
		sess.Values["locked"] = "once"
		return nil
	}, Report{})
	if err != nil {
		t.Fatalf("a change whose SET NX reply was lost: %v, want it to hold its own lock", err)
	}
	if n := proxy.Seen("SET") - seen; n != 3 { // SET NX twice, then the session's SET
		t.Errorf("the change sent %d SETs, want 3: the fault did not happen as planned", n)
	}
	if got := direct.Get(context.Background(), s.Keys().Session(id)).Val(); got != `{"locked":"once","value":0.5}` {
		t.Errorf("Redis holds %q", got)
	}
	if n := direct.Exists(context.Background(), s.Keys().Lock(id)).Val(); n != 0 {
		t.Error("the lock was left behind")
	}
}

func TestRotationNeverLosesTheSession(t *testing.T) {
	for _, action := range []redistest.Action{redistest.DelayReply, redistest.DropReply, redistest.CutAfterCommand} {
		s, proxy, direct := faultStore(t)
		v, _ := open(t, s, "")
		old := v.Session.ID
		// The DEL of the old key runs, but neither try's reply comes back.
		proxy.Inject(redistest.Fault{Command: "DEL", KeyPrefix: s.Keys().Session(old), Times: 2, Action: action, Delay: 1200 * time.Millisecond})
		w := httptest.NewRecorder()
		fresh, err := s.Rotate(w, requestFor(t, s, old), old, Report{})
		if fresh == nil || !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("action %d: Rotate returned %v, %v; want the new session and ErrOutcomeUnknown", action, fresh, err)
		}
		if c := setCookie(w, s.CookieName()); c == nil || c.Value != fresh.ID {
			t.Errorf("action %d: Set-Cookie %v, want the new ID", action, c)
		}
		if got := direct.Get(context.Background(), s.Keys().Session(fresh.ID)).Val(); got != `{"value":0.5}` {
			t.Errorf("action %d: the new key holds %q, want the values", action, got)
		}
	}
}
