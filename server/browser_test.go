package server

// End-to-end tests in a real browser: headless Chromium driven through the
// DevTools protocol with chromedp. Each scenario checks what the page shows,
// what the browser's cookie jar holds, and what Redis holds.
//
//	go test ./server -run Browser                  # skips when Chromium is missing
//	REQUIRE_BROWSER=1 go test ./server -run Browser  # fails instead
//	go test ./server -run TestScreenshots -update    # rewrites docs/screenshot-*.png

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"redis-session-demo/internal/redisconn"

	"redis-session-demo/internal/redistest"
)

var update = flag.Bool("update", false, "write the screenshots in docs/")

const (
	// browserStartTimeout bounds the start of Chromium.
	browserStartTimeout = 30 * time.Second
	// scenarioTimeout bounds everything one scenario does in its tab.
	scenarioTimeout = 30 * time.Second
	// defaultChromium is Debian's chromium package; CHROMIUM_PATH overrides it.
	defaultChromium = "/usr/bin/chromium"
)

// chromiumPath returns the browser to run. When there is none it skips the
// test, or fails it when REQUIRE_BROWSER=1; with -short it always skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		redistest.Skip(t, "drives a real Chromium: not with -short")
	}
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		path = defaultChromium
	}
	fi, err := os.Stat(path)
	if err == nil && (fi.IsDir() || fi.Mode().Perm()&0o111 == 0) {
		err = fmt.Errorf("%s is not an executable file", path)
	}
	if err != nil {
		msg := fmt.Sprintf("no browser (%v): install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH", err)
		if os.Getenv("REQUIRE_BROWSER") == "1" {
			t.Fatal("REQUIRE_BROWSER=1 but " + msg)
		}
		redistest.Skip(t, msg)
	}
	return path
}

// startChromium starts one headless Chromium for the calling test, with a
// fresh profile, and returns a context that holds it. Scenarios open their
// tabs from it with newScenario. The browser stops when the test ends.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc) // runs last: waits for the browser process to exit
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)

	// The first Do starts the browser and binds it to browserCtx, which must
	// therefore have no deadline; the start itself is bounded here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start the browser: %v", err)
		}
	case <-time.After(browserStartTimeout):
		cancelAlloc()
		t.Fatalf("the browser did not start within %v", browserStartTimeout)
	}
	return browserCtx
}

// scenario is one story told in a browser: a fresh app with a key prefix of
// its own, served over HTTP, and a tab in a browser context of its own, so
// with an empty cookie jar. Everything it does is bounded by scenarioTimeout.
type scenario struct {
	t   *testing.T
	ctx context.Context // the tab
	cfg Config
	rdb *redisconn.Conn
	url string // the server's base URL, without a trailing slash

	mu         sync.Mutex
	problems   []string     // console errors, exceptions, error log entries, CSP issues
	setCookies []seenCookie // every Set-Cookie the tab received, as sent
	// probing is set once a test provokes problems on purpose: from then on
	// late copies of those reports must not fail it.
	probing bool
}

// seenCookie is one Set-Cookie header line and the status of its response.
type seenCookie struct {
	Status int64
	Line   string
}

// cspProbe turns every CSP violation in a page into a console error, which
// the tab's listener records like any other.
const cspProbe = `addEventListener("securitypolicyviolation", e =>
	console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")));`

func newScenario(t *testing.T, browser context.Context) *scenario {
	t.Helper()
	return newScenarioOn(t, browser, testConfig(t), testRedis(t))
}

// newScenarioOn is newScenario with a given configuration and Redis.
func newScenarioOn(t *testing.T, browser context.Context, cfg Config, rdb *redisconn.Conn) *scenario {
	t.Helper()
	s := &scenario{t: t, cfg: cfg, rdb: rdb}
	s.url = startServer(t, newTestApp(t, s.cfg, s.rdb)).URL

	ctx, cancel := context.WithTimeout(browser, scenarioTimeout)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(s.listen))
	t.Cleanup(cancelTab)
	s.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	s.call("enable the log domain", func() error { _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); return err })
	s.call("enable the audits domain", func() error { _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); return err })
	s.call("inject the CSP probe", func() error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	})
	// The app picks its language from Accept-Language; pin it, so that the
	// tests do not depend on the locale of the machine.
	s.call("set Accept-Language", func() error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "en"}})
		return err
	})
	// Every scenario fails on a console error, an uncaught exception, an
	// error in the browser log or a CSP violation that it did not take.
	t.Cleanup(s.failOnProblems)
	return s
}

// failOnProblems fails the test on each problem recorded and not yet taken.
func (s *scenario) failOnProblems() {
	s.t.Helper()
	if s.probing {
		return
	}
	for _, p := range s.takeProblems() {
		s.t.Errorf("browser reported: %s", p)
	}
}

func (s *scenario) call(what string, f func() error) {
	s.t.Helper()
	if err := f(); err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
}

// listen runs in the loop of the tab for each event: it must be quick and
// must not send commands.
func (s *scenario) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			s.problem("console.%s(%s)", ev.Type, remoteArgs(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		s.problem("uncaught exception: %s", exceptionText(ev.ExceptionDetails))
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e != nil && e.Level == cdplog.EntryLevelError {
			s.problem("browser log (%s): %s %s", e.Source, e.Text, e.URL)
		}
	case *audits.EventIssueAdded:
		if i := ev.Issue; i != nil && i.Code == audits.InspectorIssueCodeContentSecurityPolicyIssue {
			details, _ := json.Marshal(i.Details)
			s.problem("CSP issue: %s", details)
		}
	case *network.EventResponseReceivedExtraInfo:
		for name, v := range ev.Headers {
			if !strings.EqualFold(name, "Set-Cookie") {
				continue
			}
			lines, _ := v.(string)
			s.mu.Lock()
			for line := range strings.SplitSeq(lines, "\n") {
				s.setCookies = append(s.setCookies, seenCookie{Status: ev.StatusCode, Line: line})
			}
			s.mu.Unlock()
		}
	}
}

func (s *scenario) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// takeProblems returns the problems recorded so far and forgets them.
func (s *scenario) takeProblems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.problems
	s.problems = nil
	return p
}

func (s *scenario) seenSetCookies() []seenCookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.setCookies)
}

func remoteArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, ", ")
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s at %s:%d:%d", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
}

// header returns a response header by its name in any case.
func header(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// checkPageResponse asserts that a page arrived whole, at wantURL, with the
// app's Content-Security-Policy.
func (s *scenario) checkPageResponse(resp *network.Response, what, wantURL string) {
	s.t.Helper()
	if resp == nil {
		s.t.Fatalf("%s: no response", what)
	}
	// A change's redirect carries ?changed, a destroy's ?report=: the
	// page is the same.
	got, _, _ := strings.Cut(resp.URL, "?report=")
	got = strings.TrimSuffix(got, "?changed")
	if resp.Status != http.StatusOK || got != wantURL {
		s.t.Fatalf("%s: got %d at %s, want 200 at %s", what, resp.Status, resp.URL, wantURL)
	}
	if csp := header(resp.Headers, "Content-Security-Policy"); csp != contentSecurityPolicy {
		s.t.Errorf("%s: Content-Security-Policy %q, want %q", what, csp, contentSecurityPolicy)
	}
}

// open loads path in the tab.
func (s *scenario) open(path string) {
	s.t.Helper()
	resp, err := chromedp.Run(s.ctx, chromedp.NavigateResponse(s.url+path))
	if err != nil {
		s.t.Fatalf("open %s: %v", path, err)
	}
	s.checkPageResponse(resp, "GET "+path, s.url+path)
}

// click clicks the element sel, a button or a link, and waits for the page
// it leads to, which must be s.url+wantPath.
func (s *scenario) click(sel, wantPath string) {
	s.t.Helper()
	resp, err := chromedp.RunResponse(s.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("click %s: %v", sel, err)
	}
	s.checkPageResponse(resp, "click "+sel, s.url+wantPath)
}

// submit clicks a form's submit button: the POST answers 303 to /#result
// (or /?report=…#result).
func (s *scenario) submit(sel string) {
	s.t.Helper()
	s.click(sel, "/")
}

// fill types text into the empty input sel, with key events as a person would.
func (s *scenario) fill(sel, text string) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		s.t.Fatalf("type into %s: %v", sel, err)
	}
}

// eval evaluates a JavaScript expression in the page, through DevTools (so
// it works while page scripts are disabled).
func eval[T any](s *scenario, expr string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", firstLine(expr), err)
	}
	return v
}

// shownPage is what the main page shows.
type shownPage struct {
	ID      string            `json:"id"`  // #cookie-value
	Key     string            `json:"key"` // #redis-key
	Raw     string            `json:"raw"` // #redis-raw
	Values  map[string]string `json:"values"`
	Changed []string          `json:"changed"` // names of the rows marked as changed
	Notices []string          `json:"notices"`
	// Result, Before and After are the result block of the last change.
	Result  string `json:"result"`
	Before  string `json:"before"`
	After   string `json:"after"`
	IsNew   bool   `json:"isNew"`
	Lang    string `json:"lang"`
	Heading string `json:"heading"`
}

const readPage = `(() => {
	const text = sel => { const e = document.querySelector(sel); return e ? e.textContent : ""; };
	const values = {}, changed = [];
	for (const row of document.querySelectorAll("table.values tbody tr")) {
		const name = row.querySelector("th code").textContent;
		values[name] = row.querySelector("td.value code").textContent;
		if (row.classList.contains("changed")) changed.push(name);
	}
	return {
		id: text("#cookie-value"), key: text("#redis-key"), raw: text("#redis-raw"),
		values, changed,
		notices: [...document.querySelectorAll(".notice")].map(e => e.textContent.trim()),
		result: text(".result .result-title").trim(),
		before: text(".result .before").trim(), after: text(".result .after").trim(),
		isNew: !!document.querySelector(".lesson[data-new-session]"),
		lang: document.documentElement.lang,
		heading: text("h1"),
	};
})()`

func (s *scenario) shown() shownPage {
	s.t.Helper()
	p := eval[shownPage](s, readPage)
	if p.ID == "" {
		s.t.Fatalf("the page shows no session ID: %+v", p)
	}
	if p.Values == nil {
		p.Values = map[string]string{}
	}
	return p
}

// jarCookie returns the session cookie from the browser's own cookie jar, or nil.
func (s *scenario) jarCookie() *network.Cookie {
	s.t.Helper()
	res, err := chromedp.Call(s.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.url + "/"}})
	if err != nil {
		s.t.Fatalf("read the cookie jar: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == s.cfg.CookieName {
			return c
		}
	}
	return nil
}

// storedValues decodes the JSON that Redis holds under key and formats each
// value as the page does.
func (s *scenario) storedValues(key string) map[string]string {
	s.t.Helper()
	values := redisValues(s.t, s.rdb.Client, key)
	if values == nil {
		s.t.Fatalf("Redis holds no key %s", key)
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// checkAgrees asserts that the three places agree: the cookie in the jar
// carries the ID the page shows, the Redis key is the prefix and that ID,
// Redis holds exactly the bytes the page shows, they decode to the values
// the table shows, and this app's prefix holds no other session.
func (s *scenario) checkAgrees(p shownPage) {
	s.t.Helper()
	if c := s.jarCookie(); c == nil {
		s.t.Errorf("the cookie jar holds no %s cookie; the page shows ID %s", s.cfg.CookieName, p.ID)
	} else if c.Value != p.ID {
		s.t.Errorf("the cookie jar holds ID %s; the page shows %s", c.Value, p.ID)
	}
	if want := s.cfg.KeyPrefix + p.ID; p.Key != want {
		s.t.Errorf("the page shows key %q, want the prefix and the cookie's ID, %q", p.Key, want)
	}
	if got := stored(s.t, s.rdb, p.Key); got != p.Raw {
		s.t.Errorf("Redis holds %q under %s; the page shows %q", got, p.Key, p.Raw)
	}
	if got := s.storedValues(p.Key); !maps.Equal(got, p.Values) {
		s.t.Errorf("Redis's values %v; the table shows %v", got, p.Values)
	}
	if keys := sessionKeys(s.t, s.rdb, s.cfg); len(keys) != 1 || keys[0] != p.Key {
		s.t.Errorf("Redis holds the session keys %v, want only %s", keys, p.Key)
	}
}

// checkNotice asserts that the page's result block says, in its language,
// what action did to the variable name ("" for none).
func (s *scenario) checkNotice(p shownPage, action, name string) {
	s.t.Helper()
	want := translate(p.Lang, "result."+action)
	if name != "" {
		want = fmt.Sprintf(want, name)
	}
	if p.Result != want {
		s.t.Errorf("the page's result says %q, want %q", p.Result, want)
	}
}

// The steps below are the scenarios' stories. They run with scripts on and,
// in TestBrowserWithoutJavaScript, off.

// stepFirstVisit opens the page with an empty jar and checks the new session.
func stepFirstVisit(s *scenario) shownPage {
	s.t.Helper()
	s.open("/")
	p := s.shown()
	s.checkAgrees(p)
	if !p.IsNew {
		s.t.Errorf("a first visit shows no new-session notice; notices %q", p.Notices)
	}
	if len(p.Values) != 1 || p.Values["value"] == "" {
		s.t.Errorf("a new session shows the values %v, want one random number under value", p.Values)
	}
	return p
}

// stepRegenerate clicks "Regenerate value".
func stepRegenerate(s *scenario) {
	s.t.Helper()
	before := s.shown()
	s.submit(`form[action="/value"] button[type="submit"]`)
	after := s.shown()
	s.checkAgrees(after)
	if after.ID != before.ID {
		s.t.Errorf("regenerating changed the session ID from %s to %s", before.ID, after.ID)
	}
	if after.Values["value"] == "" || after.Values["value"] == before.Values["value"] {
		s.t.Errorf("value shown before %q, after %q: want a new number", before.Values["value"], after.Values["value"])
	}
	if after.Raw == before.Raw {
		s.t.Errorf("the stored bytes did not change: %q", after.Raw)
	}
	s.checkNotice(after, "value", "value")
	if !slices.Equal(after.Changed, []string{"value"}) {
		s.t.Errorf("rows marked as changed: %q, want value", after.Changed)
	}
}

// stepSetAndDelete sets name to value with the set form, then deletes it
// with the delete button of its row.
func stepSetAndDelete(s *scenario, name, value string) {
	s.t.Helper()
	before := s.shown()
	if _, ok := before.Values[name]; ok {
		s.t.Fatalf("%s is already set: %v", name, before.Values)
	}
	s.fill(`form.set input[name="name"]`, name)
	s.fill(`form.set input[name="value"]`, value)
	s.submit(`form.set button[type="submit"]`)

	set := s.shown()
	s.checkAgrees(set)
	if set.ID != before.ID {
		s.t.Errorf("setting a variable changed the session ID from %s to %s", before.ID, set.ID)
	}
	if got := set.Values[name]; got != value {
		s.t.Errorf("the table shows %s = %q, want %q", name, got, value)
	}
	if got := s.storedValues(set.Key)[name]; got != value {
		s.t.Errorf("Redis holds %s = %q, want %q", name, got, value)
	}
	s.checkNotice(set, "set", name)

	s.submit(fmt.Sprintf(`table.values tr:has(input[name="name"][value=%q]) button[type="submit"]`, name))
	deleted := s.shown()
	s.checkAgrees(deleted)
	if _, ok := deleted.Values[name]; ok {
		s.t.Errorf("after the delete the table still shows %s: %v", name, deleted.Values)
	}
	if _, ok := s.storedValues(deleted.Key)[name]; ok {
		s.t.Errorf("after the delete Redis still holds %s: %s", name, stored(s.t, s.rdb, deleted.Key))
	}
	if !maps.Equal(deleted.Values, before.Values) {
		s.t.Errorf("after set and delete the values are %v, want those before, %v", deleted.Values, before.Values)
	}
	s.checkNotice(deleted, "delete", name)
}

// stepRotate clicks "Rotate ID".
func stepRotate(s *scenario) {
	s.t.Helper()
	before := s.shown()
	s.submit(`form[action="/rotate"] button[type="submit"]`)
	after := s.shown()
	s.checkAgrees(after) // among others: the jar holds the new ID
	if after.ID == before.ID {
		s.t.Errorf("rotating kept the session ID %s", after.ID)
	}
	if got := stored(s.t, s.rdb, before.Key); got != "" {
		s.t.Errorf("the old key %s still holds %q", before.Key, got)
	}
	if !maps.Equal(after.Values, before.Values) || after.Raw != before.Raw {
		s.t.Errorf("rotating changed the values from %v (%q) to %v (%q)", before.Values, before.Raw, after.Values, after.Raw)
	}
	s.checkNotice(after, "rotate", "")
}

// stepDestroy clicks "Destroy session": the POST deletes the key and expires
// the cookie, and the page it redirects to starts a new session.
func stepDestroy(s *scenario) {
	s.t.Helper()
	before := s.shown()
	seen := len(s.seenSetCookies())
	s.submit(`form[action="/destroy"] button[type="submit"]`)
	after := s.shown()
	s.checkAgrees(after)
	if after.ID == before.ID {
		s.t.Errorf("after destroy the page still shows the session %s", after.ID)
	}
	if !after.IsNew {
		s.t.Errorf("after destroy the page shows no new-session notice; notices %q", after.Notices)
	}
	if got := stored(s.t, s.rdb, before.Key); got != "" {
		s.t.Errorf("the destroyed key %s still holds %q", before.Key, got)
	}
	if len(after.Values) != 1 || after.Values["value"] == "" {
		s.t.Errorf("the new session shows the values %v, want one random number under value", after.Values)
	}

	// The 303 of the POST itself expired the cookie. The Set-Cookie lines
	// come from the raw headers the browser received; their event may trail
	// the page load a little.
	var lines []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		lines = lines[:0]
		for _, c := range s.seenSetCookies()[seen:] {
			lines = append(lines, fmt.Sprintf("%d: %s", c.Status, c.Line))
			if c.Status != http.StatusSeeOther {
				continue
			}
			ck, err := http.ParseSetCookie(c.Line)
			if err == nil && ck.Name == s.cfg.CookieName && ck.Value == "" &&
				(ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))) {
				return
			}
		}
		if time.Now().After(deadline) {
			break
		}
	}
	s.t.Errorf("no 303 response expired the %s cookie; Set-Cookie headers seen: %q", s.cfg.CookieName, lines)
}

func TestBrowserSession(t *testing.T) {
	browser := startChromium(t)

	t.Run("FirstVisit", func(t *testing.T) {
		s := newScenario(t, browser)
		p := stepFirstVisit(s)

		c := s.jarCookie()
		if c == nil {
			t.Fatal("no session cookie in the jar")
		}
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Secure {
			t.Errorf("jar cookie HttpOnly=%v SameSite=%q Path=%q Secure=%v, want true, Lax, /, false", c.HTTPOnly, c.SameSite, c.Path, c.Secure)
		}
		if c.Session {
			t.Errorf("the jar holds a session cookie without expiry, want Max-Age %d", s.cfg.MaxAge)
		} else if left := time.Until(time.Unix(int64(c.Expires), 0)); left < time.Duration(s.cfg.MaxAge-10)*time.Second || left > time.Duration(s.cfg.MaxAge+1)*time.Second {
			t.Errorf("the jar's cookie expires in %v, want about %d s", left, s.cfg.MaxAge)
		}
		if got := strings.TrimPrefix(p.Key, s.cfg.KeyPrefix); got != c.Value {
			t.Errorf("the Redis key ends in %q, want the cookie's value %q", got, c.Value)
		}

		// HttpOnly: a page script cannot read the ID.
		docCookie := eval[string](s, "document.cookie")
		if strings.Contains(docCookie, s.cfg.CookieName) || strings.Contains(docCookie, c.Value) {
			t.Errorf("document.cookie = %q exposes the session cookie", docCookie)
		}
	})

	t.Run("Regenerate", func(t *testing.T) {
		s := newScenario(t, browser)
		stepFirstVisit(s)
		stepRegenerate(s)
	})

	t.Run("SetAndDelete", func(t *testing.T) {
		s := newScenario(t, browser)
		stepFirstVisit(s)
		stepSetAndDelete(s, "greeting", `Hello, 世界 <b>&amp;</b> "quoted"`)
	})

	t.Run("Rotate", func(t *testing.T) {
		s := newScenario(t, browser)
		stepFirstVisit(s)
		stepRotate(s)
	})

	t.Run("Destroy", func(t *testing.T) {
		s := newScenario(t, browser)
		stepFirstVisit(s)
		stepDestroy(s)
	})
}

// probePage has a page script that announces itself at once, which is how a
// test tells that scripts are off (the app's only script, the countdowns,
// changes nothing a test can check without waiting).
const probePage = `<!doctype html><title>probe</title><p id="probe">scripts off</p>
<script>document.getElementById("probe").textContent = "scripts on";</script>`

func TestBrowserWithoutJavaScript(t *testing.T) {
	browser := startChromium(t)
	s := newScenario(t, browser)

	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, probePage)
	}))
	t.Cleanup(probe.Close)
	// probeSays reads the probe's text from the DOM, which needs no script.
	probeSays := func() string {
		t.Helper()
		if err := chromedp.Do(s.ctx, chromedp.Navigate(probe.URL)); err != nil {
			t.Fatalf("open the probe: %v", err)
		}
		html, err := chromedp.Run(s.ctx, chromedp.OuterHTML(chromedp.ID("probe")))
		if err != nil {
			t.Fatalf("read the probe: %v", err)
		}
		return html
	}
	if got := probeSays(); !strings.Contains(got, "scripts on") {
		t.Fatalf("with scripts on the probe shows %s", got)
	}
	if _, err := chromedp.Call(s.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable scripts: %v", err)
	}
	if got := probeSays(); !strings.Contains(got, "scripts off") {
		t.Fatalf("scripts still run after Emulation.setScriptExecutionDisabled: the probe shows %s", got)
	}

	stepFirstVisit(s)
	// Without scripts the countdowns stay as rendered.
	before := eval[string](s, `document.getElementById("redis-countdown").textContent`)
	time.Sleep(300 * time.Millisecond)
	if after := eval[string](s, `document.getElementById("redis-countdown").textContent`); after != before {
		t.Errorf("the countdown ticked with scripts off: %s -> %s", before, after)
	}
	stepRegenerate(s)
	stepSetAndDelete(s, "color", "blue")
	stepRotate(s)
	stepDestroy(s)

	if got := probeSays(); !strings.Contains(got, "scripts off") {
		t.Errorf("scripts were back on by the end of the run: the probe shows %s", got)
	}
}

func TestBrowserLanguageSwitch(t *testing.T) {
	browser := startChromium(t)
	s := newScenario(t, browser)

	first := stepFirstVisit(s)
	checkLang := func(p shownPage, lang string) {
		t.Helper()
		if p.Lang != lang || p.Heading != translate(lang, "index.heading") {
			t.Errorf(`<html lang=%q> with heading %q, want %q with %q`, p.Lang, p.Heading, lang, translate(lang, "index.heading"))
		}
		title, err := chromedp.Run(s.ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(title, translate(lang, "index.title")) {
			t.Errorf("title %q, want it to start with %q", title, translate(lang, "index.title"))
		}
		// The language is not part of the session: same ID, same stored bytes.
		s.checkAgrees(p)
		if p.ID != first.ID || p.Raw != first.Raw {
			t.Errorf("switching the language changed the session from %s %q to %s %q", first.ID, first.Raw, p.ID, p.Raw)
		}
	}
	checkLang(first, "en")

	s.click(`nav.lang a[href="?lang=ja"]`, "/?lang=ja")
	checkLang(s.shown(), "ja")

	// The choice is remembered (in a cookie of its own).
	s.open("/")
	checkLang(s.shown(), "ja")

	s.click(`nav.lang a[href="?lang=en"]`, "/?lang=en")
	checkLang(s.shown(), "en")
}

func TestBrowserConsoleAndCSP(t *testing.T) {
	browser := startChromium(t)
	s := newScenario(t, browser)

	// Every page load below also checks the response's Content-Security-Policy.
	stepFirstVisit(s)
	// The stylesheet loads under that policy and applies.
	if bg := eval[string](s, "getComputedStyle(document.body).backgroundColor"); bg != "rgb(246, 247, 251)" {
		t.Errorf("body background %q: /static/style.css did not apply", bg)
	}
	stepRegenerate(s)
	stepSetAndDelete(s, "n", "1")
	s.click(`nav.lang a[href="?lang=ja"]`, "/?lang=ja")
	stepRotate(s)
	s.click(`nav.lang a[href="?lang=en"]`, "/?lang=en")
	stepDestroy(s)
	s.failOnProblems()
	s.probing = true

	// The watch itself works: a console error, an uncaught exception and an
	// inline style that the policy blocks are each reported, the last one by
	// the browser log, by the audits domain and by the page's own event.
	eval[chromedp.Void](s, `console.error("probe: console error")`)
	eval[chromedp.Void](s, `setTimeout(() => { throw new Error("probe: exception"); })`)
	eval[chromedp.Void](s, `document.head.appendChild(document.createElement("style")).textContent = "body { color: red }"`)
	want := []string{
		`console.error("probe: console error")`,
		"uncaught exception: Uncaught Error: probe: exception",
		"browser log (security): Applying inline style violates",
		`CSP issue: {"contentSecurityPolicyIssueDetails":{"violatedDirective":"style-src-elem"`,
		`console.error("CSP violation: style-src-elem blocked inline")`,
	}
	var got []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = append(got, s.takeProblems()...)
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool {
			return slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) })
		})
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the watch missed %q; it reported %q", missing, got)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// layout is the geometry that the phone test checks.
type layout struct {
	ScrollWidth float64 `json:"scrollWidth"`
	InnerWidth  float64 `json:"innerWidth"`
	ClientWidth float64 `json:"clientWidth"`
	Panels      []struct {
		Class                    string
		Top, Bottom, Left, Right float64
	} `json:"panels"`
	// Overflowing lists the innermost boxes whose content is wider than they are.
	Overflowing []string `json:"overflowing"`
}

const readLayout = `(() => {
	const root = document.documentElement;
	const panels = [".panel-cookie", ".panel-redis", ".panel-values"].map(sel => {
		const e = document.querySelector(sel);
		const r = e ? e.getBoundingClientRect() : {top: NaN, bottom: NaN, left: NaN, right: NaN};
		return {class: sel, top: r.top, bottom: r.bottom, left: r.left, right: r.right};
	});
	const over = [...document.querySelectorAll("body *")]
		.filter(e => e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible");
	const overflowing = over.filter(e => !over.some(o => o !== e && e.contains(o))) // the innermost only
		.map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).replace(/ /g, ".") : ""));
	return {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, clientWidth: root.clientWidth, panels, overflowing};
})()`

// emulateScreen sets the viewport of the tab.
func (s *scenario) emulateScreen(width, height int64, scale float64, mobile bool) {
	s.t.Helper()
	_, err := chromedp.Call(s.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: scale, Mobile: mobile,
		ScreenWidth: width, ScreenHeight: height,
	})
	if err != nil {
		s.t.Fatalf("emulate a %dx%d screen: %v", width, height, err)
	}
}

func TestBrowserPhoneLayout(t *testing.T) {
	browser := startChromium(t)
	s := newScenario(t, browser)
	const width, height = 390, 844
	s.emulateScreen(width, height, 2, true)

	// check asserts that the page fits the phone's width and stacks the
	// panels.
	check := func(when string) {
		t.Helper()
		l := eval[layout](s, readLayout)
		// A mobile browser zooms out a page that is too wide, which widens
		// innerWidth with it: so the width must also stay the device's.
		fits := l.InnerWidth == width && l.ClientWidth == width && l.ScrollWidth <= l.InnerWidth
		if !fits {
			t.Errorf("%s: the page scrolls sideways or zooms out: scrollWidth %v, innerWidth %v, clientWidth %v, want all %d; overflowing: %q",
				when, l.ScrollWidth, l.InnerWidth, l.ClientWidth, width, l.Overflowing)
		}
		if len(l.Panels) != 3 {
			t.Fatalf("%s: panels %+v", when, l.Panels)
		}
		for i, p := range l.Panels {
			if !(p.Left >= 0 && p.Right <= width) { // also false for NaN: a missing panel
				t.Errorf("%s: %s spans x %v..%v, outside the %d px screen", when, p.Class, p.Left, p.Right, width)
			}
			if i > 0 && !(p.Top >= l.Panels[i-1].Bottom) {
				t.Errorf("%s: %s starts at y %v, above the bottom of %s at %v: the panels are not stacked",
					when, p.Class, p.Top, l.Panels[i-1].Class, l.Panels[i-1].Bottom)
			}
		}
	}

	stepFirstVisit(s)
	check("first visit")

	// Long unbroken text is where a narrow layout breaks.
	name := strings.Repeat("long_name.", 6) + "end"
	value := strings.Repeat("0123456789", 30)
	s.fill(`form.set input[name="name"]`, name)
	s.fill(`form.set input[name="value"]`, value)
	s.submit(`form.set button[type="submit"]`)
	p := s.shown()
	s.checkAgrees(p)
	if p.Values[name] != value {
		t.Errorf("the table shows %s = %q, want %q", name, p.Values[name], value)
	}
	check("long variable, with the notice of the change")

	s.open("/")
	check("long variable, in the table only")

	s.click(`nav.lang a[href="?lang=ja"]`, "/?lang=ja")
	check("in Japanese")
}

// TestScreenshots writes the screenshots of docs/ with -update:
//
//	go test ./server -run TestScreenshots -update
func TestScreenshots(t *testing.T) {
	if !*update {
		t.Skip("run with -update to write the screenshots in docs/")
	}
	browser := startChromium(t)
	shots := []struct {
		file          string
		width, height int64
		scale         float64
		mobile        bool
		lang          string
		then          string // a page to show after the change, if not the main page
	}{
		{"screenshot-desktop.png", 1280, 900, 1, false, "en", ""},
		{"screenshot-phone.png", 390, 844, 2, true, "en", ""},
		{"screenshot-desktop-ja.png", 1280, 900, 1, false, "ja", ""},
		{"screenshot-phone-ja.png", 390, 844, 2, true, "ja", ""},
		{"screenshot-tutorial.png", 1280, 900, 1, false, "en", "/tutorial"},
	}
	for _, shot := range shots {
		t.Run(shot.file, func(t *testing.T) {
			// The embedded server of a fresh start and the default settings,
			// so the pictures show what `go run .` shows.
			rdb, err := redisconn.Connect(redisconn.Settings{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.Close() })
			cfg := testConfig(t)
			cfg.KeyPrefix = DefaultKeyPrefix
			s := newScenarioOn(t, browser, cfg, rdb)
			s.emulateScreen(shot.width, shot.height, shot.scale, shot.mobile)
			stepFirstVisit(s)
			s.open("/?lang=" + shot.lang)
			s.fill(`form.set input[name="name"]`, "user")
			s.fill(`form.set input[name="value"]`, "alice")
			s.submit(`form.set button[type="submit"]`) // the page then shows the change and its traffic
			p := s.shown()
			s.checkAgrees(p)
			if len(p.Values) != 2 {
				t.Fatalf("the table shows %v, want two rows", p.Values)
			}
			if shot.then != "" {
				s.open(shot.then)
			}
			png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			path := filepath.Join("..", "docs", shot.file)
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s (%d bytes)", path, len(png))
		})
	}
}

// TestBrowserCountdowns (scenario 8) runs a session with a 2-second max age:
// both clocks tick down in the page without a reload, and at zero the page
// says the session has expired, as Redis by then has dropped the key.
func TestBrowserCountdowns(t *testing.T) {
	browser := startChromium(t)
	cfg := testConfig(t)
	cfg.MaxAge = 2
	s := newScenarioOn(t, browser, cfg, testRedis(t))
	p := stepFirstVisit(s)
	key := cfg.KeyPrefix + p.ID

	read := func() (cookie, redis float64, expiredShown bool) {
		t.Helper()
		v := eval[[]any](s, `[Number(document.getElementById("cookie-countdown").textContent),
			Number(document.getElementById("redis-countdown").textContent),
			!document.getElementById("expired-note").hidden]`)
		return v[0].(float64), v[1].(float64), v[2].(bool)
	}
	c0, r0, expired := read()
	if c0 > 2 || r0 > 2 || c0 <= 0 || r0 <= 0 || expired {
		t.Fatalf("at first the clocks show cookie %v s, Redis %v s, expired note %v", c0, r0, expired)
	}
	time.Sleep(700 * time.Millisecond)
	c1, r1, _ := read()
	if !(c1 < c0 && r1 < r0) {
		t.Errorf("the clocks did not tick: cookie %v -> %v, Redis %v -> %v", c0, c1, r0, r1)
	}
	if d := c1 - r1; d > 0.3 || d < -0.3 {
		t.Errorf("the clocks disagree: cookie %v s, Redis %v s", c1, r1)
	}
	deadline := time.Now().Add(4 * time.Second)
	for {
		c, r, expired := read()
		if expired {
			if c != 0 || r != 0 {
				t.Errorf("expired note shown with clocks at %v and %v", c, r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never said the session expired; clocks at %v and %v", c, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := stored(t, s.rdb, key); got != "" {
		t.Errorf("the page says expired but Redis still holds %q", got)
	}
}
