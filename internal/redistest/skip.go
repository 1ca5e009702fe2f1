package redistest

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
)

// A test that cannot run here (no redis-server, no Chromium, no Node, or
// -short) skips with a message, but `go test ./...` shows skipped tests
// only with -v. Skip counts the reasons, and Main prints them after the
// package's tests, so that a plain run says what it left out and what to
// install.

var skipped = struct {
	sync.Mutex
	why map[string]int
}{why: map[string]int{}}

// Skip skips t, saying why, and counts the reason for Main's summary.
func Skip(t testing.TB, why string) {
	t.Helper()
	skipped.Lock()
	skipped.why[why]++
	skipped.Unlock()
	t.Skip(why)
}

// Main runs a package's tests (the body of its TestMain) and then prints
// how many tests each reason skipped. go test keeps a passing package's
// output to itself, so the summary goes to the terminal when there is one
// (/dev/tty), else to standard output.
func Main(m *testing.M) int {
	code := m.Run()
	skipped.Lock()
	defer skipped.Unlock()
	if len(skipped.why) == 0 {
		return code
	}
	out := os.Stdout
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		out = tty
	}
	reasons := make([]string, 0, len(skipped.why))
	for why := range skipped.why {
		reasons = append(reasons, why)
	}
	slices.Sort(reasons)
	for _, why := range reasons {
		fmt.Fprintf(out, "%s: skipped %d test(s): %s\n", packageName(), skipped.why[why], why)
	}
	return code
}

// packageName is the test binary's package, as go test names it.
func packageName() string {
	name := os.Args[0]
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			name = name[i+1:]
			break
		}
	}
	if n := len(name) - len(".test"); n > 0 && name[n:] == ".test" {
		name = name[:n]
	}
	return name
}
