package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The store's own benchmarks (a session read against the stock store, a
// counter under the lock) are in internal/sessionstore.

// BenchmarkPage measures whole requests through the router: the main page
// (load and render) beside the JSON of the same state, so the ratio shows
// what rendering the template adds, and every other page.
func BenchmarkPage(b *testing.B) {
	rdb := testRedis(b)
	cfg := testConfig(b)
	app := newTestApp(b, cfg, rdb)
	first := httptest.NewRecorder()
	app.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/api/session", nil))
	cookie := first.Result().Cookies()[0]
	for _, path := range []string{"/", "/api/session", "/sessions", "/tutorial", "/lab/fixation", "/lab/race"} {
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
