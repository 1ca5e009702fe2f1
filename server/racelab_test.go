package server

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"redis-session-demo/internal/sessionstore"
)

// raceCounts reads, per side (stock first), the counts the page shows.
var raceCounts = regexp.MustCompile(`<dd class="race-sent">(\d+)</dd>\s*<dt>[^<]*</dt><dd class="race-survived">(\d+)</dd>\s*<dt>[^<]*</dt><dd class="race-lost">(-?\d+)</dd>`)

// checkRaceCounts asserts what both sides of a run of n writers must show:
// all n sent, the stock side kept at most n, the locked side exactly n,
// and lost = sent - survived. It returns the stock side's loss.
func checkRaceCounts(t *testing.T, body string, n int) (stockLost int) {
	t.Helper()
	m := raceCounts.FindAllStringSubmatch(body, -1)
	if len(m) != 2 {
		t.Fatalf("the page shows %d sides with counts, want 2", len(m))
	}
	for i, side := range m {
		sent, _ := strconv.Atoi(side[1])
		survived, _ := strconv.Atoi(side[2])
		lost, _ := strconv.Atoi(side[3])
		if sent != n || survived > n || survived < 1 || lost != sent-survived {
			t.Errorf("side %d shows sent %d, survived %d, lost %d; want sent %d, 1 <= survived <= %d, lost = sent - survived", i, sent, survived, lost, n, n)
		}
		if i == 1 && survived != n {
			t.Errorf("the locked side kept %d of %d increments", survived, n)
		}
		if i == 0 {
			stockLost = lost
		}
	}
	return stockLost
}

// labKeysLeft lists every key of the labs' scheme still in Redis.
func labKeysLeft(t *testing.T, env *testEnv) []string {
	t.Helper()
	lab := env.cfg.Keys().Lab().Pattern()
	var left []string
	for _, pattern := range []string{lab, "lock:" + lab, "flash:" + lab} {
		keys, err := scanKeys(context.Background(), env.rdb.Client, pattern)
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, keys...)
	}
	return left
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestRaceLab runs the lab through the router as a visitor would: the
// stock side may lose increments, the locked side keeps all of them, no lab
// key is left behind and the visitor's own session is untouched.
func TestRaceLab(t *testing.T) {
	env := newTestEnv(t)
	b := env.b
	resp, page := b.get("/lab/race")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /lab/race: %d", resp.StatusCode)
	}
	// Like the fixation lab, the page opens a session: the POST needs its token.
	id := b.cookie(env.cfg.CookieName)
	token := csrfField.FindStringSubmatch(page)
	if id == "" || token == nil {
		t.Fatalf("GET /lab/race left cookie %q and token %v", id, token)
	}
	own := env.cfg.Keys().Session(id)
	before := stored(t, env.rdb, own)

	resp, body := b.post("/lab/race", form("_csrf", token[1]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /lab/race: %d %s", resp.StatusCode, firstLine(body))
	}
	lost := checkRaceCounts(t, body, raceDefaultWriters)
	t.Logf("the stock store lost %d of %d increments", lost, raceDefaultWriters)
	for _, want := range []string{"0 lab keys left.", "SET lock:", "EVAL ", "GET lab:"} {
		if !strings.Contains(body, want) {
			t.Errorf("the result lacks %q", want)
		}
	}
	if left := labKeysLeft(t, env); len(left) != 0 {
		t.Errorf("the lab left %q in Redis", left)
	}
	if after := stored(t, env.rdb, own); after != before {
		t.Errorf("the visitor's session changed from %q to %q", before, after)
	}
	if keys := sessionKeys(t, env.rdb, env.cfg); len(keys) != 1 || keys[0] != own {
		t.Errorf("session keys after the lab: %q, want only the visitor's", keys)
	}
	if b.cookie(env.cfg.CookieName) != id {
		t.Errorf("the lab changed the visitor's cookie")
	}

	// The number of writers is chosen in the form, within bounds.
	resp, body = b.post("/lab/race", form("_csrf", token[1], "writers", "7"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /lab/race with 7 writers: %d %s", resp.StatusCode, firstLine(body))
	}
	checkRaceCounts(t, body, 7)
	for _, bad := range []string{"1", "51", "-3", "abc", "3.5", "1e1", " 30"} {
		resp, body := b.post("/lab/race", form("_csrf", token[1], "writers", bad), "Accept", "application/json")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"code":"bad_input"`) {
			t.Errorf("writers=%q: %d %s, want 400 bad_input", bad, resp.StatusCode, firstLine(body))
		}
	}

	// Like every change, the run needs the session's CSRF token.
	for _, f := range [][]string{nil, {"_csrf", "forged"}} {
		resp, body := b.post("/lab/race", form(f...), "Accept", "application/json")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"csrf"`) {
			t.Errorf("POST with form %q: %d %s, want 403 csrf", f, resp.StatusCode, firstLine(body))
		}
	}
	stranger := newBrowser(t, env.srv)
	if resp, _ := stranger.post("/lab/race", form("_csrf", token[1])); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without a session cookie: %d, want 403", resp.StatusCode)
	}
	if left := labKeysLeft(t, env); len(left) != 0 {
		t.Errorf("the lab left %q in Redis", left)
	}
}

// TestRaceLabRendersInBothLanguages: the page before and after a run shows
// no raw message key in either language. (TestEveryPageRendersInBothLanguages
// covers the pages it lists.)
func TestRaceLabRendersInBothLanguages(t *testing.T) {
	env := newTestEnv(t)
	for _, lang := range []string{"en", "ja"} {
		_, page := env.b.get("/lab/race?lang=" + lang)
		token := csrfField.FindStringSubmatch(page)
		if token == nil {
			t.Fatalf("%s: no CSRF token", lang)
		}
		_, result := env.b.post("/lab/race?lang="+lang, form("_csrf", token[1], "writers", "5"))
		for what, body := range map[string]string{"GET": page, "POST": result} {
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: wrong lang attribute", what, lang)
			}
			if keys := rawKeys(body); len(keys) > 0 {
				t.Errorf("%s %s shows raw message keys %q", what, lang, keys)
			}
			if strings.Contains(body, "%!") {
				t.Errorf("%s %s has a broken format verb", what, lang)
			}
		}
		if !strings.Contains(result, translate(lang, "race.why_lock.heading")) {
			t.Errorf("%s: the result lacks the explanation", lang)
		}
	}
	// The 400's message states the bounds the code applies.
	if msg := translate("en", "race.bad_writers"); !strings.Contains(msg, strconv.Itoa(raceMinWriters)) || !strings.Contains(msg, strconv.Itoa(raceMaxWriters)) {
		t.Errorf("race.bad_writers %q does not state %d..%d", msg, raceMinWriters, raceMaxWriters)
	}
}

// TestRaceLabTimeline runs the largest race directly: it ends within a
// request's deadline (its time is measured by benchmarks, not asserted
// here), the timelines show the first writers' commands in
// the order they were sent, and nothing is left in Redis.
func TestRaceLabTimeline(t *testing.T) {
	env := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	began := time.Now()
	res, err := env.app.raceLab(ctx, raceMaxWriters)
	took := time.Since(began)
	if err != nil {
		t.Fatalf("%d writers: %v after %v", raceMaxWriters, err, took)
	}
	t.Logf("%d writers: stock lost %d in %s, locked lost %d in %s; whole run %v",
		raceMaxWriters, res.Stock.Lost, res.Stock.Wall, res.Hardened.Lost, res.Hardened.Wall, took)
	if res.Hardened.Survived != raceMaxWriters || res.Stock.Survived > raceMaxWriters || res.LeftBehind != 0 {
		t.Errorf("result: stock kept %d, locked kept %d of %d; %d keys left", res.Stock.Survived, res.Hardened.Survived, raceMaxWriters, res.LeftBehind)
	}
	for _, side := range res.Sides() {
		if len(side.Shown) != raceShownWriters || len(side.Timeline) == 0 || len(side.Timeline) > raceMaxSteps {
			t.Fatalf("%s: writers %v, %d steps", side.TitleKey, side.Shown, len(side.Timeline))
		}
		var last time.Duration
		for _, s := range side.Timeline {
			if s.at < last {
				t.Errorf("%s: step %q at %v comes after one at %v", side.TitleKey, s.Command, s.at, last)
			}
			last = s.at
			if strings.Contains(s.Command, strings.TrimPrefix(res.SessionKey, env.cfg.Keys().Lab().Prefix)) {
				t.Errorf("%s: %q shows the whole session ID", side.TitleKey, s.Command)
			}
		}
		// Every shown writer's read and write are in the timeline.
		for _, w := range side.Shown {
			var cmds []string
			for _, s := range side.Timeline {
				if s.Writer == w {
					cmds = append(cmds, strings.Fields(s.Command)[0])
				}
			}
			want := "GET SET"
			if side.Locked {
				want = "SET GET SET EVAL" // lock, read, write, unlock, after any waits
			}
			if got := strings.Join(cmds, " "); !strings.HasSuffix(got, want) && side.Hidden == 0 {
				t.Errorf("%s: writer %d sent %q, want it to end in %q", side.TitleKey, w, got, want)
			}
		}
	}
	if left := labKeysLeft(t, env); len(left) != 0 {
		t.Errorf("the lab left %q in Redis", left)
	}
}

// TestRaceLabDeadline: a run that cannot finish within its context ends with
// the app's usual 503, and still removes what it wrote.
func TestRaceLabDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadline time.Duration // from now
		mustFail bool
	}{
		{"deadline already past", -time.Second, true},
		{"deadline during the run", 2 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(tc.deadline))
			defer cancel()
			_, err := env.app.raceLab(ctx, raceMaxWriters)
			switch {
			case err == nil && tc.mustFail:
				t.Fatal("the run ignored its context's deadline")
			case err == nil:
				t.Skip("50 writers on both sides finished within 2 ms")
			}
			if e := classify(err); e.Status != http.StatusServiceUnavailable {
				t.Errorf("%v shows as %d %s, want 503", err, e.Status, e.Code)
			}
			if !errors.Is(err, sessionstore.ErrBusy) && !errors.Is(err, sessionstore.ErrUnavailable) {
				t.Errorf("error %v is neither busy nor unavailable", err)
			}
			if left := labKeysLeft(t, env); len(left) != 0 {
				t.Errorf("the lab left %q in Redis", left)
			}
		})
	}
}

// TestRaceLabGob: the lab counts through the store's serializer, so it
// works the same with SESSION_SERIALIZER=gob.
func TestRaceLabGob(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Serializer = "gob" })
	res, err := env.app.raceLab(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hardened.Survived != 10 || res.Stock.Survived < 1 || res.Stock.Survived > 10 || res.LeftBehind != 0 {
		t.Errorf("with gob: stock kept %d, locked kept %d of 10; %d keys left", res.Stock.Survived, res.Hardened.Survived, res.LeftBehind)
	}
}

func TestShortenIDs(t *testing.T) {
	id := strings.Repeat("a", 40) + "xyz"
	token := strings.Repeat("T", 43)
	for _, tc := range []struct{ in, want string }{
		{"GET lab:dev.blog:" + id, "GET lab:dev.blog:aaaaaa…"},
		{"SET lock:lab:dev.blog:" + id + " " + token + " PX 3000 NX", "SET lock:lab:dev.blog:aaaaaa… TTTTTT… PX 3000 NX"},
		{`"` + token + `"`, `"TTTTTT…"`},
		{`"{\"counter\":3}"`, `"{\"counter\":3}"`},
	} {
		if got := shortenIDs(tc.in, id); got != tc.want {
			t.Errorf("shortenIDs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
