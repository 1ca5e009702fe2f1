package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

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
