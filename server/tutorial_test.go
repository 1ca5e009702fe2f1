package server

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
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

// TestTutorialStepsAreComplete: every step has all its parts, and its
// button, if any, posts to a route of the app that nextPage brings back.
func TestTutorialStepsAreComplete(t *testing.T) {
	posts := map[string]bool{"/value": true, "/delete": true, "/rotate": true, "/destroy": true}
	for _, s := range tutorialSteps {
		if len(s.Express) == 0 || strings.TrimSpace(s.ExpressCode) == "" || len(s.Go) == 0 || len(s.CLI) == 0 || len(s.See) == 0 {
			t.Errorf("step %s lacks Express names, Express code, Go code, commands or places to look", s.ID)
		}
		if s.Button != "" && s.Post == "" {
			t.Errorf("step %s names a button of the main page but has none of its own", s.ID)
		}
		if (s.Post == "") != (s.PostLabel == "") || (s.Post != "" && !posts[s.Post]) {
			t.Errorf("step %s: button %q labelled %q", s.ID, s.Post, s.PostLabel)
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
		"tutorial.extra_tag", "tutorial.button_here", "tutorial.button_none", "tutorial.express_note", "tutorial.go_note", "tutorial.lines",
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

// pageEscaped is text as html/template writes it into the page.
func pageEscaped(t *testing.T, text string) string {
	t.Helper()
	var b strings.Builder
	if err := template.Must(template.New("").Parse("{{.}}")).Execute(&b, text); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// stepSection is the part of the tutorial page that holds step id's card.
func stepSection(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<li class="tut-step`)
	for i >= 0 && !strings.HasPrefix(body[i:], `<li class="tut-step"`+` id="step-`+id+`"`) &&
		!strings.HasPrefix(body[i:], `<li class="tut-step tut-step-extra" id="step-`+id+`"`) {
		next := strings.Index(body[i+1:], `<li class="tut-step`)
		if next < 0 {
			i = -1
			break
		}
		i += 1 + next
	}
	if i < 0 {
		t.Fatalf("the page has no card for step %s", id)
	}
	section := body[i:]
	if end := strings.Index(section[1:], `<li class="tut-step`); end >= 0 {
		section = section[:1+end]
	} else if end := strings.Index(section, "</ol>"); end >= 0 {
		section = section[:end]
	}
	return section
}

var (
	formPattern  = regexp.MustCompile(`<form method="post" action="([^"]*)">([\s\S]*?)</form>`)
	inputPattern = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// stepForm returns the path and fields of the form in a step's card.
func stepForm(section string) (action string, fields url.Values, ok bool) {
	m := formPattern.FindStringSubmatch(section)
	if m == nil {
		return "", nil, false
	}
	fields = url.Values{}
	for _, in := range inputPattern.FindAllStringSubmatch(m[2], -1) {
		fields.Add(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), fields, true
}

// distinctiveLines are lines of the real code each step must show.
var distinctiveLines = map[string][]string{
	"install":   {"module redis-session-demo", "func run(ctx context.Context,", "func Connect(", "server.Files{"},
	"configure": {"func ConfigFromEnv(", "func cookieOptions(", "func New(rdb redis.UniversalClient"},
	"create":    {"func (a *App) showIndex(", "func (s *Store) Open(", "func (s *Store) Create("},
	"inspect":   {"func (k Keys) Session(", "func (JSONSerializer) Serialize(", "func (a *App) redisState("},
	"delete":    {"func (a *App) deleteVariable(", "func (s *Store) Change("},
	"destroy":   {"func (a *App) destroySession(", "func (s *Store) Destroy("},
	"rotate":    {"func (a *App) rotateSession(", "func (s *Store) Rotate("},
}

// expressLines are lines each step's Express code must hold: the settings
// and calls of the tutorial.
var expressLines = map[string][]string{
	"install":   {"npm install", "express-session", "connect-redis"},
	"configure": {"express.cookieParser('WANTEDSECRET')", "key: 'web.engineer'", "new RedisStore(", "prefix: 'dev.blog'", "path: '/'", "maxAge: 120000"},
	"create":    {"app.get('/'", "req.session.value = Math.random();"},
	"inspect":   {"req.sessionID"},
	"delete":    {"delete req.session.value;"},
	"destroy":   {"req.session.destroy("},
	"rotate":    {"req.session.regenerate("},
}

// TestTutorialShowsCode: every step shows its Express code beside the
// source of each Go function it names, escaped, in both languages.
func TestTutorialShowsCode(t *testing.T) {
	env := newTestEnv(t)
	codes, err := loadSources(os.DirFS(".."), tutorialSteps)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ja"} {
		resp, body := env.b.get("/tutorial?lang=" + lang)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /tutorial?lang=%s: status %d", lang, resp.StatusCode)
		}
		for _, s := range tutorialSteps {
			section := stepSection(t, body, s.ID)
			if !strings.Contains(section, `<pre class="tut-src" tabindex="0"><code>`+pageEscaped(t, s.ExpressCode)+`</code></pre>`) {
				t.Errorf("%s: step %s does not show its Express code", lang, s.ID)
			}
			if !strings.Contains(section, pageEscaped(t, translate(lang, "tutorial.express_note"))) {
				t.Errorf("%s: step %s does not say its Express code was written for this project", lang, s.ID)
			}
			for _, line := range expressLines[s.ID] {
				if !strings.Contains(section, pageEscaped(t, line)) {
					t.Errorf("%s: step %s's Express code lacks %q", lang, s.ID, line)
				}
			}
			for _, ref := range s.Go {
				code := codes[ref]
				if !strings.Contains(section, `<code>`+pageEscaped(t, code.Text)+`</code></pre>`) {
					t.Errorf("%s: step %s does not show the code of %s %s", lang, s.ID, ref.File, ref.Func)
				}
				if escaped := pageEscaped(t, code.Text); escaped != code.Text && strings.Contains(body, code.Text) {
					t.Errorf("%s: the code of %s %s appears unescaped", lang, ref.File, ref.Func)
				}
				caption := pageEscaped(t, fmt.Sprintf(translate(lang, "tutorial.lines"), code.FirstLine, code.LastLine))
				if !strings.Contains(section, caption) {
					t.Errorf("%s: step %s does not give the lines of %s %s (%s)", lang, s.ID, ref.File, ref.Func, caption)
				}
			}
			for _, line := range distinctiveLines[s.ID] {
				if !strings.Contains(section, pageEscaped(t, line)) {
					t.Errorf("%s: step %s does not show %q", lang, s.ID, line)
				}
			}
		}
	}
	if keys := sessionKeys(t, env.rdb, env.cfg); len(keys) != 0 {
		t.Errorf("/tutorial created session keys: %v", keys)
	}
}

// TestTutorialCodeThatIsNotThereStopsStart: New cuts the tutorial's code
// from the source it is given, and fails when a function or a file a step
// names is not there.
func TestTutorialCodeThatIsNotThereStopsStart(t *testing.T) {
	rdb, cfg := testRedis(t), testConfig(t)
	repo := os.DirFS("..")
	source := fstest.MapFS{}
	for _, s := range tutorialSteps {
		for _, ref := range s.Go {
			data, err := fs.ReadFile(repo, ref.File)
			if err != nil {
				t.Fatal(err)
			}
			source[ref.File] = &fstest.MapFile{Data: data}
		}
	}
	files := func(source fs.FS) Files {
		return Files{Templates: os.DirFS("../templates"), Static: os.DirFS("../static"), Source: source}
	}
	if _, err := New(cfg, rdb, files(source)); err != nil {
		t.Fatalf("New with exactly the files the tutorial names: %v", err)
	}

	renamed := maps.Clone(source)
	const store = "internal/sessionstore/store.go"
	text := string(source[store].Data)
	if !strings.Contains(text, "func (s *Store) Rotate(") {
		t.Fatalf("%s has no (*Store).Rotate to rename", store)
	}
	renamed[store] = &fstest.MapFile{Data: []byte(strings.Replace(text, "func (s *Store) Rotate(", "func (s *Store) RotateRenamed(", 1))}
	_, err := New(cfg, rdb, files(renamed))
	if err == nil || !strings.Contains(err.Error(), "step rotate: "+store+" has no function (*Store).Rotate") {
		t.Errorf("New with (*Store).Rotate renamed: %v", err)
	}

	missing := maps.Clone(source)
	delete(missing, "server/view.go")
	_, err = New(cfg, rdb, files(missing))
	if err == nil || !strings.Contains(err.Error(), "step inspect: server/view.go is not among the embedded source files") {
		t.Errorf("New without server/view.go: %v", err)
	}

	if _, err := New(cfg, rdb, files(nil)); err == nil {
		t.Error("New without source files succeeded")
	}
}

// TestTutorialButtonsPostBackToTheirStep: without a live session the steps
// show no buttons (the page creates none); with one, each step's button is
// a form to its route with the visitor's token and return_step, and
// pressing it does the change and comes back to the step.
func TestTutorialButtonsPostBackToTheirStep(t *testing.T) {
	env := newTestEnv(t)
	b, cfg, rdb := env.b, env.cfg, env.rdb

	_, body := b.get("/tutorial")
	if strings.Contains(body, `name="return_step"`) || strings.Contains(body, `name="_csrf"`) {
		t.Errorf("without a session the tutorial shows forms")
	}
	for _, s := range tutorialSteps {
		if s.Post != "" && !strings.Contains(stepSection(t, body, s.ID), pageEscaped(t, translate("en", "tutorial.button_none"))) {
			t.Errorf("without a session step %s does not say why it has no button", s.ID)
		}
	}
	if keys := sessionKeys(t, rdb, cfg); len(keys) != 0 || b.cookie(cfg.CookieName) != "" {
		t.Fatalf("/tutorial created a session: keys %v, cookie %q", keys, b.cookie(cfg.CookieName))
	}

	st := b.state()
	_, body = b.get("/tutorial")
	for _, s := range tutorialSteps {
		action, fields, ok := stepForm(stepSection(t, body, s.ID))
		if s.Post == "" {
			if ok {
				t.Errorf("step %s has a form to %s, want none", s.ID, action)
			}
			continue
		}
		if !ok {
			t.Errorf("step %s has no form", s.ID)
			continue
		}
		want := url.Values{"_csrf": {st.CSRFToken}, "return_step": {s.ID}}
		if action != s.Post || !reflect.DeepEqual(fields, want) {
			t.Errorf("step %s: form to %s with %v, want %s with %v", s.ID, action, fields, s.Post, want)
		}
	}

	// Press each step's button as the page offers it, in an order that
	// leaves a session for the next one.
	for _, id := range []string{"create", "delete", "rotate", "destroy"} {
		_, body := b.get("/tutorial")
		action, fields, ok := stepForm(stepSection(t, body, id))
		if !ok {
			t.Fatalf("step %s shows no button", id)
		}
		sid := b.cookie(cfg.CookieName)
		key := cfg.KeyPrefix + sid
		before := redisValues(t, rdb.Client, key)
		resp, _ := b.post(action, fields)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tutorial#step-"+id {
			t.Fatalf("step %s: POST %s answered %d to %q, want 303 to /tutorial#step-%s", id, action, resp.StatusCode, resp.Header.Get("Location"), id)
		}
		after := redisValues(t, rdb.Client, key)
		switch id {
		case "create":
			if after["value"] == nil || after["value"] == before["value"] {
				t.Errorf("regenerate: value %v -> %v", before["value"], after["value"])
			}
		case "delete":
			if _, has := after["value"]; has || after == nil {
				t.Errorf("delete: Redis holds %v", after)
			}
		case "rotate":
			fresh := b.cookie(cfg.CookieName)
			if fresh == sid || after != nil || !reflect.DeepEqual(redisValues(t, rdb.Client, cfg.KeyPrefix+fresh), before) {
				t.Errorf("rotate: ID %s -> %s, old key holds %v, new key %v, want the values %v",
					sid, fresh, after, redisValues(t, rdb.Client, cfg.KeyPrefix+fresh), before)
			}
		case "destroy":
			if after != nil || b.cookie(cfg.CookieName) != "" {
				t.Errorf("destroy: Redis holds %v, the jar %q", after, b.cookie(cfg.CookieName))
			}
		}
	}
	_, body = b.get("/tutorial")
	if strings.Contains(body, `name="return_step"`) {
		t.Errorf("after destroy the tutorial still shows buttons")
	}
	if keys := sessionKeys(t, rdb, cfg); len(keys) != 0 {
		t.Errorf("after destroy Redis holds %v", keys)
	}
	// The steps' buttons come back to the tutorial, which shows no report:
	// none was stored for it.
	for _, pattern := range []string{cfg.Keys().Flash("*"), cfg.Keys().Report("*")} {
		if keys, err := scanKeys(context.Background(), rdb.Client, pattern); err != nil || len(keys) != 0 {
			t.Errorf("the steps stored reports no page takes: %v %v", keys, err)
		}
	}
}
