package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The lesson on the first screen: the cookie's ID and the Redis key's ID
// aligned letter for letter where the eye lands, the buttons in reach,
// every action's before and after, the expired path, presenter mode.

// screens are the sizes the lesson must work at.
var screens = []struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
}{
	{"desktop", 1280, 900, 1, false},
	{"phone", 390, 844, 2, true},
}

// box is an element's place in the viewport, in CSS pixels.
type box struct {
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
	Width  float64 `json:"width"`
	Text   string  `json:"text"`
	Font   float64 `json:"font"`
}

func (s *scenario) box(sel string) box {
	s.t.Helper()
	return eval[box](s, fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		if (!e) return {left: -1, right: -1, top: -1, bottom: -1, width: -1, text: "", font: 0};
		const r = e.getBoundingClientRect();
		return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
			text: e.textContent.trim(), font: parseFloat(getComputedStyle(e).fontSize)};
	})()`, sel))
}

// viewport is the height of the layout viewport.
func (s *scenario) viewport() (width, height float64) {
	v := eval[[]float64](s, `[innerWidth, innerHeight]`)
	return v[0], v[1]
}

// screenshot writes the viewport to $SCREENSHOT_DIR/name, when set, for a
// person to look at.
func (s *scenario) screenshot(name string) {
	s.t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(s.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		s.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// checkMatchOnFirstScreen: both IDs shown, equal, starting at the same x
// and as wide (so every letter sits above its twin), entirely on the first
// screen together with the buttons.
func (s *scenario) checkMatchOnFirstScreen(what string) {
	s.t.Helper()
	cookie, key := s.box("#match-cookie-id"), s.box("#match-key-id")
	_, height := s.viewport()
	if cookie.Text == "" || cookie.Text != key.Text || cookie.Text != s.jarCookie().Value {
		s.t.Errorf("%s: the match shows %q and %q, the jar holds %q", what, cookie.Text, key.Text, s.jarCookie().Value)
	}
	if d := cookie.Left - key.Left; d > 0.5 || d < -0.5 || cookie.Width != key.Width {
		s.t.Errorf("%s: the IDs are not aligned: cookie at x=%.1f width %.1f, key at x=%.1f width %.1f", what, cookie.Left, cookie.Width, key.Left, key.Width)
	}
	for _, b := range []box{cookie, key} {
		if b.Top < 0 || b.Bottom > height {
			s.t.Errorf("%s: an ID is off the first screen: %+v (viewport %v high)", what, b, height)
		}
	}
	for _, sel := range []string{`.action-bar form[action="/value"] button`, `.action-bar form[action="/destroy"] button`} {
		if b := s.box(sel); b.Top < 0 || b.Bottom > height {
			s.t.Errorf("%s: %s is off the first screen: %+v (viewport %v high)", what, sel, b, height)
		}
	}
}

func TestBrowserLessonOnFirstScreen(t *testing.T) {
	browser := startChromium(t)
	for _, screen := range screens {
		for _, lang := range []string{"en", "ja"} {
			t.Run(screen.name+"-"+lang, func(t *testing.T) {
				s := newScenario(t, browser)
				s.emulateScreen(screen.width, screen.height, screen.scale, screen.mobile)
				stepFirstVisit(s)
				s.open("/?lang=" + lang)
				s.checkMatchOnFirstScreen("first visit")
				s.screenshot(fmt.Sprintf("lesson-%s-%s.png", screen.name, lang))
				// After each press the page lands where the result shows:
				// the result block and the match are on the screen at once.
				for _, action := range []string{"/value", "/rotate", "/destroy"} {
					s.submit(fmt.Sprintf(`.action-bar form[action=%q] button`, action))
					_, height := s.viewport()
					if r := s.box(".result"); r.Top < 0 || r.Top > height/2 {
						t.Errorf("after %s the result block is at %+v, want it near the top of the screen", action, r)
					}
					s.checkMatchOnFirstScreen("after " + action)
					s.screenshot(fmt.Sprintf("lesson-%s-%s-after-%s.png", screen.name, lang, strings.TrimPrefix(action, "/")))
				}
			})
		}
	}
}

func TestBrowserBeforeAndAfter(t *testing.T) {
	browser := startChromium(t)
	s := newScenario(t, browser)
	first := stepFirstVisit(s)

	s.submit(`.action-bar form[action="/value"] button`)
	p := s.shown()
	if p.Before != first.Values["value"] || p.After != p.Values["value"] || p.After == p.Before {
		t.Errorf("regenerate shows %q → %q; the value was %q and is %q", p.Before, p.After, first.Values["value"], p.Values["value"])
	}

	s.submit(`.action-bar form[action="/delete"] button`)
	p2 := s.shown()
	s.checkNotice(p2, "delete", "value")
	if p2.Before != p.Values["value"] {
		t.Errorf("delete shows the old value %q, want %q", p2.Before, p.Values["value"])
	}
	s.submit(`.action-bar form[action="/delete"] button`)
	s.checkNotice(s.shown(), "delete_none", "value")

	s.submit(`.action-bar form[action="/rotate"] button`)
	rotated := s.shown()
	if old := s.box(".result del code").Text; old != p2.ID {
		t.Errorf("rotate shows the old ID %q struck through, want %q", old, p2.ID)
	}
	if rotated.After != rotated.ID {
		t.Errorf("rotate shows the new ID %q, the cookie holds %q", rotated.After, rotated.ID)
	}
	if del := s.box(".result .wire-line").Text; del != "DEL "+s.cfg.KeyPrefix+p2.ID+" → (integer) 1" {
		t.Errorf("rotate shows %q, want the DEL of the old key and its reply", del)
	}

	s.submit(`.action-bar form[action="/destroy"] button`)
	destroyed := s.shown()
	s.checkNotice(destroyed, "destroy", "")
	steps := s.box(".destroy-steps").Text
	for _, want := range []string{"DEL " + s.cfg.KeyPrefix + rotated.ID + " → (integer) 1", s.cfg.CookieName + "=;", "Max-Age=0", rotated.ID[:8]} {
		if !strings.Contains(steps, want) {
			t.Errorf("destroy's report %q lacks %q", steps, want)
		}
	}
	if !destroyed.IsNew || destroyed.ID == rotated.ID {
		t.Errorf("after destroy the page shows session %s, new %v", destroyed.ID, destroyed.IsNew)
	}
	// The report was read once: a reload shows no destroy any more.
	s.open("/")
	if again := s.shown(); again.Result != "" {
		t.Errorf("a reload shows the destroy again: %q", again.Result)
	}
}

// TestBrowserExpiredPath waits out a real expiry, then presses a button: the
// page says the session expired (not that the form was forged) and offers to
// start again; with scripts on and off.
func TestBrowserExpiredPath(t *testing.T) {
	browser := startChromium(t)
	for _, scripts := range []bool{true, false} {
		t.Run(fmt.Sprintf("scripts=%v", scripts), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MaxAge = 1
			s := newScenarioOn(t, browser, cfg, testRedis(t))
			if !scripts {
				if _, err := chromedp.Call(s.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
					t.Fatal(err)
				}
			}
			stepFirstVisit(s)
			time.Sleep(1500 * time.Millisecond) // both clocks run out
			resp, err := chromedp.RunResponse(s.ctx, chromedp.Click(chromedp.CSS(`.action-bar form[action="/value"] button`)))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusForbidden {
				t.Errorf("a press after expiry got %d, want the expired page's 403", resp.Status)
			}
			// The browser logs the 403 it was meant to get; nothing else.
			for _, p := range s.takeProblems() {
				if !strings.Contains(p, "403") {
					t.Errorf("browser reported: %s", p)
				}
			}
			heading := s.box("h1").Text
			if heading != translate("en", "error.expired_heading") {
				t.Errorf("the page says %q, want %q", heading, translate("en", "error.expired_heading"))
			}
			if body := s.box("main").Text; strings.Contains(body, "CSRF") {
				t.Errorf("the expired page talks of CSRF: %q", body)
			}
			s.screenshot(fmt.Sprintf("expired-scripts-%v.png", scripts))
			s.click(".error-page a.button", "/")
			if p := s.shown(); !p.IsNew {
				t.Error("starting again did not start a new session")
			}
		})
	}
}

func TestBrowserPresenterMode(t *testing.T) {
	browser := startChromium(t)
	s := newScenario(t, browser)
	s.emulateScreen(1280, 900, 1, false)
	stepFirstVisit(s)
	normal := s.box("#match-cookie-id").Font
	s.open("/?present=1")
	if !eval[bool](s, `document.body.classList.contains("present")`) {
		t.Fatal("?present=1 did not turn presenter mode on")
	}
	if big := s.box("#match-cookie-id").Font; big < normal*1.5 {
		t.Errorf("the IDs are %.1f px in presenter mode, %.1f px normally: want them much larger", big, normal)
	}
	if shown := eval[int](s, `[...document.querySelectorAll(".explain")].filter(e => e.offsetParent !== null).length`); shown != 0 {
		t.Errorf("%d explanations still shown in presenter mode", shown)
	}
	s.checkMatchOnFirstScreen("presenter mode")
	s.screenshot("presenter-desktop.png")
	s.open("/") // remembered like the language
	if !eval[bool](s, `document.body.classList.contains("present")`) {
		t.Error("presenter mode was not remembered")
	}
	s.open("/?present=0")
	if eval[bool](s, `document.body.classList.contains("present")`) {
		t.Error("?present=0 did not leave presenter mode")
	}
}

// TestBrowserExpressTwin: the twin shows whole on a desktop and folded on a
// phone, and its Express-style destroy leaves the cookie, so that the next
// page sends the dead ID once and starts anew.
func TestBrowserExpressTwin(t *testing.T) {
	browser := startChromium(t)
	for _, screen := range screens {
		t.Run(screen.name, func(t *testing.T) {
			s := newScenario(t, browser)
			s.emulateScreen(screen.width, screen.height, screen.scale, screen.mobile)
			first := stepFirstVisit(s)
			shown := eval[bool](s, `(() => { const e = document.querySelector("#twin .facts"); return !!e && e.checkVisibility(); })()`)
			if shown != !screen.mobile {
				t.Errorf("the twin's details shown: %v, want shown on a desktop and folded on a phone", shown)
			}
			if !screen.mobile {
				if got := s.box("#twin .facts").Text; !strings.Contains(got, "s%3A"+first.ID+".") {
					t.Errorf("the twin shows %q, want the signed cookie", got)
				}
			} else {
				s.call("unfold the twin", func() error { return chromedp.Do(s.ctx, chromedp.Click(chromedp.CSS("#twin summary"))) })
			}
			s.screenshot(fmt.Sprintf("twin-%s.png", screen.name))
			s.submit(`.twin-destroy button`)
			p := s.shown()
			s.checkNotice(p, "destroy_express", "")
			if steps := s.box(".destroy-steps").Text; !strings.Contains(steps, first.ID[:8]) {
				t.Errorf("the report %q does not name the dead ID", steps)
			}
			if p.ID == first.ID || !p.IsNew {
				t.Errorf("after the dead ID the page shows %s (new %v)", p.ID, p.IsNew)
			}
			s.screenshot(fmt.Sprintf("twin-%s-after-destroy.png", screen.name))
		})
	}
}
