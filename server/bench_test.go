package server

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/rbcervilla/redisstore/v9"
)

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
	rdb := testRedis(b)
	cfg := testConfig(b)
	app := newTestApp(b, cfg, rdb)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	v, err := app.sessions.create(app.echo.NewContext(req, rec))
	if err != nil {
		b.Fatal(err)
	}
	cookie := &http.Cookie{Name: cfg.CookieName, Value: v.Session.ID}

	b.Run("hardened", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(cookie)
			v, err := app.sessions.open(app.echo.NewContext(req, httptest.NewRecorder()))
			if err != nil || v.IsNew {
				b.Fatalf("open: %v, new %v", err, v != nil && v.IsNew)
			}
		}
	})

	stock, _ := redisstore.NewRedisStore(b.Context(), rdb.Client)
	stock.KeyPrefix(cfg.KeyPrefix)
	stock.Options(app.sessions.options)
	stock.Serializer(JSONSerializer{})
	b.Run("stock", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(cookie)
			sess, err := stock.New(req, cfg.CookieName)
			if err != nil || sess.IsNew {
				b.Fatalf("stock get: %v", err)
			}
			if err := stock.Save(req, httptest.NewRecorder(), sess); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPage measures whole requests through the router: the page (load
// and render) beside the JSON of the same state, so the ratio shows what
// rendering the template adds.
func BenchmarkPage(b *testing.B) {
	rdb := testRedis(b)
	cfg := testConfig(b)
	app := newTestApp(b, cfg, rdb)
	first := httptest.NewRecorder()
	app.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/api/session", nil))
	cookie := first.Result().Cookies()[0]
	for _, path := range []string{"/", "/api/session"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}

// BenchmarkCounterOnOneSession increments one counter in one session from
// parallel goroutines, side by side: through this app's locked change, and
// through the stock store's load and save with no lock. Besides the time
// per increment it reports lost/op, the share of increments that another
// writer overwrote: the price the lock pays for is that number.
func BenchmarkCounterOnOneSession(b *testing.B) {
	rdb := testRedis(b)
	cfg := testConfig(b)
	app := newTestApp(b, cfg, rdb)
	stock, _ := redisstore.NewRedisStore(b.Context(), rdb.Client)
	stock.KeyPrefix(cfg.KeyPrefix)
	stock.Options(app.sessions.options)
	stock.Serializer(JSONSerializer{})

	increment := func(s *sessions.Session) {
		n, _ := s.Values["counter"].(int64)
		s.Values["counter"] = n + 1
	}
	run := func(b *testing.B, once func(req *http.Request) error) {
		v, err := app.sessions.create(app.echo.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder()))
		if err != nil {
			b.Fatal(err)
		}
		cookie := &http.Cookie{Name: cfg.CookieName, Value: v.Session.ID}
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
		sess, err := app.sessions.read(b.Context(), v.Session.ID)
		if err != nil || sess == nil {
			b.Fatalf("read back: %v", err)
		}
		counted, _ := sess.Values["counter"].(int64)
		b.ReportMetric(float64(done.Load()-counted)/float64(done.Load()), "lost/op")
	}

	b.Run("hardened", func(b *testing.B) {
		run(b, func(req *http.Request) error {
			c := app.echo.NewContext(req, httptest.NewRecorder())
			_, err := app.sessions.change(c, app.sessions.cookieID(req), func(s *sessions.Session) error {
				increment(s)
				return nil
			})
			return err
		})
	})
	b.Run("stock-unlocked", func(b *testing.B) {
		run(b, func(req *http.Request) error {
			sess, err := stock.New(req, cfg.CookieName)
			if err != nil {
				return err
			}
			increment(sess)
			return stock.Save(req, httptest.NewRecorder(), sess)
		})
	})
}
