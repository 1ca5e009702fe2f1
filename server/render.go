package server

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/htmlexec"

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

// commandTable is what the shared "commands" template gets: the rows are
// written here, escaped, since a page shows dozens of them and each would
// cost the template four field lookups and escapes.
type commandTable struct {
	Commands []commandlog.Command
	Rows     template.HTML // the table's rows, every text escaped
}

func newCommandTable(commands []commandlog.Command) commandTable {
	var b strings.Builder
	for _, c := range commands {
		b.WriteString("<tr><td>")
		b.WriteString(strconv.Itoa(c.RoundTrip))
		b.WriteString("</td><td><code>")
		b.WriteString(html.EscapeString(c.Command))
		b.WriteString("</code></td><td><code>")
		b.WriteString(html.EscapeString(c.Reply))
		b.WriteString(`</code></td><td class="num">`)
		b.WriteString(strconv.FormatInt(c.Micros, 10))
		b.WriteString("</td></tr>\n")
	}
	// #nosec: every piece above is escaped or a number
	return commandTable{Commands: commands, Rows: template.HTML(b.String())}
}

// seconds is a duration in milliseconds as the page shows it: 119.6.
func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) }

// renderer is the app's echo.Renderer. It holds every page once per
// language, with the catalog's fixed texts baked in (see bake), so that
// rendering a page executes only its dynamic parts. html/template parses
// and escapes each page; htmlexec then runs it, with the same output,
// several times faster (BenchmarkRender). The tests render every page
// both ways and compare the bytes (checkedRenderer).
type renderer struct {
	pages map[string]map[string]compiledPage // page, then language
}

// compiledPage is one page in one language: as html/template parsed and
// escaped it (kept for the tests, which compare the two), and compiled
// from that (what the app runs).
type compiledPage struct {
	tmpl *template.Template
	prog *htmlexec.Program
}

// languaged is page data that knows its language: every page's page.
type languaged interface{ language() string }

// templateFuncs are the templates' functions. The main page needs none:
// its data carry their display strings, worked out in Go (view.go).
var templateFuncs = template.FuncMap{
	"seconds": seconds,
	"labSide": func(p labPage, titleKey string, side labSide) labSideView {
		return labSideView{Page: p, TitleKey: titleKey, Side: side}
	},
	"commandTable": newCommandTable,
}

func newRenderer(fsys fs.FS) (*renderer, error) {
	layout, err := fs.ReadFile(fsys, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	r := &renderer{pages: make(map[string]map[string]compiledPage, len(pageFiles))}
	for name, file := range pageFiles {
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		r.pages[name] = make(map[string]compiledPage, len(catalog))
		for lang := range catalog {
			t := template.New("layout.html").Funcs(templateFuncs)
			if _, err := t.Parse(bake(string(layout), lang)); err != nil {
				return nil, fmt.Errorf("templates: layout.html: %w", err)
			}
			if _, err := t.New(file).Parse(bake(string(src), lang)); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", file, err)
			}
			prog, err := htmlexec.Compile(t, "layout", templateFuncs)
			if err != nil {
				return nil, fmt.Errorf("templates: %s: %w", file, err)
			}
			r.pages[name][lang] = compiledPage{tmpl: t, prog: prog}
		}
	}
	return r, nil
}

// Fixed texts in templates: {{.T "key"}} (also $.T, .Page.T) where a text
// stands, and (.T "key") as an argument, such as to printf.
var (
	textCall = regexp.MustCompile(`\{\{\s*(?:\$|\.Page)?\.T\s+"([a-z0-9_.]+)"\s*\}\}`)
	argCall  = regexp.MustCompile(`\(\s*(?:\$|\.Page)?\.T\s+"([a-z0-9_.]+)"\s*\)`)
)

// bake writes the catalog's text for lang in place of every fixed-key T
// call of a template's source: the text HTML-escaped where it stands in
// the page (so it is safe as text and in an attribute), as a quoted string
// where it is an argument (which html/template then escapes as any value).
// T calls with a computed key stay calls. Baking saves the page the
// reflection of some 150 method calls on every render.
func bake(src, lang string) string {
	src = textCall.ReplaceAllStringFunc(src, func(call string) string {
		return html.EscapeString(translate(lang, textCall.FindStringSubmatch(call)[1]))
	})
	return argCall.ReplaceAllStringFunc(src, func(call string) string {
		return strconv.Quote(translate(lang, argCall.FindStringSubmatch(call)[1]))
	})
}

// Render executes a page in the data's language.
func (r *renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	t, err := r.page(name, data)
	if err != nil {
		return err
	}
	if buf, ok := w.(*bytes.Buffer); ok {
		return t.prog.Execute(buf, data)
	}
	var buf bytes.Buffer
	if err := t.prog.Execute(&buf, data); err != nil {
		return err
	}
	_, err = buf.WriteTo(w)
	return err
}

// pageBuffers hold pages while they are rendered. echo.Context.Render
// renders into a fresh buffer, which would grow step by step under the
// template's many small writes and be garbage after each page; a pooled
// one has long grown to a page's size (BenchmarkPage: some 55 KB and a
// tenth of the main page's time).
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render answers with the page name, rendered by the app's renderer into a
// pooled buffer: what c.Render does, without its fresh buffer, and with a
// Content-Length.
func render(c echo.Context, status int, name string, data any) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		pageBuffers.Put(buf)
	}()
	if err := c.Echo().Renderer.Render(buf, name, data, c); err != nil {
		return err
	}
	// With its length known, net/http sends the page as it is, not in
	// chunks, and the response ends without a write of its own.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// page is the page name in the data's language.
func (r *renderer) page(name string, data any) (compiledPage, error) {
	lang := "en"
	if l, ok := data.(languaged); ok {
		lang = l.language()
	}
	t, ok := r.pages[name][lang]
	if !ok {
		return t, fmt.Errorf("no page %q in %q", name, lang)
	}
	return t, nil
}
