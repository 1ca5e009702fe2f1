package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"time"

	"redis-session-demo/internal/commandlog"

	"github.com/labstack/echo/v4"
)

// pageFiles are the pages of the app; each is parsed with layout.html into a
// template set of its own, once, at start.
var pageFiles = map[string]string{
	"index":    "index.html",
	"error":    "error.html",
	"tutorial": "tutorial.html",
	"sessions": "sessions.html",
	"lab":      "lab.html",
	"racelab":  "racelab.html",
}

// translator is any page data: it has the page's T.
type translator interface{ T(key string) string }

// commandTable is what the shared "commands" template gets.
type commandTable struct {
	translator
	Commands []commandlog.Command
}

// renderer is the app's echo.Renderer.
type renderer struct {
	pages map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	"seconds": func(ms int64) string { return fmt.Sprintf("%.1f", float64(ms)/1000) },
	"ms":      func(seconds int) int { return seconds * 1000 },
	"labSide": func(p labPage, titleKey string, side labSide) labSideView {
		return labSideView{Page: p, TitleKey: titleKey, Side: side}
	},
	"commandTable": func(t translator, commands []commandlog.Command) commandTable {
		return commandTable{translator: t, Commands: commands}
	},
	"httpDate": func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }, // as in Set-Cookie
}

func newRenderer(fsys fs.FS) (*renderer, error) {
	r := &renderer{pages: make(map[string]*template.Template, len(pageFiles))}
	for name, file := range pageFiles {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(fsys, "layout.html", file)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Render executes a page into a buffer first, so that a template error
// becomes an error response instead of half a page.
func (r *renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}
