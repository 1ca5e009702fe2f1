package sessionstore

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"redis-session-demo/internal/redistest"

	"github.com/gorilla/sessions"
)

// benchStore is testStore for benchmarks.
func benchStore(b *testing.B) *Store {
	rdb := redistest.Connect(b).Client
	o := tutorialOptions(b)
	b.Cleanup(func() { redistest.DeleteKeys(b, rdb, o.Keys.ACLPatterns()...) })
	return New(rdb, o)
}

// BenchmarkSessionRead compares, side by side in one run, what one page read
// of a live session costs here and with the stock redisstore used bare:
//
//   - hardened: GETEX, PTTL and GETDEL in one pipelined round trip; nothing
//     is written back.
//   - stock: redisstore's Get (a GET) and Save (a SET of the whole session)
//     to renew the expiry, the usual way to keep a session rolling with it.
//
// Compare the two ns/op and allocs/op as a ratio; run with TEST_REDIS_URL
// set to measure against a real redis-server.
func BenchmarkSessionRead(b *testing.B) {
	s := benchStore(b)
	v, err := s.Create(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		b.Fatal(err)
	}
	cookie := &http.Cookie{Name: s.CookieName(), Value: v.Session.ID}

	b.Run("hardened", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(cookie)
			v, err := s.Open(httptest.NewRecorder(), req)
			if err != nil || v.IsNew {
				b.Fatalf("open: %v, new %v", err, v != nil && v.IsNew)
			}
		}
	})

	stock := NewStock(s.rdb, s.opts)
	b.Run("stock", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(cookie)
			sess, err := stock.New(req, s.CookieName())
			if err != nil || sess.IsNew {
				b.Fatalf("stock get: %v", err)
			}
			if err := stock.Save(req, httptest.NewRecorder(), sess); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreate is the cost of a first visit: a SET, then the read-back
// of what Redis holds.
func BenchmarkCreate(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Create(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCounterOnOneSession increments one counter in one session from
// parallel goroutines, side by side: through this store's locked change,
// and through the stock store's load and save with no lock. Besides the
// time per increment it reports lost/op, the share of increments that
// another writer overwrote: the price the lock pays for is that number.
func BenchmarkCounterOnOneSession(b *testing.B) {
	s := benchStore(b)
	stock := NewStock(s.rdb, s.opts)
	increment := func(sess *sessions.Session) {
		n, _ := sess.Values["counter"].(int64)
		sess.Values["counter"] = n + 1
	}
	run := func(b *testing.B, once func(req *http.Request) error) {
		v, err := s.Create(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil {
			b.Fatal(err)
		}
		cookie := &http.Cookie{Name: s.CookieName(), Value: v.Session.ID}
		var done atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, "/", nil)
				req.AddCookie(cookie)
				if err := once(req); err != nil {
					b.Error(err)
					return
				}
				done.Add(1)
			}
		})
		sess, err := s.read(b.Context(), v.Session.ID)
		if err != nil {
			b.Fatalf("read back: %v", err)
		}
		counted, _ := sess.Values["counter"].(int64)
		b.ReportMetric(float64(done.Load()-counted)/float64(done.Load()), "lost/op")
	}

	b.Run("hardened", func(b *testing.B) {
		run(b, func(req *http.Request) error {
			_, err := s.Change(httptest.NewRecorder(), req, s.CookieID(req), func(sess *sessions.Session) error {
				increment(sess)
				return nil
			}, Report{})
			return err
		})
	})
	b.Run("stock-unlocked", func(b *testing.B) {
		run(b, func(req *http.Request) error {
			sess, err := stock.New(req, s.CookieName())
			if err != nil {
				return err
			}
			increment(sess)
			return stock.Save(req, httptest.NewRecorder(), sess)
		})
	})
}
