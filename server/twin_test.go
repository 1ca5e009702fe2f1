package server

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"redis-session-demo/internal/sessionstore"
)

// TestExpressTwin: without SESSION_COMPAT the page shows what the
// tutorial's Express app would send and store for the session, computed
// with the configured secret.
func TestExpressTwin(t *testing.T) {
	env := newTestEnv(t)
	st := env.b.state()
	_, page := env.b.get("/")
	signed := sessionstore.ExpressCookieValue(st.ID, env.cfg.Secret)
	for _, want := range []string{
		"Set-Cookie: web.engineer=" + signed + "; Path=/; Expires=",
		strings.TrimSuffix(env.cfg.KeyPrefix, ":") + st.ID + "</code>",
		html.EscapeString(`"cookie":{"expires":`),
		html.EscapeString(`"originalMaxAge":120000,"path":"/"}`),
		`id="express-countdown"`,
		`name="style" value="express"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the twin lacks %q", want)
		}
	}
	if !strings.HasPrefix(signed, "s%3A"+st.ID+".") {
		t.Errorf("the twin's cookie %q is not s%%3A + ID + . + signature", signed)
	}
	// Its expiry is fixed when the session starts, not renewed by a visit.
	first := env.b.cookie(twinCookie)
	time.Sleep(5 * time.Millisecond) // so that a renewed expiry would differ
	env.b.get("/")
	if again := env.b.cookie(twinCookie); first == "" || again != first {
		t.Errorf("the twin's expiry moved from %q to %q on a visit", first, again)
	}
}

// TestExpressStyleDestroy deletes the key but keeps the cookie, so that the
// next page load sends the dead ID once and starts a new session.
func TestExpressStyleDestroy(t *testing.T) {
	env := newTestEnv(t)
	b := env.b
	st := b.state()
	resp, _ := b.post("/destroy", form("_csrf", st.CSRFToken, "style", "express"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Express-style destroy: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == env.cfg.CookieName {
			t.Errorf("an Express-style destroy sent a Set-Cookie for the session: %v", c)
		}
	}
	if stored(t, env.rdb, st.Redis.Key) != "" {
		t.Error("the key survived the destroy")
	}
	if got := b.cookie(env.cfg.CookieName); got != st.ID {
		t.Fatalf("the browser holds %q, want the dead ID kept", got)
	}
	_, page := b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, html.EscapeString(translate("en", "result.destroy_express"))) ||
		!strings.Contains(page, "sent the dead ID ("+st.ID[:8]+"…) once more") {
		t.Errorf("the page after an Express-style destroy does not tell the story")
	}
	if now := b.cookie(env.cfg.CookieName); now == st.ID || now == "" {
		t.Errorf("after the dead ID the browser holds %q, want a new session", now)
	}
}

// TestExpressMode: with SESSION_COMPAT=express the cookie is signed, the key
// is the tutorial's dev.blog glued to a 32-character ID, the stored JSON
// carries the cookie object, and the page shows where the ID sits in both.
func TestExpressMode(t *testing.T) {
	env := newTestEnv(t, func(c *Config) {
		c.Express = true
		c.Secret = []byte("WANTEDSECRET")
		c.KeyPrefix = strings.TrimSuffix(c.KeyPrefix, ":")
	})
	b := env.b
	st := b.state()
	if len(st.ID) != 32 || st.Cookie.Value != sessionstore.ExpressCookieValue(st.ID, []byte("WANTEDSECRET")) {
		t.Errorf("session %q, cookie %q: want a 32-character ID, signed", st.ID, st.Cookie.Value)
	}
	if st.Redis.Key != env.cfg.KeyPrefix+st.ID {
		t.Errorf("key %q, want the prefix glued to the ID", st.Redis.Key)
	}
	var stored map[string]any
	json.Unmarshal([]byte(st.Redis.Raw), &stored)
	if _, ok := stored["cookie"].(map[string]any); !ok || st.Values["cookie"] != nil {
		t.Errorf("stored %s, values %v: want the cookie object stored and not shown as a variable", st.Redis.Raw, st.Values)
	}
	resp, _ := b.post("/set", form("_csrf", st.CSRFToken, "name", "team", "value", "red"))
	if resp.StatusCode != http.StatusSeeOther || redisValues(t, env.rdb.Client, st.Redis.Key)["team"] != "red" {
		t.Errorf("a change in Express mode: %d, Redis holds %s", resp.StatusCode, stored)
	}
	_, page := b.get("/")
	for _, want := range []string{`<code class="match-lead">web.engineer=s%3A</code>`, `<code class="match-id" id="match-cookie-id">` + st.ID + `</code>`, `<code class="match-tail">.`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="twin"`) {
		t.Error("Express mode shows a twin of itself")
	}
	// An unsigned cookie carrying a live ID is not adopted.
	other := newBrowser(t, env.srv)
	other.setCookie(env.cfg.CookieName, st.ID)
	if got := other.state(); got.ID == st.ID {
		t.Error("an unsigned cookie was accepted in Express mode")
	}
}
