package htmlexec_test

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/htmlexec"
)

// ---- data the templates run on ----

type money int64

func (m money) String() string { return fmt.Sprintf("$%d.%02d", m/100, m%100) }

type badge struct{ Text string }

// String has a pointer receiver: only a *badge prints itself.
func (b *badge) String() string { return "[" + b.Text + "]" }

type account struct {
	Name  string
	Admin bool
}

func (a account) Upper() string     { return strings.ToUpper(a.Name) }
func (a *account) Greeting() string { return "Hello, " + a.Name + " & co" }

type base struct {
	ID   int
	Slug string
}

type meta struct{ Author string }

type article struct {
	base  // ID and Slug promoted through an embedded struct
	*meta // Author promoted through an embedded pointer
	Title string
}

type item struct {
	Key  string
	Name string
	Qty  int
	URL  string
}

type cardData struct {
	Title string
	N     int
}

type page struct {
	Title   string
	Name    string
	URL     string
	Q       string
	ID      int
	N       int
	N64     int64
	U       uint
	F       float64
	On      bool
	Off     bool
	Empty   string
	Key     string
	S       string
	Items   []item
	None    []item
	NilList []item
	Arr     [3]int
	Any     any
	P       *string
	NilP    *string
	User    *account
	NoUser  *account
	When    time.Time
	Price   money
	Badge   *badge
	Err     error
	Article *article
	Raw     template.HTML
	Link    template.URL
}

// T looks key up, as a translation method would.
func (p *page) T(key string) string { return "«" + key + "»" }

// Count has a value receiver.
func (p page) Count() int { return len(p.Items) }

func (p *page) Join(parts ...string) string { return strings.Join(parts, "+") }
func (p *page) Echo(v any) string           { return fmt.Sprintf("%T:%v", v, v) }
func (p *page) Times(n int) int             { return p.N * n }

func (p *page) Fail() (string, error) { return "", errors.New("fail: no such thing") }
func (p *page) Fine() (string, error) { return "fine <ok>", nil }
func (p *page) Boom() string          { panic("boom") }

func strPtr(s string) *string { return &s }

func newPage() *page {
	return &page{
		Title: "Tom & Jerry's <Page>",
		Name:  "Ada",
		URL:   "https://example.com/a b?c=d&e=f#g",
		Q:     "a b&c=d/e?f#g+h",
		ID:    7,
		N:     42,
		N64:   1 << 40,
		U:     9,
		F:     3.25,
		On:    true,
		Key:   "greeting",
		S:     "abcdef",
		Items: []item{
			{Key: "k1", Name: "Apple <red>", Qty: 3, URL: "/items/1"},
			{Key: "k2", Name: `Pear "green"`, Qty: 0, URL: "javascript:alert(1)"},
			{Key: "k3", Name: "Plum & co", Qty: 12, URL: "/items/3?x=1&y=2"},
		},
		None:    []item{},
		Arr:     [3]int{1, 2, 3},
		Any:     "any <string>",
		P:       strPtr("pointed <at>"),
		User:    &account{Name: "Grace", Admin: true},
		When:    time.Date(2024, time.February, 29, 13, 4, 5, 0, time.UTC),
		Price:   1999,
		Badge:   &badge{Text: "gold"},
		Err:     errors.New("disk <full>"),
		Article: &article{base: base{ID: 3, Slug: "hello-world"}, meta: &meta{Author: "Lin"}, Title: "Hi"},
		Raw:     template.HTML("<b>bold</b> &amp; fine"),
		Link:    template.URL("javascript:void(0)"),
	}
}

func chain(n int) *linked {
	var head *linked
	for i := n; i > 0; i-- {
		head = &linked{V: i, Next: head}
	}
	return head
}

type linked struct {
	V    int
	Next *linked
}

var funcs = template.FuncMap{
	// card returns a struct that a {{template}} renders.
	"card": func(title string, n int) cardData { return cardData{Title: title, N: n} },
	// twice takes an int64.
	"twice": func(n int64) int64 { return 2 * n },
	// day takes a time.Time.
	"day":   func(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04") },
	"shout": func(s string) string { return strings.ToUpper(s) + "!" },
	"join":  func(sep string, parts ...string) string { return strings.Join(parts, sep) },
	"oops":  func() (string, error) { return "", errors.New("oops") },
	"kaboom": func(s string) string {
		panic("kaboom: " + s)
	},
	// isNil takes a pointer: a nil literal or a nil value must reach it as nil.
	"isNil": func(p *string) bool { return p == nil },
}

// ---- helpers ----

// parse parses src as the template "page" with funcs.
func parse(t testing.TB, src string) *template.Template {
	t.Helper()
	tmpl, err := template.New("page").Funcs(funcs).Parse(src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return tmpl
}

// runHTMLTemplate runs src with html/template.
func runHTMLTemplate(t testing.TB, src string, data any) ([]byte, error) {
	t.Helper()
	var want bytes.Buffer
	err := parse(t, src).ExecuteTemplate(&want, "page", data)
	return want.Bytes(), err
}

// runHTMLExec compiles src, parsed apart from any other set, and runs it.
func runHTMLExec(t testing.TB, src string, data any) ([]byte, error) {
	t.Helper()
	prog, err := htmlexec.Compile(parse(t, src), "page", funcs)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	var got bytes.Buffer
	err = prog.Execute(&got, data)
	return got.Bytes(), err
}

// diffReport says where want and got first differ, with a window of both
// around that offset.
func diffReport(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-30)
	return fmt.Sprintf("first difference at byte %d (want %d bytes, got %d bytes)\n  want …%q…\n  got  …%q…",
		i, len(want), len(got), want[lo:min(len(want), i+30)], got[lo:min(len(got), i+30)])
}

// checkSame fails unless want and got, with their errors, agree.
func checkSame(t *testing.T, want []byte, wantErr error, got []byte, gotErr error) {
	t.Helper()
	switch {
	case wantErr != nil && gotErr == nil:
		t.Errorf("html/template failed but htmlexec did not\n  html/template error: %v\n  htmlexec output: %q", wantErr, clip(got))
	case wantErr == nil && gotErr != nil:
		t.Errorf("htmlexec failed but html/template did not\n  htmlexec error: %v\n  html/template output: %q", gotErr, clip(want))
	case wantErr == nil && !bytes.Equal(want, got):
		t.Errorf("output differs from html/template: %s", diffReport(want, got))
	}
}

// clip shortens b for a message.
func clip(b []byte) []byte {
	if len(b) > 200 {
		return append(b[:200:200], "…"...)
	}
	return b
}

type sameCase struct {
	name string
	src  string
	data any
}

// sameOutputCases are the templates whose output htmlexec must reproduce.
func sameOutputCases() []sameCase {
	p := newPage()
	cases := []sameCase{
		// Text and the basic contexts.
		{"text only", `<p>Hello, <b>world</b> &amp; all</p>`, nil},
		{"empty template", ``, nil},
		{"comments and trim markers", "<p>{{/* a comment */}}a {{- .Name -}} b</p><!-- html comment -->", p},
		{"string in text", `<p>{{.}}</p>`, "hello"},
		{"quoted attribute", `<p title="{{.}}">x</p>`, `Tom & "Jerry" <'s> +1`},
		{"single-quoted attribute", `<p title='{{.}}'>x</p>`, `Tom & "Jerry" <'s> +1`},
		{"data attribute and input value", `<div data-id="{{.ID}}"><input value="{{.Title}}"></div>`, p},
		{"title is RCDATA", `<title>{{.}}</title>`, `a < b && "c" > 'd' +`},
		{"textarea is RCDATA", `<textarea>{{.}}</textarea>`, "</textarea><script>x</script>"},
		{"class built from if and field", `<p class="{{if .On}}on{{end}} {{.Name}}">x</p>`, p},

		// URLs.
		{"href safe absolute URL", `<a href="{{.URL}}">x</a>`, p},
		{"href javascript URL is filtered", `<a href="{{.URL}}">x</a>`, struct{ URL string }{"javascript:alert(1)"}},
		{"href mixed-case javascript is filtered", `<a href="{{.}}">x</a>`, " JaVaScRiPt:alert(1)"},
		{"href upper-case HTTP scheme", `<a href="{{.URL}}">x</a>`, struct{ URL string }{"HTTP://x"}},
		{"href mailto", `<a href="{{.URL}}">x</a>`, struct{ URL string }{"mailto:a@b"}},
		{"href data URL is filtered", `<a href="{{.}}">x</a>`, "data:text/html,<b>"},
		{"href relative with space and query", `<a href="{{.URL}}">x</a>`, struct{ URL string }{"/a b?c=d&e"}},
		{"href colon after slash is not a scheme", `<a href="{{.}}">x</a>`, "/a/b:c"},
		{"href protocol-relative", `<a href="{{.}}">x</a>`, "//example.com/x"},
		{"href valid percent escapes kept", `<a href="{{.}}">x</a>`, "/a%41%2fb?q=%7E"},
		{"href invalid percent escape", `<a href="{{.URL}}">x</a>`, struct{ URL string }{"%zz"}},
		{"href trailing percent", `<a href="/u/{{.}}">x</a>`, "100%"},
		{"href non-ASCII and quotes", `<a href="{{.}}">x</a>`, "/ü/日本?q='x'(y)\"z\""},
		{"img src", `<img src="{{.}}" alt="{{.}}">`, "/img/a b.png"},
		{"other URL attributes", `<object data="{{.}}"></object><svg><a xlink:href="{{.}}"></a></svg><button formaction="{{.}}"></button><i data-url="{{.}}"></i>`, "javascript:x"},
		{"other plain attributes", `<meta name="x" content="{{.}}"><iframe srcdoc="{{.}}"></iframe><input type="{{.}}">`, `<b a="1">`},
		{"action between attributes", `<p title="{{.Name}}" {{if .On}}hidden{{end}} id="{{.ID}}">`, p},
		{"xmp is escaped as text", `<xmp>{{.}}</xmp>`, "<b>&"},
		{"form action", `<form action="{{.}}"></form>`, "/submit?x=1"},
		{"href path part", `<a href="/users/{{.}}/edit">x</a>`, "a b/c?d#e"},
		{"href mailto part", `<a href="mailto:{{.}}">x</a>`, "a b@c.d?subject=x y"},
		{"href query part", `<a href="/x?q={{.Q}}">x</a>`, p},
		{"href two query parts", `<a href="/x?a={{.Q}}&b={{.Name}}">x</a>`, p},
		{"href fragment part int", `<a href="#step-{{.ID}}">x</a>`, p},
		{"href fragment part string", `<a href="#step-{{.}}">x</a>`, "a b/c#d"},
		{"href two actions", `<a href="{{.URL}}{{.Q}}">x</a>`, p},
		{"template.URL in href passes the filter", `<a href="{{.Link}}">x</a>`, p},
		{"template.URL in query keeps its syntax", `<a href="/x?{{.}}">x</a>`, template.URL("a=b&c=d e")},
		{"template.HTML in href is filtered as text", `<a href="{{.}}">x</a>`, template.HTML("javascript:x")},

		// Typed strings.
		{"template.HTML in text passes through", `<div>{{.Raw}}</div>`, p},
		{"template.HTML in title keeps entities", `<title>{{.}}</title>`, template.HTML("<b>a</b> &amp; b")},
		{"pointer to template.HTML", `<div>{{.}}</div>`, func() *template.HTML { h := template.HTML("<i>x</i>"); return &h }()},
		{"template.HTML in an any field", `<div>{{.Any}}</div>`, struct{ Any any }{template.HTML("<i>x</i>")}},
		{"template.JS in text is escaped", `<div>{{.}}</div>`, template.JS("a<b")},
		{"template.HTMLAttr in text is escaped", `<div>{{.}}</div>`, template.HTMLAttr(`x="y"`)},
		{"printf with a typed-string format fails", `{{printf .}}`, template.HTML("x")},
		{"template.HTML in attribute", `<a title="{{.}}">`, template.HTML("<b>x</b> &amp; y")},

		// Numbers, bools, nils, pointers, Stringers.
		{"int", `<p title="{{.}}">{{.}}</p>`, -42},
		{"int64", `{{.}}`, int64(-1 << 62)},
		{"int64 field", `{{.N64}}`, p},
		{"uint", `{{.}}`, uint(18446744073709551615)},
		{"uint8", `{{.}}`, uint8(200)},
		{"float64", `{{.}}`, 1e21},
		{"float64 field", `{{.F}}`, p},
		{"float64 fraction", `{{.}}`, 0.1 + 0.2},
		{"float32", `{{.}}`, float32(1.5)},
		{"bools", `{{.On}} {{.Off}} <a title="{{.On}}">`, p},
		{"nil data", `<p title="{{.}}">{{.}}</p>`, nil},
		{"field of nil data", `<p>{{.Name}}</p>`, nil},
		{"nil pointer field", `<p title="{{.NilP}}">{{.NilP}}</p>`, p},
		{"pointer to string field", `<p title="{{.P}}">{{.P}}</p>`, p},
		{"pointer to string as data", `{{.}}`, strPtr("<x>")},
		{"pointer to pointer to string", `{{.}}`, func() **string { s := strPtr("<pp>"); return &s }()},
		{"nil interface field", `[{{.Any}}]`, struct{ Any any }{}},
		{"any holding a string", `[{{.Any}}]`, struct{ Any any }{"<s>"}},
		{"any holding an int", `[{{.Any}}]`, struct{ Any any }{12}},
		{"any holding a nil pointer", `[{{.Any}}]`, struct{ Any any }{(*string)(nil)}},
		{"error field", `<p>{{.Err}}</p>`, p},
		{"nil error field", `<p>{{.Err}}</p>`, &page{}},
		{"Stringer with value receiver", `<p title="{{.Price}}">{{.Price}}</p>`, p},
		{"Stringer with pointer receiver", `<p>{{.Badge}}</p>`, p},
		{"Stringer with pointer receiver held by value", `<p>{{.}}</p>`, badge{Text: "<v>"}},
		{"nil pointer with a Stringer", `<p>{{.}}</p>`, (*badge)(nil)},
		{"Stringer as data", `{{.}}`, money(5)},
		{"struct printed", `{{.}}`, item{Key: "k", Name: "<n>", Qty: 1}},
		{"byte slice printed", `{{.}}`, []byte("hi")},
		{"time printed", `{{.When}}`, p},

		// Fields and methods.
		{"nested field chain", `{{.User.Name}} {{.Article.Title}}`, p},
		{"field promoted through embedded struct", `{{.Article.ID}} {{.Article.Slug}}`, p},
		{"field promoted through embedded pointer", `{{.Article.Author}}`, p},
		{"field through nil embedded pointer fails", `{{.Author}}`, &article{Title: "x"}},
		{"method with value receiver", `{{.User.Upper}} {{.Count}}`, p},
		{"method with pointer receiver", `{{.User.Greeting}}`, p},
		{"value-receiver method on non-pointer data", `{{.Count}}`, page{Items: make([]item, 2)}},
		{"pointer-receiver method on non-pointer data fails", `{{.Greeting}}`, account{Name: "x"}},
		{"method with a string literal argument", `{{.T "key"}}`, p},
		{"method with a field argument through $", `{{$.T .Key}}`, p},
		{"method with a field argument in range", `{{range .Items}}{{$.T .Key}};{{end}}`, p},
		{"method returning a nil error", `{{.Fine}}`, p},
		{"method returning an error fails", `a{{.Fail}}b`, p},
		{"method that panics fails", `a{{.Boom}}b`, p},
		{"unknown field fails", `{{.Nope}}`, p},
		{"unexported field fails", `{{.x}}`, struct{ x int }{1}},
		{"field of nil pointer fails", `{{.NoUser.Name}}`, p},
		{"method on nil pointer fails", `{{.NoUser.Upper}}`, p},
		{"field with arguments fails", `{{.Name "x"}}`, p},
		{"method missing its argument fails", `{{.T}}`, p},
		{"method with variadic arguments", `{{.Join "a" .Name "<c>"}} {{.Join}}`, p},
		{"method with an any argument", `{{.Echo 3}} {{.Echo 2.5}} {{.Echo "s"}} {{.Echo true}} {{.Echo .P}} {{.Echo nil}}`, p},
		{"method with an int argument", `{{.Times 2}} {{.N | .Times}}`, p},
		{"method with a float literal for an int fails", `{{.Times 2.5}}`, p},
		{"method with dot and pipeline arguments", `{{range .Items}}{{$.T .Name}}{{$.T (print .Qty)}}{{end}}`, p},
		{"method of an error field", `{{.Err.Error}}`, p},
		{"with on an error", `{{with .Err}}<{{.}}>{{end}}`, p},

		// if, with, range, template.
		{"if true", `{{if .On}}yes{{end}}`, p},
		{"if else-if else: first", `{{if eq .N 42}}a{{else if .On}}b{{else}}c{{end}}`, p},
		{"if else-if else: second", `{{if eq .N 1}}a{{else if .On}}b{{else}}c{{end}}`, p},
		{"if else-if else: last", `{{if eq .N 1}}a{{else if .Off}}b{{else}}c{{end}}`, p},
		{"if on empty string, nil pointer, empty slice", `{{if .Empty}}a{{end}}{{if .NilP}}b{{end}}{{if .None}}c{{end}}{{if .Items}}d{{end}}`, p},
		{"if on zero numbers", `{{if .}}t{{else}}f{{end}}`, 0.0},
		{"if on a struct is true", `{{if .}}t{{end}}`, struct{}{}},
		{"if on nil data", `{{if .}}t{{else}}f{{end}}`, nil},
		{"with sets dot", `{{with .User}}<b title="{{.Name}}">{{.Name}}</b>{{end}}`, p},
		{"with else", `{{with .NoUser}}{{.Name}}{{else}}nobody {{.Name}}{{end}}`, p},
		{"with on an any field", `{{with .Any}}<{{.}}>{{end}}`, p},
		{"else with", `{{with .NoUser}}a{{else with .User}}{{.Name}}{{end}}`, p},
		{"$ inside with", `{{with .User}}{{.Name}}/{{$.Name}}{{end}}`, p},
		{"range over slice of structs", `<ul>{{range .Items}}<li title="{{.Name}}"><a href="{{.URL}}">{{.Name}}</a> {{.Qty}}</li>{{end}}</ul>`, p},
		{"range over empty slice with else", `{{range .None}}x{{else}}none {{.Name}}{{end}}`, p},
		{"range over nil slice", `[{{range .NilList}}x{{end}}]`, p},
		{"range over nil slice with else", `[{{range .NilList}}x{{else}}empty{{end}}]`, p},
		{"range over array", `{{range .Arr}}<{{.}}>{{end}}`, p},
		{"range over slice of any", `{{range .}}[{{.}}]{{end}}`, []any{1, "<a>", nil, template.HTML("<b>"), 2.5}},
		{"range over slice of pointers", `{{range .}}{{.Name}},{{end}}`, []*account{{Name: "a"}, {Name: "b"}}},
		{"range over pointer to slice", `{{range .}}{{.}}{{end}}`, &[]string{"a", "b"}},
		{"$ inside range", `{{range .Items}}{{.Name}}@{{$.Title}};{{end}}`, p},
		{"nested ranges", `{{range .Items}}{{range $.Arr}}{{.}}{{end}};{{end}}`, p},
		{"pointer-receiver method on range element", `{{range .}}{{.Greeting}};{{end}}`, []account{{Name: "a"}, {Name: "b"}}},
		{"range over a string fails", `{{range .}}x{{end}}`, "abc"},
		{"range over an int", `{{range .}}{{.}}{{end}}`, 3},
		{"range over an empty map", `{{range .}}x{{else}}none{{end}}`, map[string]int{}},
		{"map key", `{{.k}}`, map[string]string{"k": "v"}},
		{"template call with a field", `{{define "x"}}<i title="{{.Name}}">{{.Name}}</i>{{end}}{{template "x" .User}}`, p},
		{"template call without pipeline", `{{define "x"}}[{{.}}]{{end}}{{template "x"}}`, p},
		{"template call: $ is the argument", `{{define "x"}}{{$.Name}}{{end}}{{template "x" .User}}`, p},
		{"template call in range", `{{define "row"}}<tr><td>{{.Name}}</td></tr>{{end}}<table>{{range .Items}}{{template "row" .}}{{end}}</table>`, p},
		{"template calls template", `{{define "a"}}a{{template "b" .}}{{end}}{{define "b"}}b{{.}}{{end}}{{template "a" .N}}`, p},
		{"block", `{{block "b" .Name}}<{{.}}>{{end}}`, p},
		{"recursive template", `{{define "n"}}{{.V}},{{with .Next}}{{template "n" .}}{{end}}{{end}}{{template "n" .}}`, chain(50)},
		{"deeply recursive template", `{{define "n"}}{{.V}},{{with .Next}}{{template "n" .}}{{end}}{{end}}{{template "n" .}}`, chain(1500)},

		// Comparison functions.
		{"eq two args", `{{eq .N 42}} {{eq .Name "Bob"}}`, p},
		{"eq three args", `{{eq .N 1 2 42}} {{eq .N 1 2 3}}`, p},
		{"eq int field with literal in if", `{{if eq .ID 7}}seven{{end}}`, p},
		{"eq int and uint", `{{eq .U 9}} {{eq 9 .U}}`, p},
		{"eq int with string fails", `{{eq .N "42"}}`, p},
		{"eq bools and nils", `{{eq .On true}} {{eq .NilP .NilP}}`, p},
		{"eq structs", `{{eq .A .B}}`, struct{ A, B item }{item{Key: "k"}, item{Key: "k"}}},
		{"eq non-comparable fails", `{{eq .Items .Items}}`, p},
		{"eq and ne with a nil literal", `{{eq .NilP nil}} {{ne .Err nil}}`, p},
		{"eq and lt through an any field", `{{eq .Any "any <string>"}} {{lt .A 3}}`, struct{ Any, A any }{"any <string>", 2}},
		{"eq typed strings", `{{eq .Raw "<b>bold</b> &amp; fine"}}`, p},
		{"ne", `{{ne .N 42}} {{ne .Name "Bob"}}`, p},
		{"lt le gt ge on ints", `{{lt .N 50}} {{le .N 42}} {{gt .N 42}} {{ge .N 43}} {{lt 3 .U}}`, p},
		{"lt le gt ge on strings", `{{lt .Name "Bob"}} {{le "a" "a"}} {{gt .Name "Ab"}} {{ge "b" "a"}}`, p},
		{"lt on floats", `{{lt .F 3.5}} {{gt .F 3.0}}`, p},
		{"gt float with int fails", `{{gt .F 3}}`, p},
		{"lt on bools fails", `{{lt .On .Off}}`, p},
		{"lt int with string fails", `{{lt .N "x"}}`, p},

		// and, or, not.
		{"and value output", `{{and .On .Name}} {{and .Name .Empty .On}}`, p},
		{"or value output", `{{or .Empty "fallback"}} {{or .Name "fallback"}} {{or .Empty .Off}}`, p},
		{"or in attribute", `<a title="{{or .Empty "<dflt>"}}">`, p},
		{"and short-circuits a nil pointer", `{{if and .NoUser .NoUser.Name}}x{{else}}no user{{end}}`, p},
		{"or short-circuits a nil pointer", `{{if or .On .NoUser.Name}}on{{end}}`, p},
		{"not", `{{not .On}} {{not .Empty}} {{not .NilP}} {{not .Items}}`, p},
		{"not in if", `{{if not .Off}}off{{end}}`, p},
		{"and with pipe", `{{.Name | and .On}} {{.Empty | or "x"}}`, p},

		// len, print, printf, slice.
		{"len of slices and strings", `{{len .Items}} {{len .None}} {{len .NilList}} {{len .Name}} {{len .Arr}}`, p},
		{"len of a multi-byte string counts bytes", `{{len .}}`, "日本語"},
		{"len of a pointer to string", `{{len .P}}`, p},
		{"len of a nil pointer fails", `{{len .NilP}}`, p},
		{"len of an int fails", `{{len .N}}`, p},
		{"len and slice through an any field", `{{len .Any}} {{slice .Any 1 3}}`, struct{ Any any }{"abcdef"}},
		{"print", `{{print .Name .N .F}} {{print "a" "b"}} {{print 1 2}} {{print .NilP}} {{print .Any}}`, p},
		{"print of a nil interface", `{{print .Any}}`, struct{ Any any }{}},
		{"println", `<pre>{{println .Name .N}}</pre>`, p},
		{"printf", `{{printf "%d-%s" .N .Name}}`, p},
		{"printf with a method call argument", `{{printf "%s=%d" (.T "k") .N}}`, p},
		{"printf of a struct and pointer", `{{printf "%v %+v" .Arr .User}}`, p},
		{"printf in attribute", `<a title="{{printf "%q" .Title}}">`, p},
		{"printf with wrong verb", `{{printf "%d" .Name}}`, p},
		{"number literals", `{{print 1.5 2 'a' 0x1F 1e3 -7}}`, nil},
		{"hex float literal", `{{printf "%T %v" 0x1p-2 0x1p-2}}`, nil},
		{"print nil", `{{print nil}}`, nil},
		{"slice with two indexes", `{{slice .S 0 3}}`, p},
		{"slice with one index", `{{slice .S 2}}`, p},
		{"slice of a slice in range", `{{range slice .Items 1}}{{.Name}};{{end}}`, p},
		{"slice of a string in the middle of a character", `{{slice . 1}}`, "日本"},
		{"slice out of range fails", `{{slice .S 3 100}}`, p},
		{"slice with inverted indexes fails", `{{slice .S 3 1}}`, p},
		{"slice of an int fails", `{{slice .N 1}}`, p},

		// Functions of the FuncMap and pipelines.
		{"func returning a struct used with template", `{{define "card"}}<div title="{{.Title}}">{{.Title}}: {{.N}}</div>{{end}}{{template "card" (card "A <card>" 3)}}`, p},
		{"func taking int64 from a literal", `{{twice 21}}`, p},
		{"func taking int64 from a field", `{{twice .N64}}`, p},
		{"func taking int64 from an int field fails", `{{twice .N}}`, p},
		{"func taking time.Time", `<time title="{{day .When}}">{{day .When}}</time>`, p},
		{"variadic func", `{{join ", " "a" .Name "<c>"}} {{join "-"}}`, p},
		{"variadic func with piped arguments", `{{.Name | join ","}} {{"," | join}}`, p},
		{"func with a nil literal argument", `{{isNil nil}} {{isNil .NilP}} {{isNil .P}}`, p},
		{"func taking a string given a pointer", `{{shout .P}}`, p},
		{"func taking a string given a nil pointer fails", `{{shout .NilP}}`, p},
		{"func given $", `{{shout $.Name}}`, p},
		{"func returning an error fails", `{{oops}}`, p},
		{"func that panics fails", `{{kaboom "x"}}`, p},
		{"pipeline into printf", `{{.N | printf "%03d"}}`, p},
		{"pipeline into func", `{{.Name | shout}} {{.Name | shout | printf "%q"}}`, p},
		{"pipeline of a method into func", `{{.T "k" | shout}}`, p},
		{"pipeline of any into func", `{{.Any | shout}}`, p},
		{"nil any piped into func taking a pointer", `{{.Any | isNil}}`, struct{ Any any }{}},
		{"parenthesized pipeline argument", `{{printf "%s|%s" (.Name | shout) (print .N)}}`, p},
		{"field of a parenthesized pipeline in with", `{{with card "t" 2}}{{.Title}}{{.N}}{{end}}`, p},
		{"literal commands", `{{"<lit>"}} {{42}} {{true}} {{1.5}}`, nil},
		{"dot as a command in range of strings", `{{range .}}{{.}}{{end}}`, []string{"<a>", "&b"}},
	}
	cases = append(cases, edgeCases()...)
	return append(cases, hostileCases()...)
}

type (
	namedKey  string
	smallInts struct{}
	errPtr    struct{}
)

func (smallInts) Small(n int8) int8 { return n }
func (*errPtr) Error() string       { return "e<" }

// edgeCases are the differences a review found after the first fixes.
func edgeCases() []sameCase {
	format := "%d<x>"
	var nilErr *errPtr
	return []sameCase{
		{"map keyed by a named string type fails", `{{.k}}`, map[namedKey]string{"k": "v"}},
		{"slice index held in an any fails", `{{slice .S 0 .I}}`, struct {
			S string
			I any
		}{"abcdef", 2}},
		{"printf with a *string format", `{{printf .P 3}}`, struct{ P *string }{&format}},
		{"range over a uint", `{{range .}}{{.}}{{end}}`, uint(3)},
		{"int8 literal truncated", `{{.Small 300}}`, smallInts{}},
		{"typed nil error", `<a title="{{.E}}">{{.E}}</a>`, struct{ E error }{nilErr}},
		{"template.HTML with entities in attribute", `<a title="{{.}}">`, template.HTML("<b>a&lt;b</b> &quot; 'x' +")},
		{"eq and not of a missing key", `{{eq .nope "x"}} {{if not .nope}}y{{end}}`, map[string]string{}},
		{"len of a missing key fails", `{{len .nope}}`, map[string]string{}},
		{"URL with a split escape", `<a href="/a%4{{.}}">`, "1"},
	}
}

// hostileCases runs every hostile string through every supported context.
func hostileCases() []sameCase {
	strs := []struct{ name, s string }{
		{"script tag", `<script>alert("x")</script>`},
		{"quotes ampersand plus", `"'&+`},
		{"NUL byte", "a\x00b\x00"},
		{"invalid UTF-8", "\xff\xfe ok \xc3"},
		{"Japanese", "日本語のテキスト、「引用」"},
		{"emoji", "🎉 👍🏽 👩‍👩‍👧"},
		{"existing entity", "a&amp;b &lt;"},
		{"whitespace and controls", " a\tb\nc\r\x01\x7f "},
		{"backtick equals", "`x`=y <>"},
		{"empty", ""},
		{"javascript URL", "javascript:alert(1)"},
		{"URL syntax", "/p/a b?c=d&e=f#g!$*,;:@[]()'~"},
		{"valid percent escapes", "%41%2F%e6%97%a5"},
		{"U+FFFD and noncharacters", "\uFFFD\uFDD0\uFFFE"},
	}
	contexts := []struct{ name, src string }{
		{"text", `<p>{{.}}</p>`},
		{"attr", `<p title="{{.}}">`},
		{"single attr", `<p title='{{.}}'>`},
		{"title", `<title>{{.}}</title>`},
		{"textarea", `<textarea>{{.}}</textarea>`},
		{"href", `<a href="{{.}}">`},
		{"href path", `<a href="/u/{{.}}">`},
		{"href query", `<a href="/x?q={{.}}">`},
		{"href fragment", `<a href="#step-{{.}}">`},
		{"printf", `<p>{{printf "%s|%q" . .}}</p>`},
		{"any field", `<p title="{{.Any}}">{{.Any}}</p>`},
	}
	var cases []sameCase
	for _, c := range contexts {
		for _, s := range strs {
			var data any = s.s
			if c.name == "any field" {
				data = struct{ Any any }{s.s}
			}
			cases = append(cases, sameCase{"hostile/" + c.name + "/" + s.name, c.src, data})
		}
	}
	return cases
}

// ---- tests ----

func TestSameOutputAsHTMLTemplate(t *testing.T) {
	for _, tc := range sameOutputCases() {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := runHTMLTemplate(t, tc.src, tc.data)
			// A case named "… fails" checks that both fail; any other, that
			// both succeed.
			if shouldFail := strings.HasSuffix(tc.name, " fails"); shouldFail != (wantErr != nil) {
				t.Fatalf("the case is wrong: its name says fails=%v, html/template's error is %v", shouldFail, wantErr)
			}
			got, gotErr := runHTMLExec(t, tc.src, tc.data)
			checkSame(t, want, wantErr, got, gotErr)
		})
	}
}

// TestSameOutputAcrossExecutions runs one Program on several data values in
// turn, so that what it caches from one run must not change the next.
func TestSameOutputAcrossExecutions(t *testing.T) {
	// Name is field 0 of account and field 1 of pet.
	type pet struct{ Species, Name string }
	cases := []struct {
		name  string
		src   string
		datas []any
	}{
		{"two types with the same field", `<b title="{{.Name}}">{{.Name}}</b>`,
			[]any{&account{Name: "a"}, pet{Name: "b"}, &account{Name: "c"}, pet{Name: "d"}}},
		{"value then pointer receiver", `{{.Upper}}`,
			[]any{account{Name: "a"}, &account{Name: "b"}, account{Name: "c"}}},
		{"pointer method fails on a value, then works on a pointer", `{{.Greeting}}`,
			[]any{account{Name: "a"}, &account{Name: "b"}}},
		{"unknown field on one type only", `{{.Species}}`,
			[]any{pet{Species: "cat"}, account{Name: "x"}, pet{Species: "dog"}}},
		{"non-nil then nil pointer", `{{.User.Name}}`,
			[]any{newPage(), &page{}}},
		{"nil then non-nil pointer", `{{.User.Name}}`,
			[]any{&page{}, newPage(), newPage()}},
		{"different element types in one range", `{{range .}}{{.Name}};{{end}}`,
			[]any{[]any{pet{Name: "a"}, &account{Name: "b"}, pet{Name: "c"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantTmpl := parse(t, tc.src)
			prog, err := htmlexec.Compile(parse(t, tc.src), "page", funcs)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			for i, data := range tc.datas {
				var want, got bytes.Buffer
				wantErr := wantTmpl.ExecuteTemplate(&want, "page", data)
				gotErr := prog.Execute(&got, data)
				t.Run(fmt.Sprintf("run %d %T", i, data), func(t *testing.T) {
					checkSame(t, want.Bytes(), wantErr, got.Bytes(), gotErr)
				})
			}
		})
	}
}

func TestCompileRejectsWhatItCannotRun(t *testing.T) {
	cases := []struct {
		name  string
		src   string
		funcs template.FuncMap // to parse with, if not funcs
	}{
		{"variable declaration", `{{$x := .A}}{{$x}}`, nil},
		{"variable declared in if", `{{if $x := .A}}{{.}}{{end}}`, nil},
		{"range with variables", `{{range $i, $v := .S}}{{$v}}{{end}}`, nil},
		{"range with one variable", `{{range $v := .S}}{{$v}}{{end}}`, nil},
		{"index", `{{index .M "k"}}`, nil},
		{"call", `{{call .F}}`, nil},
		{"predefined escaper html", `{{.S | html}}`, nil},
		{"predefined escaper urlquery", `{{.S | urlquery}}`, nil},
		{"predefined escaper js", `{{js .S}}`, nil},
		{"JS escaper in script", `<script>var x = {{.}};</script>`, nil},
		{"CSS in style element", `<style>{{.}}</style>`, nil},
		{"CSS in style attribute", `<p style="color: {{.}}">`, nil},
		{"JS in event handler attribute", `<a onclick="{{.}}">`, nil},
		{"unquoted attribute", `<a title={{.}}>`, nil},
		{"srcset", `<img srcset="{{.}}">`, nil},
		{"HTML comment", `<!-- {{.}} -->`, nil},
		{"template derived for attribute context", `{{define "v"}}{{.}}{{end}}<a title="{{template "v" .}}">`, nil},
		{"template derived for URL context", `{{define "v"}}{{.}}{{end}}<a href="{{template "v" .}}">`, nil},
		{"undefined function", `{{nosuch .}}`, template.FuncMap{"nosuch": func(any) string { return "" }}},
		{"user func with too many arguments", `{{shout "a" "b"}}`, nil},
		{"user func with too few arguments", `{{card "a"}}`, nil},
		{"user func with an extra piped argument", `{{.S | shout "a"}}`, nil},
		{"user func literal of the wrong type", `{{twice "x"}}`, nil},
		{"break", `{{range .S}}{{break}}{{end}}`, nil},
		{"continue", `{{range .S}}{{continue}}{{end}}`, nil},
		{"chain node", `{{(.A).B}}`, nil},
		{"attribute name", `<a {{.}}="x">`, nil},
		{"field of a func result", `{{(card "x" 5).N}}`, nil},
		{"escaping error: branches end in different contexts", `<a {{if .}}href="{{else}}title="{{end}}x">`, nil},
		{"no such template", `{{template "missing" .}}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parseFuncs := funcs
			if tc.funcs != nil {
				parseFuncs = template.FuncMap{}
				for k, v := range funcs {
					parseFuncs[k] = v
				}
				for k, v := range tc.funcs {
					parseFuncs[k] = v
				}
			}
			tmpl, err := template.New("page").Funcs(parseFuncs).Parse(tc.src)
			if err != nil {
				t.Fatalf("the case must parse: %v", err)
			}
			prog, err := compileNoPanic(t, tmpl)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, nil; want an error", tc.src, prog)
			}
			if prog != nil {
				t.Errorf("Compile returned both a Program and the error %v", err)
			}
		})
	}
}

// compileNoPanic compiles "page" of tmpl with funcs, failing the test if
// Compile panics.
func compileNoPanic(t *testing.T, tmpl *template.Template) (prog *htmlexec.Program, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Compile panicked: %v", r)
		}
	}()
	return htmlexec.Compile(tmpl, "page", funcs)
}

func TestCompileReportsMissingTemplateName(t *testing.T) {
	if _, err := htmlexec.Compile(parse(t, `x`), "nope", funcs); err == nil {
		t.Fatal("Compile of a name that is not in the set succeeded")
	}
}

func TestConcurrentExecute(t *testing.T) {
	// Name is field 0 of account and field 1 of pet: a lookup cached for
	// the wrong type would print the Species.
	type pet struct {
		Species string
		Name    string
	}
	const src = `{{define "who"}}<i>{{.Name}}</i>{{end}}<p title="{{.Name}}">{{.Name}} {{template "who" .}}</p>`
	datas := []any{
		&account{Name: "Grace <admin>"},
		pet{Name: `Rex "the dog"`, Species: "dog"},
		account{Name: "Ada & Bob"},
		&pet{Name: "Tom+Jerry"},
	}
	wantTmpl := parse(t, src)
	wants := make([]string, len(datas))
	for i, d := range datas {
		var b bytes.Buffer
		if err := wantTmpl.ExecuteTemplate(&b, "page", d); err != nil {
			t.Fatalf("html/template on %T: %v", d, err)
		}
		wants[i] = b.String()
	}
	prog, err := htmlexec.Compile(parse(t, src), "page", funcs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	const goroutines, runs = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			var buf bytes.Buffer
			for r := range runs {
				i := (g + r) % len(datas)
				buf.Reset()
				if err := prog.Execute(&buf, datas[i]); err != nil {
					t.Errorf("goroutine %d run %d (%T): %v", g, r, datas[i], err)
					return
				}
				if buf.String() != wants[i] {
					t.Errorf("goroutine %d run %d (%T): %s", g, r, datas[i], diffReport([]byte(wants[i]), buf.Bytes()))
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestExecuteRecoversPanics(t *testing.T) {
	cases := []struct {
		name string
		src  string
	}{
		{"method that panics", `a{{.Boom}}b`},
		{"method that panics in a called template", `{{define "x"}}{{.Boom}}{{end}}{{template "x" .}}`},
		{"func that panics", `{{kaboom .Name}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := htmlexec.Compile(parse(t, tc.src), "page", funcs)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var buf bytes.Buffer
			err = executeNoPanic(t, prog, &buf, newPage())
			if err == nil {
				t.Fatalf("Execute = nil error, output %q; want an error from the panic", buf.String())
			}
			if _, wantErr := runHTMLTemplate(t, tc.src, newPage()); wantErr == nil {
				t.Errorf("html/template did not fail either; the case does not panic")
			}
		})
	}
	t.Run("program still runs after a panic", func(t *testing.T) {
		const src = `{{if .On}}{{.Boom}}{{else}}{{.Name}}{{end}}`
		prog, err := htmlexec.Compile(parse(t, src), "page", funcs)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		var buf bytes.Buffer
		if err := executeNoPanic(t, prog, &buf, newPage()); err == nil {
			t.Fatal("Execute did not report the panic")
		}
		buf.Reset()
		if err := executeNoPanic(t, prog, &buf, &page{Name: "calm"}); err != nil || buf.String() != "calm" {
			t.Fatalf("Execute after a panic = %q, %v; want \"calm\", nil", buf.String(), err)
		}
	})
}

// executeNoPanic runs prog, failing the test if Execute panics.
func executeNoPanic(t *testing.T, prog *htmlexec.Program, w *bytes.Buffer, data any) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Execute panicked: %v", r)
		}
	}()
	return prog.Execute(w, data)
}

// ---- benchmark ----

const benchPage = `{{define "row"}}<tr id="row-{{.ID}}" class="{{if .Active}}active{{else}}idle{{end}}">
<td><a href="/items/{{.ID}}?ref={{.Ref}}" title="{{.Name}}">{{.Name}}</a></td>
<td>{{with .Owner}}<span title="{{.Name}}">{{.Upper}}</span>{{else}}-{{end}}</td>
<td>{{printf "%.2f" .Price}}</td><td>{{len .Tags}}</td>
<td>{{range .Tags}}<span class="tag">{{.}}</span>{{end}}</td></tr>
{{end}}<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}} – {{.Site}}</title>
<link rel="stylesheet" href="{{.CSS}}"></head>
<body>
<nav>{{range .Nav}}<a href="{{.URL}}"{{if eq .URL $.Path}} aria-current="page"{{end}}>{{.Label}}</a> {{end}}</nav>
<h1 title="{{.Title}}">{{.Title}}</h1>
{{with .Flash}}<p class="flash">{{.}}</p>{{end}}
{{if .User}}<p>Signed in as <a href="/users/{{.User.Name}}">{{.User.Greeting}}</a>{{if .User.Admin}} (admin){{end}}</p>{{else}}<p><a href="/login?next={{.Path}}">Sign in</a></p>{{end}}
<form action="/search" method="get"><input name="q" value="{{.Query}}"></form>
<table>{{range .Rows}}{{template "row" .}}{{else}}<tr><td>nothing</td></tr>{{end}}</table>
<footer>{{len .Rows}} rows · {{if gt (len .Rows) 10}}many{{else}}few{{end}} · {{.Generated}} · {{or .Note "no note"}}</footer>
</body></html>`

type benchRow struct {
	ID     int
	Name   string
	Ref    string
	Active bool
	Owner  *account
	Price  float64
	Tags   []string
}

type benchLink struct{ URL, Label string }

type benchData struct {
	Lang, Title, Site, CSS, Path, Query, Flash, Note string
	Nav                                              []benchLink
	User                                             *account
	Rows                                             []benchRow
	Generated                                        time.Time
}

func newBenchData() *benchData {
	d := &benchData{
		Lang: "en", Title: "Keys & <values>", Site: "Redis demo", CSS: "/static/site.css",
		Path: "/keys", Query: `session:"abc" +x`, Flash: "Saved 3 keys.",
		Nav: []benchLink{
			{"/", "Home"}, {"/keys", "Keys"}, {"/lab", "Lab"}, {"/tutorial", "Tutorial"}, {"/about", "About"},
		},
		User:      &account{Name: "grace", Admin: true},
		Generated: time.Date(2024, time.March, 1, 12, 0, 0, 0, time.UTC),
	}
	for i := range 20 {
		r := benchRow{
			ID: i + 1, Name: fmt.Sprintf("session:%d <user>", i), Ref: fmt.Sprintf("list page=%d", i%3),
			Active: i%2 == 0, Price: float64(i) * 1.25, Tags: []string{"hash", "ttl"},
		}
		if i%3 != 0 {
			r.Owner = &account{Name: fmt.Sprintf("owner %d", i)}
		}
		d.Rows = append(d.Rows, r)
	}
	return d
}

func BenchmarkExecute(b *testing.B) {
	data := newBenchData()
	tmpl := parse(b, benchPage)
	prog, err := htmlexec.Compile(parse(b, benchPage), "page", funcs)
	if err != nil {
		b.Fatalf("Compile: %v", err)
	}
	var want, got bytes.Buffer
	if err := tmpl.Execute(&want, data); err != nil {
		b.Fatalf("html/template: %v", err)
	}
	if err := prog.Execute(&got, data); err != nil {
		b.Fatalf("htmlexec: %v", err)
	}
	if !bytes.Equal(want.Bytes(), got.Bytes()) {
		b.Fatalf("outputs differ: %s", diffReport(want.Bytes(), got.Bytes()))
	}
	b.Run("html-template", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := tmpl.Execute(&buf, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("htmlexec", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := prog.Execute(&buf, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
