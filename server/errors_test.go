package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"redis-session-demo/internal/sessionstore"

	"github.com/labstack/echo/v4"
)

// TestErrorStatuses drives the full router with a recorder: every error a
// client can cause gets its status, as a page or as JSON, and never a 500.
func TestErrorStatuses(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	app := newTestApp(t, cfg, rdb)
	big := strings.Repeat("x", maxBody+1)
	someID, _ := sessionstore.NewID() // well-formed; Redis holds no such session

	for _, tc := range []struct {
		name, method, path, body, accept string
		cookie                           string // a session cookie's value, if any
		chunked                          bool
		want                             int
		wantText, wantCode               string
	}{
		{name: "unknown page", method: "GET", path: "/nope", want: 404, wantText: "There is no page"},
		{name: "unknown page, JSON", method: "GET", path: "/nope", accept: "application/json", want: 404, wantText: `"error":"There is no page`, wantCode: "not_found"},
		{name: "unknown API path", method: "GET", path: "/api/nope", want: 404, wantText: `"error"`, wantCode: "not_found"},
		{name: "GET on a POST route", method: "GET", path: "/value", want: 405},
		{name: "DELETE on the page", method: "DELETE", path: "/", want: 405},
		{name: "POST on the page", method: "POST", path: "/", accept: "application/json", want: 405, wantText: `"error"`, wantCode: "method_not_allowed"},
		{name: "body over 64 KiB", method: "POST", path: "/set", body: big, want: 413},
		{name: "chunked body over 64 KiB", method: "POST", path: "/set", body: big, chunked: true, want: 413},
		{name: "body over 64 KiB, JSON", method: "POST", path: "/value", body: big, accept: "application/json", want: 413, wantText: "64 KiB", wantCode: "too_large"},
		{name: "body of exactly 64 KiB", method: "POST", path: "/set", body: "a=" + strings.Repeat("x", maxBody-2), cookie: someID, want: 403, wantText: "CSRF"},
		{name: "malformed form", method: "POST", path: "/set", body: "%zz", want: 400},
		{name: "malformed form, JSON", method: "POST", path: "/set", body: "%zz", accept: "application/json", want: 400, wantCode: "bad_input"},
		{name: "no CSRF token, JSON", method: "POST", path: "/set", body: "name=a&value=b", cookie: someID, accept: "application/json", want: 403, wantText: "CSRF", wantCode: "csrf"},
		// A form posted after the cookie ran out carries no session: it
		// expired, and nothing about it is forged.
		{name: "no session cookie", method: "POST", path: "/value", body: "_csrf=x", want: 403, wantText: "expired"},
		{name: "no session cookie, JSON", method: "POST", path: "/set", body: "name=a&value=b", accept: "application/json", want: 403, wantText: "expired", wantCode: "session_expired"},
		{name: "static file", method: "GET", path: "/static/style.css", want: 200},
		{name: "static folder", method: "GET", path: "/static/", want: 404},
		{name: "path traversal", method: "GET", path: "/static/../main.go", want: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.chunked {
				req.ContentLength = -1
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: cfg.CookieName, Value: tc.cookie})
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, firstLine(rec.Body.String()))
			}
			if !strings.Contains(rec.Body.String(), tc.wantText) {
				t.Errorf("body %q lacks %q", rec.Body.String(), tc.wantText)
			}
			if strings.Contains(tc.accept, "json") || strings.HasPrefix(tc.path, "/api/") {
				var e map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["error"] == "" || e["code"] != tc.wantCode {
					t.Errorf("JSON error body %q, want an error with code %q", rec.Body.String(), tc.wantCode)
				}
			}
		})
	}
	if keys := sessionKeys(t, rdb, cfg); len(keys) != 0 {
		t.Errorf("failed requests made sessions: %v", keys)
	}
}

// TestUserValuesAreEscaped stores markup and checks that the page shows it as
// text, under a policy that would block inline script anyway.
func TestUserValuesAreEscaped(t *testing.T) {
	b := newTestEnv(t).b
	st := b.state()
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	if resp, _ := b.post("/set", form("_csrf", st.CSRFToken, "name", "xss", "value", payload)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set: %d", resp.StatusCode)
	}
	resp, body := b.get("/")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") {
		t.Errorf("page holds unescaped markup")
	}
	if strings.Count(body, "<script") != strings.Count(body, `<script src="/static/`) {
		t.Errorf("page has an inline script")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("page does not show the value escaped")
	}
	if strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Errorf("page has inline styles, which the policy forbids")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, directive := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, directive) || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("Content-Security-Policy %q: want %s and no unsafe-inline", csp, directive)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no nosniff")
	}
	// A rejected name is answered with the rule it broke, and never comes
	// back, neither as markup nor escaped: the error page shows no input.
	resp, body = b.post("/set", form("_csrf", st.CSRFToken, "name", "<b>x</b>", "value", "v"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, html.EscapeString(translate("en", "error.name"))) {
		t.Errorf("bad name: status %d, want 400 with the naming rule", resp.StatusCode)
	}
	if strings.Contains(body, "<b>x</b>") || strings.Contains(body, "&lt;b&gt;x") {
		t.Errorf("the error page shows the rejected input")
	}
}

var (
	// codeBlocks are the page's code, where the tutorial shows Express
	// options such as cookie.path: not message keys.
	codeBlocks = regexp.MustCompile(`(?s)<code[^>]*>.*?</code>`)
	// rawKey is a message key where a text stands: after a tag, a quote
	// (an attribute such as aria-label) or a space.
	rawKey = regexp.MustCompile(`(?:^|[>"'\s(])((?:index|notice|cookie|redis|values|actions|error|type|clocks|wire|nav|sessions|lab|race|match|result|flash|tutorial|unit|badge|footer)(?:\.[a-z0-9_]+)+)\b`)
)

// rawKeys returns the message keys body shows untranslated.
func rawKeys(body string) []string {
	var keys []string
	for _, m := range rawKey.FindAllStringSubmatch(codeBlocks.ReplaceAllString(body, ""), -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// TestEveryPageRendersInBothLanguages renders each template in English and
// Japanese and checks that no message key is left untranslated.
func TestEveryPageRendersInBothLanguages(t *testing.T) {
	srv := newTestEnv(t).srv
	b := newBrowser(t, srv)
	st := b.state()
	b.post("/set", form("_csrf", st.CSRFToken, "name", "flag", "value", "on")) // a flash and a second row
	for _, lang := range []string{"en", "ja"} {
		for _, path := range []string{"/", "/nope", "/sessions", "/lab/fixation", "/lab/race", "/tutorial", "POST /value"} {
			var body string
			if page, ok := strings.CutPrefix(path, "POST "); ok {
				// The expired page: a form posted with no session cookie.
				_, body = newBrowser(t, srv).post(page+"?lang="+lang, form("_csrf", "x"), "Accept-Language", "fr")
			} else {
				_, body = b.get(path+"?lang="+lang, "Accept-Language", "fr")
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s in %s: wrong lang attribute", path, lang)
			}
			if keys := rawKeys(body); len(keys) > 0 {
				t.Errorf("%s in %s shows raw message keys %q", path, lang, keys)
			}
		}
	}
	if _, body := b.get("/", "Accept-Language", "en"); !strings.Contains(body, `<html lang="ja">`) {
		t.Errorf("the lang cookie set by ?lang=ja did not win over Accept-Language")
	}
	fresh := newBrowser(t, srv)
	if _, body := fresh.get("/", "Accept-Language", "ja-JP,ja;q=0.9,en;q=0.5"); !strings.Contains(body, `<html lang="ja">`) {
		t.Errorf("Accept-Language ja did not choose Japanese")
	}
}

func TestCatalogsHoldTheSameKeys(t *testing.T) {
	for key := range catalog["en"] {
		if catalog["ja"][key] == "" {
			t.Errorf("ja lacks %q", key)
		}
	}
	for key := range catalog["ja"] {
		if catalog["en"][key] == "" {
			t.Errorf("en lacks %q", key)
		}
	}
}

// TestClassify: the one error path tells every store and Redis error
// apart, each with its status, its stable JSON code and a message in both
// catalogs; a Redis error never shows as a 500.
func TestClassify(t *testing.T) {
	redisDown := fmt.Errorf("%w: dial tcp 10.0.0.7:6379: connection refused", sessionstore.ErrUnavailable)
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"CSRF", errCSRF, 403, "csrf"},
		{"expired before the POST", errSessionExpired, 403, "session_expired"},
		{"gone from Redis", fmt.Errorf("change: %w", sessionstore.ErrNotFound), 403, "session_expired"},
		{"busy", sessionstore.ErrBusy, 503, "busy"},
		{"Redis down", redisDown, 503, "redis_unavailable"},
		{"unreadable value", fmt.Errorf("%w: json: bad", sessionstore.ErrUnreadable), 409, "session_unreadable"},
		{"bad input", badRequest("error.name"), 400, "bad_input"},
		{"too large", &http.MaxBytesError{Limit: maxBody}, 413, "too_large"},
		{"no route", echo.ErrNotFound, 404, "not_found"},
		{"wrong method", echo.ErrMethodNotAllowed, 405, "method_not_allowed"},
		{"anything else", errors.New("boom"), 500, "internal"},
	} {
		e := classify(tc.err)
		if e.Status != tc.status || e.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, e.Status, e.Code, tc.status, tc.code)
		}
		for _, lang := range []string{"en", "ja"} {
			if catalog[lang][e.Key] == "" {
				t.Errorf("%s: no %s message for %s", tc.name, lang, e.Key)
			}
		}
		if strings.Contains(translate("en", e.Key), "10.0.0.7") {
			t.Errorf("%s: the message shows the cause", tc.name)
		}
	}
}
