package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rawTutorialKey matches a tutorial message key left untranslated on the
// page; the stylesheet's file name is not one.
var rawTutorialKey = regexp.MustCompile(`tutorial\.[a-z_]+(\.[a-z_]+)*`)

// TestTutorialPageRendersWithoutSession renders /tutorial in both languages
// for a visitor with no session and checks that every step is there, in
// order, and that the page created no session.
func TestTutorialPageRendersWithoutSession(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, srv := env.rdb, env.cfg, env.srv
	b := newBrowser(t, srv)
	for _, lang := range []string{"en", "ja"} {
		resp, body := b.get("/tutorial?lang="+lang, "Accept-Language", "fr")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /tutorial?lang=%s: status %d: %s", lang, resp.StatusCode, firstLine(body))
		}
		if !strings.Contains(body, `<html lang="`+lang+`">`) {
			t.Errorf("/tutorial in %s: wrong lang attribute", lang)
		}
		if c := setCookieHeader(resp, cfg.CookieName); c != nil {
			t.Errorf("/tutorial in %s set the session cookie: %v", lang, c)
		}
		last := -1
		for _, s := range tutorialSteps {
			title := html.EscapeString(translate(lang, s.Key("title")))
			i := strings.Index(body, `id="step-`+s.ID+`"`)
			if i < 0 || !strings.Contains(body[i:], title) {
				t.Errorf("/tutorial in %s lacks step %s (%q)", lang, s.ID, title)
				continue
			}
			if i < last {
				t.Errorf("/tutorial in %s: step %s is out of order", lang, s.ID)
			}
			last = i
		}
		if want := rdb.CLI + " GET " + html.EscapeString(cfg.KeyPrefix+sessionPlaceholder); !strings.Contains(body, want) {
			t.Errorf("/tutorial in %s lacks the command %q", lang, want)
		}
		for _, m := range rawTutorialKey.FindAllString(body, -1) {
			if m != "tutorial.css" {
				t.Errorf("/tutorial in %s shows the raw message key %q", lang, m)
			}
		}
		if !strings.Contains(body, `href="/static/tutorial.css"`) {
			t.Errorf("/tutorial in %s does not link its stylesheet", lang)
		}
	}
	if keys := sessionKeys(t, rdb, cfg); len(keys) != 0 {
		t.Errorf("/tutorial created session keys: %v", keys)
	}
	if got := b.cookie(cfg.CookieName); got != "" {
		t.Errorf("the browser holds a session cookie after /tutorial: %q", got)
	}
	if resp, _ := b.get("/static/tutorial.css"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /static/tutorial.css: status %d", resp.StatusCode)
	}
}

// TestTutorialShowsLiveSessionWithoutTouchingIt: a visitor with a session
// sees their own key in the commands; the page neither resends the cookie
// nor renews the TTL. A cookie whose session is gone shows the placeholder
// and creates nothing.
func TestTutorialShowsLiveSessionWithoutTouchingIt(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, srv := env.rdb, env.cfg, env.srv
	b := newBrowser(t, srv)
	st := b.state()
	key := cfg.KeyPrefix + st.Cookie.Value
	ctx := t.Context()
	if err := rdb.Client.Expire(ctx, key, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	resp, body := b.get("/tutorial")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(body, rdb.CLI+" GET "+key) {
		t.Errorf("the commands do not name the visitor's key %s", key)
	}
	if strings.Contains(body, html.EscapeString(cfg.KeyPrefix+sessionPlaceholder)) {
		t.Errorf("the page shows the placeholder although the visitor has a session")
	}
	if c := setCookieHeader(resp, cfg.CookieName); c != nil {
		t.Errorf("/tutorial resent the session cookie: %v", c)
	}
	if ttl := rdb.Client.TTL(ctx, key).Val(); ttl > time.Minute {
		t.Errorf("/tutorial renewed the TTL to %v", ttl)
	}

	stale := newBrowser(t, srv)
	stale.setCookie(cfg.CookieName, strings.Repeat("A", 43))
	before := len(sessionKeys(t, rdb, cfg))
	_, body = stale.get("/tutorial")
	if !strings.Contains(body, html.EscapeString(cfg.KeyPrefix+sessionPlaceholder)) {
		t.Errorf("a cookie for a session Redis does not hold is shown as live")
	}
	if strings.Contains(body, strings.Repeat("A", 43)) {
		t.Errorf("the page shows an ID Redis does not hold")
	}
	if after := len(sessionKeys(t, rdb, cfg)); after != before {
		t.Errorf("/tutorial with a stale cookie changed the number of sessions: %d -> %d", before, after)
	}
}

// TestTutorialNamesCodeThatExists parses every Go file a step names and
// finds every function it names, with its receiver, so that the page
// cannot point at code that was renamed or moved.
func TestTutorialNamesCodeThatExists(t *testing.T) {
	parsed := map[string]*ast.File{}
	for _, s := range tutorialSteps {
		if len(s.Express) == 0 || len(s.Go) == 0 || len(s.CLI) == 0 || len(s.See) == 0 {
			t.Errorf("step %s lacks Express names, Go code, commands or places to look", s.ID)
		}
		for _, ref := range s.Go {
			path := "../" + ref.File
			if _, err := os.Stat(path); err != nil {
				t.Errorf("step %s names %s: %v", s.ID, ref.File, err)
				continue
			}
			if ref.Func == "" {
				continue
			}
			if !strings.HasSuffix(ref.File, ".go") {
				t.Errorf("step %s names function %s in %s, which is not a Go file", s.ID, ref.Func, ref.File)
				continue
			}
			f, ok := parsed[path]
			if !ok {
				var err error
				if f, err = parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution); err != nil {
					t.Fatalf("parse %s: %v", path, err)
				}
				parsed[path] = f
			}
			recv, pointer, name, err := splitFuncRef(ref.Func)
			if err != nil {
				t.Errorf("step %s: %v", s.ID, err)
				continue
			}
			if !hasFunc(f, recv, pointer, name) {
				t.Errorf("step %s names %s in %s, which has no such function", s.ID, ref.Func, ref.File)
			}
		}
	}
}

var funcRefPattern = regexp.MustCompile(`^(?:\((\*)?([A-Za-z_]\w*)\)\.|([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)$`)

// splitFuncRef splits "name", "T.name" or "(*T).name" (also "(T).name").
func splitFuncRef(ref string) (recv string, pointer bool, name string, err error) {
	m := funcRefPattern.FindStringSubmatch(ref)
	if m == nil {
		return "", false, "", &refError{ref}
	}
	return m[2] + m[3], m[1] == "*", m[4], nil
}

type refError struct{ ref string }

func (e *refError) Error() string { return "malformed function reference " + e.ref }

// hasFunc reports whether f declares function name, or method name on
// receiver type recv (a pointer receiver when pointer is set).
func hasFunc(f *ast.File, recv string, pointer bool, name string) bool {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name {
			continue
		}
		if recv == "" {
			if fd.Recv == nil {
				return true
			}
			continue
		}
		if fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		typ, isPointer := fd.Recv.List[0].Type, false
		if star, ok := typ.(*ast.StarExpr); ok {
			typ, isPointer = star.X, true
		}
		if ident, ok := typ.(*ast.Ident); ok && ident.Name == recv && isPointer == pointer {
			return true
		}
	}
	return false
}

func TestTutorialFuncRefParsing(t *testing.T) {
	for ref, want := range map[string][3]string{
		"run":                      {"", "", "run"},
		"JSONSerializer.Serialize": {"JSONSerializer", "", "Serialize"},
		"(*Store).Open":            {"Store", "*", "Open"},
		"(App).x":                  {"App", "", "x"},
	} {
		recv, pointer, name, err := splitFuncRef(ref)
		star := ""
		if pointer {
			star = "*"
		}
		if err != nil || recv != want[0] || star != want[1] || name != want[2] {
			t.Errorf("splitFuncRef(%q) = %q %v %q %v", ref, recv, pointer, name, err)
		}
	}
	for _, bad := range []string{"", "(*T.m", "a.b.c", "(**T).m", "f()"} {
		if _, _, _, err := splitFuncRef(bad); err == nil {
			t.Errorf("splitFuncRef(%q) accepted", bad)
		}
	}
}

// TestTutorialCatalogIsComplete checks that both languages hold every text
// a step shows, and the same tutorial keys.
func TestTutorialCatalogIsComplete(t *testing.T) {
	shared := []string{
		"tutorial.title", "tutorial.heading", "tutorial.lead", "tutorial.no_session",
		"tutorial.session_live", "tutorial.session_none", "tutorial.embedded", "tutorial.toc",
		"tutorial.step", "tutorial.extra", "tutorial.back", "tutorial.open_main", "tutorial.press_button",
		"tutorial.label.express", "tutorial.label.go", "tutorial.label.press", "tutorial.label.see",
		"tutorial.label.cli", "tutorial.settings.heading", "tutorial.settings.cookie",
		"tutorial.settings.prefix", "tutorial.settings.max_age", "unit.seconds",
	}
	used := map[string]bool{}
	for _, key := range shared {
		used[key] = true
	}
	for _, s := range tutorialSteps {
		for _, key := range s.messageKeys() {
			used[key] = true
		}
	}
	for _, lang := range []string{"en", "ja"} {
		for key := range used {
			if strings.TrimSpace(catalog[lang][key]) == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		for key := range tutorialCatalog[lang] {
			if !strings.HasPrefix(key, "tutorial.") {
				t.Errorf("%s: key %q lacks the tutorial. prefix", lang, key)
			}
			if !used[key] {
				t.Errorf("%s: key %q is never shown", lang, key)
			}
			if _, ok := tutorialCatalog[otherLang(lang)][key]; !ok {
				t.Errorf("%s has %q but %s does not", lang, key, otherLang(lang))
			}
		}
	}
	// The formatted texts take exactly one argument.
	for _, key := range []string{"tutorial.session_live", "tutorial.session_none", "tutorial.press_button", "tutorial.step"} {
		for _, lang := range []string{"en", "ja"} {
			if n := strings.Count(catalog[lang][key], "%"); n != 1 {
				t.Errorf("%s %s has %d formatting verbs, want 1", lang, key, n)
			}
		}
	}
}

func otherLang(lang string) string {
	if lang == "en" {
		return "ja"
	}
	return "en"
}
