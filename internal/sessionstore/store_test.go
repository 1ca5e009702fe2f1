package sessionstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/redistest"

	"github.com/gorilla/sessions"
	"github.com/redis/go-redis/v9"
)

// tutorialOptions are the tutorial's settings (cookie web.engineer, two
// minutes, a value on creation) under a key prefix of the test's own.
func tutorialOptions(t testing.TB) Options {
	return Options{
		CookieName: "web.engineer",
		Keys:       Keys{Prefix: redistest.Prefix(t)},
		MaxAge:     120,
		OnCreate:   func(s *sessions.Session) { s.Values["value"] = 0.5 },
	}
}

// testStore is a Store on the test Redis (TEST_REDIS_URL or the embedded
// server) with tutorialOptions, edited, whose keys are deleted when the
// test ends.
func testStore(t *testing.T, edit ...func(*Options)) (*Store, redis.UniversalClient) {
	t.Helper()
	rdb := redistest.Connect(t).Client
	o := tutorialOptions(t)
	for _, e := range edit {
		e(&o)
	}
	t.Cleanup(func() { redistest.DeleteKeys(t, rdb, o.Keys.ACLPatterns()...) })
	return New(rdb, o), rdb
}

// request is a GET / carrying cookie name=value when value is not empty.
func request(name, value string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if value != "" {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return r
}

// setCookie is the cookie of that name a response set, or nil.
func setCookie(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func exists(t *testing.T, rdb redis.UniversalClient, key string) bool {
	t.Helper()
	n, err := rdb.Exists(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// open is Open of a request with the given session cookie.
func open(t *testing.T, s *Store, id string) (*Visit, *httptest.ResponseRecorder) {
	t.Helper()
	w := httptest.NewRecorder()
	v, err := s.Open(w, request(s.CookieName(), id))
	if err != nil {
		t.Fatalf("Open(%q): %v", id, err)
	}
	return v, w
}

func TestOpenNeverAdoptsAnIDRedisDoesNotHold(t *testing.T) {
	s, rdb := testStore(t)
	forged, _ := NewID()
	for _, cookie := range []string{"", forged, "*", "../x", "short"} {
		v, w := open(t, s, cookie)
		c := setCookie(w, s.CookieName())
		if !v.IsNew || v.Session.ID == cookie || !ValidID(v.Session.ID) || c == nil || c.Value != v.Session.ID {
			t.Errorf("cookie %q: session %q new=%v, Set-Cookie %v", cookie, v.Session.ID, v.IsNew, c)
		}
		if !exists(t, rdb, s.Keys().Session(v.Session.ID)) {
			t.Errorf("cookie %q: the new session is not in Redis", cookie)
		}
	}
	if exists(t, rdb, s.Keys().Session(forged)) {
		t.Error("a key was written under the forged ID")
	}
}

func TestOpenRenewsWithoutWritingBack(t *testing.T) {
	s, rdb := testStore(t)
	first, _ := open(t, s, "")
	ctx := context.Background()
	key := s.Keys().Session(first.Session.ID)
	// Change the stored bytes behind the store's back and shorten the TTL:
	// a load must renew the TTL and show the new bytes, never rewrite them.
	if err := rdb.Set(ctx, key, `{"value":7}`, 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	again, w := open(t, s, first.Session.ID)
	if again.IsNew || again.Session.Values["value"] != int64(7) || string(again.Entry.Raw) != `{"value":7}` {
		t.Errorf("loaded %+v, want the stored {\"value\":7}", again)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl < 110*time.Second {
		t.Errorf("TTL %v after a load, want renewed to about 120 s", ttl)
	}
	if c := setCookie(w, s.CookieName()); c == nil || c.MaxAge != 120 {
		t.Errorf("the cookie was not renewed: %v", c)
	}
}

func TestConcurrentChangesAreNotLost(t *testing.T) {
	s, rdb := testStore(t)
	v, _ := open(t, s, "")
	id := v.Session.ID
	const writers = 30
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r := request(s.CookieName(), id).WithContext(ctx)
			_, err := s.Change(httptest.NewRecorder(), r, id, func(sess *sessions.Session) error {
				sess.Values[fmt.Sprintf("var%02d", i)] = int64(i)
				return nil
			}, Report{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	after, _ := open(t, s, id)
	for i := range writers {
		if name := fmt.Sprintf("var%02d", i); after.Session.Values[name] != int64(i) {
			t.Errorf("%s lost: %d values stored", name, len(after.Session.Values))
		}
	}
	if exists(t, rdb, s.Keys().Lock(id)) {
		t.Error("a lock was left behind")
	}
}

func TestChangeThatFailsSavesNothing(t *testing.T) {
	s, rdb := testStore(t)
	v, _ := open(t, s, "")
	key := s.Keys().Session(v.Session.ID)
	before := rdb.Get(context.Background(), key).Val()
	refused := errors.New("refused")
	w := httptest.NewRecorder()
	_, err := s.Change(w, request(s.CookieName(), v.Session.ID), v.Session.ID, func(sess *sessions.Session) error {
		sess.Values["value"] = "changed"
		return refused
	}, Report{})
	if !errors.Is(err, refused) {
		t.Errorf("Change returned %v, want the edit's error", err)
	}
	if got := rdb.Get(context.Background(), key).Val(); got != before || setCookie(w, s.CookieName()) != nil {
		t.Errorf("a refused change stored %q (was %q) or set a cookie", got, before)
	}
}

func TestRotateMovesValuesToANewID(t *testing.T) {
	s, rdb := testStore(t)
	v, _ := open(t, s, "")
	old := v.Session.ID
	w := httptest.NewRecorder()
	fresh, err := s.Rotate(w, request(s.CookieName(), old), old, Report{})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ID == old || !ValidID(fresh.ID) || fresh.Values["value"] != 0.5 {
		t.Errorf("rotated to %q with %v", fresh.ID, fresh.Values)
	}
	if c := setCookie(w, s.CookieName()); c == nil || c.Value != fresh.ID {
		t.Errorf("Set-Cookie %v, want the new ID", c)
	}
	if exists(t, rdb, s.Keys().Session(old)) || !exists(t, rdb, s.Keys().Session(fresh.ID)) {
		t.Error("after rotation the old key must be gone and the new one stored")
	}
	if _, err := s.Rotate(httptest.NewRecorder(), request(s.CookieName(), old), old, Report{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("rotating the old ID again: %v, want ErrNotFound", err)
	}
}

func TestDestroyDeletesKeyAndCookie(t *testing.T) {
	s, rdb := testStore(t)
	v, _ := open(t, s, "")
	id := v.Session.ID
	w := httptest.NewRecorder()
	token, err := s.Destroy(w, request(s.CookieName(), id), id, Report{Make: func(sess *sessions.Session, _ error) []byte {
		return []byte("destroyed " + sess.ID)
	}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.TakeReport(context.Background(), token); err != nil || string(b) != "destroyed "+id {
		t.Errorf("the destroy report: %q, %v", b, err)
	}
	if b, _ := s.TakeReport(context.Background(), token); b != nil {
		t.Errorf("the destroy report was read twice: %q", b)
	}
	if exists(t, rdb, s.Keys().Session(id)) {
		t.Error("the key outlived Destroy")
	}
	if c := setCookie(w, s.CookieName()); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("Set-Cookie %v, want the cookie expired", c)
	}
	_, err = s.Change(httptest.NewRecorder(), request(s.CookieName(), id), id, func(*sessions.Session) error { return nil }, Report{})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("a change after Destroy: %v, want ErrNotFound", err)
	}
}

func TestErrorsSayWhatHappened(t *testing.T) {
	s, rdb := testStore(t)
	v, _ := open(t, s, "")
	id := v.Session.ID
	noop := func(*sessions.Session) error { return nil }

	// Another change holds the lock for longer than the caller waits.
	rdb.Set(context.Background(), s.Keys().Lock(id), "someone else", time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := s.Change(httptest.NewRecorder(), request(s.CookieName(), id).WithContext(ctx), id, noop, Report{})
	if !errors.Is(err, ErrBusy) {
		t.Errorf("held lock: %v, want ErrBusy", err)
	}
	rdb.Del(context.Background(), s.Keys().Lock(id))

	// What the store cannot use: a change is refused, a load starts a fresh
	// session and leaves the key alone.
	key := s.Keys().Session(id)
	huge := `{"value":"` + strings.Repeat("x", MaxStoredBytes) + `"}`
	for _, raw := range []string{"\x0e\xff not json", `{"value":1e400}`, `[1,2]`, huge} {
		rdb.Set(context.Background(), key, raw, time.Minute)
		if _, err := s.Change(httptest.NewRecorder(), request(s.CookieName(), id), id, noop, Report{}); !errors.Is(err, ErrUnreadable) {
			t.Errorf("%.20q: change %v, want ErrUnreadable", raw, err)
		}
		if again, _ := open(t, s, id); !again.IsNew || again.Session.ID == id {
			t.Errorf("%.20q: an unreadable session was adopted", raw)
		}
		if got := rdb.Get(context.Background(), key).Val(); got != raw {
			t.Errorf("%.20q: the unreadable key became %.20q", raw, got)
		}
	}
	// A key of another type under the session's name (WRONGTYPE).
	rdb.Del(context.Background(), key)
	rdb.HSet(context.Background(), key, "field", "value")
	if _, err := s.Change(httptest.NewRecorder(), request(s.CookieName(), id), id, noop, Report{}); !errors.Is(err, ErrUnreadable) {
		t.Errorf("a hash: change %v, want ErrUnreadable", err)
	}
	if again, _ := open(t, s, id); !again.IsNew || again.Session.ID == id {
		t.Error("a hash at the session key was adopted")
	}
	if typ := rdb.Type(context.Background(), key).Val(); typ != "hash" {
		t.Errorf("the hash became a %s", typ)
	}

	// Redis does not answer at all.
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	gone := New(down, s.opts)
	if _, err := gone.Open(httptest.NewRecorder(), request(s.CookieName(), id)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Redis down: Open %v, want ErrUnavailable", err)
	}
	if _, err := gone.Change(httptest.NewRecorder(), request(s.CookieName(), id), id, noop, Report{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Redis down: Change %v, want ErrUnavailable", err)
	}
	if err := gone.Ping(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Redis down: Ping %v, want ErrUnavailable", err)
	}
}

func TestReportIsTakenOnceAndDestroyedWithTheSession(t *testing.T) {
	s, rdb := testStore(t)
	v, _ := open(t, s, "")
	id := v.Session.ID
	report := Report{Make: func(sess *sessions.Session, _ error) []byte { return []byte(fmt.Sprint("now ", sess.Values["n"])) }, TTL: time.Minute}
	set := func(sess *sessions.Session) error { sess.Values["n"] = int64(1); return nil }
	if _, err := s.Change(httptest.NewRecorder(), request(s.CookieName(), id), id, set, report); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(context.Background(), s.Keys().Flash(id)).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("report TTL %v, want up to a minute", ttl)
	}
	if plain, _ := open(t, s, id); plain.Flash != nil {
		t.Errorf("a plain Open took the report: %q", plain.Flash)
	}
	after := func() *Visit {
		v, err := s.OpenAfterChange(httptest.NewRecorder(), request(s.CookieName(), id))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if again := after(); string(again.Flash) != "now 1" {
		t.Errorf("flash %q, want the report of the change", again.Flash)
	}
	if third := after(); third.Flash != nil {
		t.Errorf("the report was shown twice: %q", third.Flash)
	}
	// A report left behind goes with the session it describes.
	if _, err := s.Change(httptest.NewRecorder(), request(s.CookieName(), id), id, set, report); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Destroy(httptest.NewRecorder(), request(s.CookieName(), id), id, Report{}); err != nil {
		t.Fatal(err)
	}
	if exists(t, rdb, s.Keys().Flash(id)) {
		t.Error("Destroy left the report behind")
	}
}

func TestListCountsOnlySessions(t *testing.T) {
	s, rdb := testStore(t)
	var ids []string
	for range 3 {
		v, _ := open(t, s, "")
		ids = append(ids, v.Session.ID)
	}
	ctx := context.Background()
	rdb.Set(ctx, s.Keys().Flash(ids[0]), "x", time.Minute)      // bookkeeping, outside the pattern
	rdb.Set(ctx, s.Keys().Prefix+"other-app", "x", time.Minute) // not an ID of this store
	foreignID, _ := NewID()
	rdb.HSet(ctx, s.Keys().Session(foreignID), "f", "v") // ID-shaped, but a hash
	rdb.Expire(ctx, s.Keys().Session(foreignID), time.Minute)
	l, err := s.List(ctx, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if l.Total != 3 || len(l.Rows) != 2 || !l.Complete {
		t.Errorf("listed %d of %d (complete %v), want 2 of 3", len(l.Rows), l.Total, l.Complete)
	}
	for _, r := range l.Rows {
		if !ValidID(r.ID) || r.Bytes == 0 || r.TTL <= 0 {
			t.Errorf("row %+v", r)
		}
	}
}

func TestNewSessionsAreLimitedPerClient(t *testing.T) {
	client := "198.51.100.7"
	s, rdb := testStore(t, func(o *Options) {
		o.NewPerMinute = 3
		o.ClientOf = func(r *http.Request) string { return r.Header.Get("X-Test-Client") }
	})
	from := func(who, cookie string) (*Visit, error) {
		r := request(s.CookieName(), cookie)
		r.Header.Set("X-Test-Client", who)
		return s.Open(httptest.NewRecorder(), r)
	}
	// The count is per minute: redo the run if it straddled a minute.
	for attempt := 0; ; attempt++ {
		window := time.Now().Unix() / 60
		who := fmt.Sprintf("%s-%d", client, attempt)
		var first *Visit
		for i := range 3 {
			v, err := from(who, "")
			if err != nil {
				t.Fatalf("new session %d: %v", i+1, err)
			}
			first = v
		}
		before, err := s.List(context.Background(), 100, 10)
		if err != nil {
			t.Fatal(err)
		}
		_, err = from(who, "")
		if time.Now().Unix()/60 != window && attempt < 2 {
			continue
		}
		var limit *LimitError
		if !errors.As(err, &limit) || !errors.Is(err, ErrRateLimited) || limit.RetryAfter <= 0 || limit.RetryAfter > time.Minute {
			t.Fatalf("the 4th new session of one client: %v, want a LimitError within the minute", err)
		}
		if after, err := s.List(context.Background(), 100, 10); err != nil || after.Total != before.Total {
			t.Errorf("a refused session was written: %d sessions (%v), was %d", after.Total, err, before.Total)
		}
		// Visits of a live session are never limited, nor other clients.
		if v, err := from(who, first.Session.ID); err != nil || v.IsNew {
			t.Errorf("a visit of a live session was limited: %v", err)
		}
		if _, err := from("203.0.113.1", ""); err != nil {
			t.Errorf("another client was limited: %v", err)
		}
		key := s.Keys().NewSessions(who, window)
		if ttl := rdb.TTL(context.Background(), key).Val(); ttl <= time.Minute || ttl > 2*time.Minute {
			t.Errorf("%s lives %v, want about two minutes", key, ttl)
		}
		return
	}
}

// TestSetCookieWritesWhatHTTPCookieWrites: the Set-Cookie header setCookie
// writes, from its cache or not, is byte for byte what http.SetCookie
// writes for sessions.NewCookie with the store's attributes: for IDs,
// Express's signed values, values http.Cookie quotes or cleans, other
// max-ages, an expired cookie, with and without Secure, and after a cache
// left by an earlier second.
func TestSetCookieWritesWhatHTTPCookieWrites(t *testing.T) {
	id, _ := NewID()
	for _, tc := range []struct {
		name string
		edit func(*Options)
	}{
		{"plain", func(*Options) {}},
		{"secure", func(o *Options) { o.Secure = true }},
		{"express", func(o *Options) { o.Express = &ExpressOptions{Secrets: [][]byte{[]byte("WANTEDSECRET")}} }},
	} {
		s, _ := testStore(t, tc.edit)
		// what an earlier second left in the cache must be made anew
		s.cookieAttrs.Store(&cookieAttrs{second: time.Now().Unix() - 1, text: "; stale"})
		for _, value := range []string{id, "", "a b", "a,b", `a"b`, "a;b", `a\b`, "日本", "a\x7fb", "s:x.y+/="} {
			for _, maxAge := range []int{s.cookie.MaxAge, s.cookie.MaxAge, 7, -1, 0} {
				for attempt := 0; ; attempt++ {
					before := time.Now().Unix()
					got := httptest.NewRecorder()
					s.setCookie(got, value, maxAge)
					opts := s.cookie
					opts.MaxAge = maxAge
					want := httptest.NewRecorder()
					http.SetCookie(want, sessions.NewCookie(s.opts.CookieName, s.CookieValue(value), &opts))
					if time.Now().Unix() != before && attempt < 3 { // Expires may differ by a second
						continue
					}
					if g, w := got.Header().Values("Set-Cookie"), want.Header().Values("Set-Cookie"); strings.Join(g, "\n") != strings.Join(w, "\n") {
						t.Errorf("%s, %q, max-age %d:\n got %q\nwant %q", tc.name, value, maxAge, g, w)
					}
					break
				}
			}
		}
	}
}
