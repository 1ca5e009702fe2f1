package server

// The tutorial page in a real browser: its code is readable at desktop and
// phone size, and a step's own button does the change and comes back to
// the step. With SCREENSHOT_DIR set, it also writes what it saw there:
//
//	SCREENSHOT_DIR=/tmp/shots go test ./server -run TestBrowserTutorial

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// codeLayout is what TestBrowserTutorial measures of the code blocks.
type codeLayout struct {
	Blocks      int      `json:"blocks"`
	Hidden      []string `json:"hidden"`     // blocks with no visible box
	Unbounded   []string `json:"unbounded"`  // blocks taller than their max-height
	Scrolling   int      `json:"scrolling"`  // blocks whose content scrolls inside them
	SmallestPx  float64  `json:"smallestPx"` // the smallest font size of the code
	ScrollWidth float64  `json:"scrollWidth"`
	InnerWidth  float64  `json:"innerWidth"`
	// Buttons are the sizes of the steps' own buttons.
	Buttons []struct{ W, H float64 } `json:"buttons"`
}

const readCodeLayout = `(() => {
	const blocks = [...document.querySelectorAll("pre.tut-src")];
	const name = e => e.closest("li.tut-step").id + " " + (e.closest("figure")?.querySelector("figcaption")?.textContent.trim() || "express");
	return {
		blocks: blocks.length,
		hidden: blocks.filter(e => { const r = e.getBoundingClientRect(); return !(r.width > 0 && r.height > 0) || getComputedStyle(e).visibility !== "visible"; }).map(name),
		unbounded: blocks.filter(e => e.getBoundingClientRect().height > parseFloat(getComputedStyle(e).maxHeight) + 1).map(name),
		scrolling: blocks.filter(e => e.scrollHeight > e.clientHeight + 1).length,
		smallestPx: Math.min(...blocks.map(e => parseFloat(getComputedStyle(e.querySelector("code")).fontSize))),
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
		buttons: [...document.querySelectorAll(".tut-try button")].map(b => { const r = b.getBoundingClientRect(); return {W: r.width, H: r.height}; }),
	};
})()`

// inView says whether the page is scrolled down to the step: its top edge
// near the top of the viewport.
type inView struct {
	Href    string  `json:"href"`
	ScrollY float64 `json:"scrollY"`
	Top     float64 `json:"top"`
	Height  float64 `json:"height"`
	Lang    string  `json:"lang"`
}

func TestBrowserTutorial(t *testing.T) {
	browser := startChromium(t)
	shots := os.Getenv("SCREENSHOT_DIR")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wantBlocks := 0
	for _, s := range tutorialSteps {
		wantBlocks += 1 + len(s.Go)
	}
	for _, screen := range []struct {
		name          string
		width, height int64
		scale         float64
		mobile        bool
	}{
		{"desktop", 1280, 900, 1, false},
		{"phone", 390, 844, 2, true},
	} {
		for _, lang := range []string{"en", "ja"} {
			t.Run(screen.name+"-"+lang, func(t *testing.T) {
				s := newScenario(t, browser)
				s.emulateScreen(screen.width, screen.height, screen.scale, screen.mobile)
				shoot := func(what string) {
					t.Helper()
					if shots == "" {
						return
					}
					png, err := chromedp.Run(s.ctx, chromedp.CaptureScreenshot())
					if err != nil {
						t.Fatalf("screenshot: %v", err)
					}
					path := filepath.Join(shots, fmt.Sprintf("tutorial-%s-%s-%s.png", screen.name, lang, what))
					if err := os.WriteFile(path, png, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("wrote %s", path)
				}

				first := stepFirstVisit(s)
				page := "/tutorial?lang=" + lang
				resp, err := chromedp.Run(s.ctx, chromedp.NavigateResponse(s.url+page))
				if err != nil || resp.Status != http.StatusOK || resp.URL != s.url+page {
					t.Fatalf("open %s: %v %+v", page, err, resp)
				}
				shoot("top")

				l := eval[codeLayout](s, readCodeLayout)
				if l.Blocks != wantBlocks || len(l.Hidden) > 0 {
					t.Errorf("%d code blocks, want %d, all visible; hidden: %q", l.Blocks, wantBlocks, l.Hidden)
				}
				if len(l.Unbounded) > 0 || l.Scrolling == 0 {
					t.Errorf("long code must scroll inside its block: %q grow past their max-height; %d blocks scroll", l.Unbounded, l.Scrolling)
				}
				if l.SmallestPx < 12 {
					t.Errorf("code in %v px type, want at least 12", l.SmallestPx)
				}
				if l.ScrollWidth > l.InnerWidth {
					t.Errorf("the page scrolls sideways: scrollWidth %v, innerWidth %v", l.ScrollWidth, l.InnerWidth)
				}
				if len(l.Buttons) != 4 {
					t.Errorf("%d step buttons, want 4 (create, delete, destroy, rotate)", len(l.Buttons))
				}
				for _, b := range l.Buttons {
					if b.H < 44 || b.W < 120 {
						t.Errorf("a step button of %vx%v px, want at least 120x44", b.W, b.H)
					}
				}

				eval[chromedp.Void](s, `document.getElementById("step-configure").scrollIntoView()`)
				shoot("configure")

				eval[chromedp.Void](s, `document.querySelector("#step-delete .tut-try").scrollIntoView({block: "center"})`)
				shoot("delete-button")

				// Press the delete step's own button: the POST's 303 brings
				// the browser back to the step, scrolled to it.
				resp, err = chromedp.RunResponse(s.ctx, chromedp.Click(chromedp.CSS(`#step-delete .tut-try button[type="submit"]`)))
				if err != nil {
					t.Fatalf("press the delete step's button: %v", err)
				}
				if resp == nil || resp.Status != http.StatusOK || strings.TrimSuffix(resp.URL, "#step-delete") != s.url+"/tutorial" {
					t.Fatalf("after the press: %+v", resp)
				}
				var v inView
				for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					v = eval[inView](s, `(() => { const r = document.getElementById("step-delete").getBoundingClientRect();
						return {href: location.href, scrollY: window.scrollY, top: r.top, height: r.height, lang: document.documentElement.lang}; })()`)
					if v.ScrollY > 0 && v.Top >= -1 && v.Top < float64(screen.height)/2 || time.Now().After(deadline) {
						break
					}
				}
				if v.Href != s.url+"/tutorial#step-delete" {
					t.Errorf("after the press the browser is at %s, want %s/tutorial#step-delete", v.Href, s.url)
				}
				if !(v.ScrollY > 0 && v.Top >= -1 && v.Top < float64(screen.height)/2) {
					t.Errorf("the delete step is not in view: scrollY %v, its top at %v of a %d px viewport", v.ScrollY, v.Top, screen.height)
				}
				if v.Lang != lang {
					t.Errorf("after the press the page is in %q, want %q", v.Lang, lang)
				}
				shoot("after-delete")

				raw, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`fetch("/api/session").then(r => r.text())`, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("fetch /api/session: %v", err)
				}
				var st sessionState
				if err := json.Unmarshal([]byte(raw), &st); err != nil {
					t.Fatalf("/api/session: %v: %s", err, raw)
				}
				if _, has := st.Values["value"]; has || st.Cookie.Value != first.ID {
					t.Errorf("/api/session after the press: session %s with %v, want %s without value", st.Cookie.Value, st.Values, first.ID)
				}
				if _, has := s.storedValues(first.Key)["value"]; has {
					t.Errorf("Redis still holds value under %s", first.Key)
				}
			})
		}
	}
}
