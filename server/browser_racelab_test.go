package server

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// raceShown is what one side of the race lab shows.
type raceShown struct {
	Sent     int `json:"sent"`
	Survived int `json:"survived"`
	Lost     int `json:"lost"`
	Steps    int `json:"steps"`
}

const readRaceSides = `[...document.querySelectorAll(".race-side")].map(p => ({
	sent: Number(p.querySelector(".race-sent").textContent),
	survived: Number(p.querySelector(".race-survived").textContent),
	lost: Number(p.querySelector(".race-lost").textContent),
	steps: p.querySelectorAll("table.race-timeline tbody tr").length,
}))`

// TestBrowserRaceLab opens /lab/race in a real browser at desktop and phone
// size, in both languages, presses Run, and checks the counts the page
// shows and that the page fits the screen. It takes a screenshot of each
// result: into the test's temporary folder, and into SCREENSHOT_DIR too
// when that is set (racelab-desktop-en.png, racelab-phone-ja.png, …).
func TestBrowserRaceLab(t *testing.T) {
	browser := startChromium(t)
	for _, tc := range []struct {
		device        string
		width, height int64
		scale         float64
		mobile        bool
		lang          string
	}{
		{"desktop", 1280, 900, 1, false, "en"},
		{"desktop", 1280, 900, 1, false, "ja"},
		{"phone", 390, 844, 2, true, "en"},
		{"phone", 390, 844, 2, true, "ja"},
	} {
		name := tc.device + "-" + tc.lang
		t.Run(name, func(t *testing.T) {
			s := newScenario(t, browser)
			s.emulateScreen(tc.width, tc.height, tc.scale, tc.mobile)
			s.call("set Accept-Language", func() error {
				_, err := chromedp.Call(s.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": tc.lang}})
				return err
			})
			checkFits := func(when string) {
				t.Helper()
				l := eval[layout](s, readLayout)
				if l.InnerWidth != float64(tc.width) || l.ScrollWidth > l.InnerWidth {
					t.Errorf("%s: the page scrolls sideways or zooms out: scrollWidth %v, innerWidth %v, want %d; overflowing: %q",
						when, l.ScrollWidth, l.InnerWidth, tc.width, l.Overflowing)
				}
			}

			s.open("/lab/race")
			if got := eval[string](s, `document.querySelector("h1").textContent`); got != translate(tc.lang, "race.heading") {
				t.Errorf("heading %q, want %q", got, translate(tc.lang, "race.heading"))
			}
			checkFits("before the run")
			s.click(`form.lab-run button[type="submit"]`, "/lab/race")
			sides := eval[[]raceShown](s, readRaceSides)
			if len(sides) != 2 {
				t.Fatalf("the page shows %d sides, want 2", len(sides))
			}
			for i, side := range sides {
				if side.Sent != raceDefaultWriters || side.Survived > side.Sent || side.Lost != side.Sent-side.Survived || side.Steps == 0 {
					t.Errorf("side %d shows %+v, want %d sent, lost = sent - survived, and a timeline", i, side, raceDefaultWriters)
				}
			}
			if sides[1].Survived != raceDefaultWriters {
				t.Errorf("the locked side shows %d of %d increments kept", sides[1].Survived, raceDefaultWriters)
			}
			t.Logf("stock kept %d of %d", sides[0].Survived, sides[0].Sent)
			checkFits("after the run")
			raceScreenshot(t, s, "racelab-"+name+".png")

			// The number of writers comes from the form.
			eval[chromedp.Void](s, `document.querySelector('input[name="writers"]').value = ""`)
			s.fill(`input[name="writers"]`, "12")
			s.click(`form.lab-run button[type="submit"]`, "/lab/race")
			if sides := eval[[]raceShown](s, readRaceSides); len(sides) != 2 || sides[0].Sent != 12 || sides[1].Survived != 12 {
				t.Errorf("with 12 writers the page shows %+v", sides)
			}
			if left := labKeysLeftIn(t, s); len(left) != 0 {
				t.Errorf("the lab left %q in Redis", left)
			}
		})
	}
}

// labKeysLeftIn lists the lab keys of the scenario's app still in Redis.
func labKeysLeftIn(t *testing.T, s *scenario) []string {
	t.Helper()
	return labKeysLeft(t, &testEnv{rdb: s.rdb, cfg: s.cfg})
}

// raceScreenshot saves the whole page as file in the test's temporary folder
// and, when SCREENSHOT_DIR is set, there too.
func raceScreenshot(t *testing.T, s *scenario, file string) {
	t.Helper()
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{t.TempDir()}
	if dir := os.Getenv("SCREENSHOT_DIR"); dir != "" {
		dirs = append(dirs, dir)
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(fmt.Errorf("write the screenshot: %w", err))
		}
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}
}
