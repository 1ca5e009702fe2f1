package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
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
	app.echo.Renderer = app.echo.Renderer.(checkedRenderer).renderer // the app's own, not the tests' double render
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

// BenchmarkRender renders the main page's data, as a request built it,
// with htmlexec (as the app does) and with html/template itself: the
// ratio is what compiling the templates saves.
func BenchmarkRender(b *testing.B) {
	app := newTestApp(b, testConfig(b), testRedis(b))
	checked := app.echo.Renderer.(checkedRenderer)
	capture := &capturingRenderer{Renderer: checked.renderer}
	app.echo.Renderer = capture
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || capture.data == nil {
		b.Fatalf("GET /: %d", rec.Code)
	}
	page, err := checked.page("index", capture.data)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.Run("htmlexec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := page.prog.Execute(&buf, capture.data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("html-template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := page.tmpl.ExecuteTemplate(&buf, "layout", capture.data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// capturingRenderer keeps the data of the last page it rendered.
type capturingRenderer struct {
	echo.Renderer
	data any
}

func (c *capturingRenderer) Render(w io.Writer, name string, data any, ctx echo.Context) error {
	c.data = data
	return c.Renderer.Render(w, name, data, ctx)
}
