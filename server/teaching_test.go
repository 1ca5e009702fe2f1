package server

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"redis-session-demo/internal/commandlog"
)

// commandNames reduces a command log to "NAME key-kind" lines that a test
// can compare: the session key, lock key and flash key are named, not
// spelled out.
func commandNames(cmds []commandlog.Command, prefix string) []string {
	id := regexp.MustCompile(`[A-Za-z0-9_-]{43}`)
	minute := regexp.MustCompile(`^((INCR|EXPIRE) rate:new:\S+:)\d+\b`)
	var out []string
	for _, c := range cmds {
		line := minute.ReplaceAllString(id.ReplaceAllString(c.Command, "ID"), "${1}MINUTE")
		fields := strings.Fields(line)
		shown := fields[0]
		if len(fields) > 1 {
			shown += " " + strings.TrimPrefix(fields[1], prefix)
		}
		for _, opt := range []string{"EX", "NX"} {
			if strings.Contains(" "+line+" ", " "+opt+" ") {
				shown += " " + opt
			}
		}
		out = append(out, shown+" -> "+replyKind(c.Reply))
	}
	return out
}

func replyKind(reply string) string {
	switch {
	case reply == "(nil)", reply == "OK":
		return reply
	case strings.HasPrefix(reply, "(integer) -2"):
		return "-2"
	case strings.HasPrefix(reply, "(integer)"):
		return "int"
	case strings.HasPrefix(reply, "(error)"):
		return "error"
	}
	return "bytes"
}

func TestCommandLogOfEachStep(t *testing.T) {
	env := newTestEnv(t)
	cfg, b := env.cfg, env.b
	lock, flash := "lock:"+cfg.KeyPrefix, "flash:"+cfg.KeyPrefix
	// The limit on new sessions counts in a key per client and minute.
	rate := "rate:new:" + cfg.KeyPrefix + "127.0.0.1:MINUTE"
	// A new session: the count, then the SET; what was written is shown
	// without reading it back.
	newSession := []string{"INCR " + rate + " -> int", "EXPIRE " + rate + " -> int", "SET ID EX -> OK"}
	check := func(step string, got []commandlog.Command, want ...string) {
		t.Helper()
		names := commandNames(got, cfg.KeyPrefix)
		if strings.Join(names, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s sent:\n  %s\nwant:\n  %s", step, strings.Join(names, "\n  "), strings.Join(want, "\n  "))
		}
	}
	jsonPost := func(path, token string, pairs ...string) sessionState {
		t.Helper()
		resp, body := b.post(path, form(pairs...), "Accept", "application/json", "X-CSRF-Token", token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
		}
		return decodeState(t, body)
	}

	first := b.state()
	check("first visit", first.Commands, newSession...)

	again := b.state()
	// One round trip, no write, and no report to take: no change came before.
	check("repeat visit", again.Commands, "GETEX ID EX -> bytes", "PTTL ID -> int")

	unknown := newBrowser(t, b.srv())
	unknown.setCookie(cfg.CookieName, strings.Repeat("A", 43))
	check("visit with an unknown ID", unknown.state().Commands,
		append([]string{"GETEX ID EX -> (nil)", "PTTL ID -> -2"}, newSession...)...)

	// A change asked for as JSON stores no report: its answer carries the
	// new state, and no page will take one.
	changed := jsonPost("/value", first.CSRFToken)
	check("regenerate", changed.Commands,
		"SET "+lock+"ID EX NX -> OK", "GET ID -> bytes", "SET ID EX -> OK",
		`EVAL "if -> int`, "GET ID -> bytes", "PTTL ID -> int")

	rotated := jsonPost("/rotate", first.CSRFToken)
	check("rotate", rotated.Commands,
		"SET "+lock+"ID EX NX -> OK", "GET ID -> bytes", "SET ID EX -> OK", "DEL ID -> int",
		`EVAL "if -> int`, "GET ID -> bytes", "PTTL ID -> int")

	set := jsonPost("/set", rotated.CSRFToken, "name", "n", "value", "v")
	check("set", set.Commands,
		"SET "+lock+"ID EX NX -> OK", "GET ID -> bytes", "SET ID EX -> OK",
		`EVAL "if -> int`, "GET ID -> bytes", "PTTL ID -> int")

	deleted := jsonPost("/delete", rotated.CSRFToken, "name", "n")
	check("delete", deleted.Commands,
		"SET "+lock+"ID EX NX -> OK", "GET ID -> bytes", "SET ID EX -> OK",
		`EVAL "if -> int`, "GET ID -> bytes", "PTTL ID -> int")
	if strings.Contains(deleted.Commands[2].Command, `\"n\"`) {
		t.Errorf("delete saved the variable back: %s", deleted.Commands[2].Command)
	}

	resp, body := b.post("/destroy", nil, "Accept", "application/json", "X-CSRF-Token", rotated.CSRFToken)
	var destroyed destroyedState
	if err := json.Unmarshal([]byte(body), &destroyed); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("destroy: %d %s", resp.StatusCode, body)
	}
	check("destroy", destroyed.Commands, "SET "+lock+"ID EX NX -> OK", "DEL ID -> int", "DEL "+flash+"ID -> int",
		`EVAL "if -> int`)
}

// TestPageShowsTheWire checks the HTTP headers and commands shown for a
// POST after its redirect and for the page load itself.
func TestPageShowsTheWire(t *testing.T) {
	env := newTestEnv(t)
	cfg, b := env.cfg, env.b
	st := b.state()
	resp, _ := b.post("/set", form("_csrf", st.CSRFToken, "name", "colour", "value", "blue"))
	_, body := b.get(resp.Header.Get("Location"))
	for _, want := range []string{
		"<code>POST /set</code>", "<code>GET /</code>",
		"Cookie: " + cfg.CookieName + "=" + st.Cookie.Value,
		"Set-Cookie: " + cfg.CookieName + "=" + st.Cookie.Value + "; Path=/; Expires=",
		"Max-Age=120; HttpOnly; SameSite=Lax",
		"SET lock:" + cfg.KeyPrefix + st.Cookie.Value,
		"GETEX " + cfg.KeyPrefix + st.Cookie.Value + " EX 120",
		`data-remaining-ms="120000"`, `id="redis-countdown" data-remaining-ms="1`,
		`<script src="/static/clock.js" defer></script>`,
		`<span class="key-prefix">` + cfg.KeyPrefix + `</span><span class="session-id">` + st.Cookie.Value + "</span>",
		"--scan --pattern &#39;" + cfg.KeyPrefix + "*&#39;",
		"STRLEN " + cfg.KeyPrefix + st.Cookie.Value,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The POST's lock commands are folded away as the app's bookkeeping,
	// under a summary that counts them.
	folded := regexp.MustCompile(`<details class="bookkeeping">\s*<summary>[^<]*: (\d+) more command[^<]*</summary>(?s:.*?)SET lock:`)
	if m := folded.FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("page lacks the folded bookkeeping with its count and the lock's SET")
	}
	// The pretty JSON, as html/template escapes it.
	if !strings.Contains(body, "{\n  &#34;colour&#34;: &#34;blue&#34;,") {
		t.Errorf("page lacks the indented JSON")
	}
	resp, js := b.get("/static/clock.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(js, "remainingMs") {
		t.Errorf("clock.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestGobPageShowsHexDumpAndWhy(t *testing.T) {
	b := newTestEnv(t, func(c *Config) { c.Serializer = "gob" }).b
	_, body := b.get("/?lang=en")
	for _, want := range []string{`id="redis-hex"`, "00000000  ", "no gob decoder", "(base64)"} {
		if !strings.Contains(body, want) {
			t.Errorf("gob page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="redis-pretty"`) {
		t.Errorf("gob page shows a JSON view")
	}
}

// TestSessionBrowserMasksOthers opens two sessions and checks what each
// visitor's /sessions shows of the other.
func TestSessionBrowserMasksOthers(t *testing.T) {
	env := newTestEnv(t)
	rdb, cfg, srv := env.rdb, env.cfg, env.srv
	alice, bob := newBrowser(t, srv), newBrowser(t, srv)
	a, bs := alice.state(), bob.state()
	if resp, _ := bob.post("/set", form("_csrf", bs.CSRFToken, "name", "secret", "value", "bob's value")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's set: status %d", resp.StatusCode)
	}

	resp, body := alice.get("/sessions")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(body, "<strong>2 sessions under</strong>") {
		t.Errorf("count of two sessions missing")
	}
	if !strings.Contains(body, `<tr class="own">`) || !strings.Contains(body, cfg.KeyPrefix+a.Cookie.Value) {
		t.Errorf("alice's own key is not shown whole and highlighted")
	}
	if strings.Contains(body, bs.Cookie.Value) || strings.Contains(body, bs.Cookie.Value[4:12]) {
		t.Errorf("bob's ID leaks to alice")
	}
	if !strings.Contains(body, cfg.KeyPrefix+bs.Cookie.Value[:4]+"…") {
		t.Errorf("bob's row is not shown masked")
	}
	if strings.Contains(body, "bob&#39;s value") || strings.Contains(body, "secret") {
		t.Errorf("bob's values leak to alice")
	}
	if len(resp.Header["Set-Cookie"]) != 0 {
		t.Errorf("/sessions set a cookie: %q", resp.Header["Set-Cookie"])
	}
	stranger := newBrowser(t, srv)
	if _, body := stranger.get("/sessions"); strings.Contains(body, a.Cookie.Value) || strings.Contains(body, `class="own"`) {
		t.Errorf("a stranger sees a whole ID")
	}
	if n := len(sessionKeys(t, rdb, cfg)); n != 2 {
		t.Errorf("/sessions created sessions: %d keys", n)
	}
}

func TestFixationLabLeavesNoKey(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	app := newTestApp(t, cfg, rdb)
	b := newBrowser(t, startServer(t, app))
	resp, page := b.get("/lab/fixation")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET lab: %d", resp.StatusCode)
	}
	token := csrfField.FindStringSubmatch(page)
	if token == nil {
		t.Fatal("no CSRF token on the lab page")
	}
	resp, body := b.post("/lab/fixation", form("_csrf", token[1]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST lab: %d %s", resp.StatusCode, firstLine(body))
	}
	for _, want := range []string{"Adopted the attacker&#39;s ID", "Ignored the unknown ID", "keys left behind: 0."} {
		if !strings.Contains(body, want) {
			t.Errorf("lab result lacks %q", want)
		}
	}
	keys, err := scanKeys(context.Background(), rdb.Client, "*lab:"+cfg.KeyPrefix+"*")
	if err != nil || len(keys) != 0 {
		t.Errorf("the lab left %v (%v)", keys, err)
	}
	if resp, _ := b.post("/lab/fixation", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("lab without a token: %d, want 403", resp.StatusCode)
	}

	res, err := app.fixationLab(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stock.Adopted || !res.Stock.WroteForged || res.Hardened.Adopted || res.Hardened.WroteForged ||
		res.Hardened.SessionID == res.Forged || res.LeftBehind != 0 {
		t.Errorf("lab result %+v", res)
	}
}
