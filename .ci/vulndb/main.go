// Command vulndb-index turns a folder of OSV files, one <ID>.json per
// advisory (the data/osv folder of the golang.org/x/vulndb module), into the
// v1 Go vulnerability database layout that govulncheck reads with
// -db file://DIR:
//
//	index/db.json       {"modified": time}
//	index/modules.json  [{"path": module, "vulns": [{"id": ID, "fixed": version}]}]
//	index/vulns.json    [{"id": ID}]
//	ID/<ID>.json        the OSV entry itself
//
// It stands in for x/vulndb's cmd/indexdb, whose dependencies are far too
// heavy to download in CI. Only what govulncheck v1.9.0 reads is written
// (see golang.org/x/vuln/internal/client): db.json (its "modified" is only
// reported back as the database date), modules.json (the module path and,
// per advisory, the ID and the version that fixes it, used to skip entries
// for module versions that are not affected) and the ID files. govulncheck
// never reads vulns.json; it is written, IDs only, so that the layout is
// complete. The per-entry "modified" times indexdb also writes are left out:
// govulncheck does not use them, and in x/vulndb's data they are all zero.
//
// Usage:
//
//	go run . -vulns DIR -out DIR [-modified RFC3339]
//
// -out must not exist yet. db.json's "modified" is the newest "modified" of
// the entries; when that is the zero time (as in x/vulndb's data), -modified
// is used instead if given.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry holds the fields of an OSV entry that the index is built from.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Affected []struct {
		Package struct {
			Name string `json:"name"` // the module path ("stdlib", "toolchain" for Go itself)
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

// The index files, as govulncheck's client decodes them.
type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type moduleVuln struct {
	ID    string `json:"id"`
	Fixed string `json:"fixed,omitempty"`
}

type vulnMeta struct {
	ID string `json:"id"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("vulndb-index: ")
	vulnsDir := flag.String("vulns", "", "folder of OSV files, one <ID>.json per advisory")
	outDir := flag.String("out", "", "folder to write the database to; must not exist yet")
	fallback := flag.String("modified", "", "db.json's modified time (RFC 3339) if every entry's is zero")
	flag.Parse()
	if *vulnsDir == "" || *outDir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var fallbackTime time.Time
	if *fallback != "" {
		t, err := time.Parse(time.RFC3339, *fallback)
		if err != nil {
			log.Fatalf("-modified: %v", err)
		}
		fallbackTime = t.UTC()
	}
	if err := build(*vulnsDir, *outDir, fallbackTime); err != nil {
		log.Fatal(err)
	}
}

func build(vulnsDir, outDir string, fallback time.Time) error {
	files, err := os.ReadDir(vulnsDir)
	if err != nil {
		return err
	}
	if err := os.Mkdir(outDir, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.Mkdir(filepath.Join(outDir, d), 0o755); err != nil {
			return err
		}
	}

	var db dbMeta
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, f := range files {
		if f.IsDir() || filepath.Ext(f.Name()) != ".json" {
			continue
		}
		path := filepath.Join(vulnsDir, f.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if e.ID == "" || f.Name() != e.ID+".json" {
			return fmt.Errorf("%s: file name does not match the entry's id %q", path, e.ID)
		}
		// IDs are unique: the file names are.
		vulns = append(vulns, vulnMeta{ID: e.ID})
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		// One record per "affected" item, as indexdb writes them: an entry
		// may list the same module more than once, with different ranges.
		for _, a := range e.Affected {
			fixed, err := nonSupersededFix(a.Ranges)
			if err != nil {
				return fmt.Errorf("%s: module %s: %v", path, a.Package.Name, err)
			}
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Fixed: fixed})
		}
		// The entry itself, unchanged but without the indentation.
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if err := os.WriteFile(filepath.Join(outDir, "ID", f.Name()), compact.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if len(vulns) == 0 {
		return fmt.Errorf("%s: no OSV files", vulnsDir)
	}
	if db.Modified.IsZero() {
		db.Modified = fallback
	}

	// Sorted by module path, then by ID, like indexdb's output.
	moduleList := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		moduleList = append(moduleList, m)
	}
	slices.SortFunc(moduleList, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vulnMeta) int { return strings.Compare(a.ID, b.ID) })

	for name, v := range map[string]any{"db.json": db, "modules.json": moduleList, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	log.Printf("%d entries, %d modules, modified %s -> %s",
		len(vulns), len(moduleList), db.Modified.Format(time.RFC3339), outDir)
	return nil
}

// nonSupersededFix returns the latest version in ranges that fixes the
// vulnerability and after which it is not introduced again, or "" if there
// is none. It mirrors govulncheck's semver.NonSupersededFix (and indexdb's
// osvutils.LatestFixed): govulncheck skips an advisory for a module version
// at or above this version without reading the entry.
func nonSupersededFix(ranges []osvRange) (string, error) {
	latest := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			if less, err := semverLess(latest, e.Fixed); err != nil {
				return "", err
			} else if less {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced == "" || e.Introduced == "0" {
				continue
			}
			if less, err := semverLess(latest, e.Introduced); err != nil {
				return "", err
			} else if less {
				latest = ""
				break
			}
		}
	}
	return latest, nil
}

// semverLess reports whether semantic version a is lower than b, with the
// precedence of golang.org/x/mod/semver.Compare. Versions may have a "v" or
// "go" prefix or none; "" stands for "no version yet" and is lower than any
// version. Anything else that is not MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]
// is an error rather than being guessed at.
func semverLess(a, b string) (bool, error) {
	if b == "" {
		return false, nil
	}
	pb, err := parseSemver(b)
	if err != nil {
		return false, err
	}
	if a == "" {
		return true, nil
	}
	pa, err := parseSemver(a)
	if err != nil {
		return false, err
	}
	for i := range 3 {
		if c := compareNumbers(pa.core[i], pb.core[i]); c != 0 {
			return c < 0, nil
		}
	}
	return comparePrerelease(pa.pre, pb.pre) < 0, nil
}

type semver struct {
	core [3]string // major, minor, patch: decimal, no leading zeros
	pre  []string  // prerelease identifiers; nil for a release
}

func parseSemver(v string) (semver, error) {
	bad := fmt.Errorf("version %q is not MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]", v)
	s := strings.TrimPrefix(strings.TrimPrefix(v, "v"), "go")
	s, build, hasBuild := strings.Cut(s, "+")
	s, pre, hasPre := strings.Cut(s, "-")
	var p semver
	core := strings.Split(s, ".")
	if len(core) != 3 {
		return p, bad
	}
	for i, n := range core {
		if !isNumber(n) {
			return p, bad
		}
		p.core[i] = n
	}
	if hasPre {
		p.pre = strings.Split(pre, ".")
		for _, id := range p.pre {
			if !isIdentifier(id) || isDigits(id) && !isNumber(id) {
				return p, bad
			}
		}
	}
	if hasBuild {
		for _, id := range strings.Split(build, ".") {
			if !isIdentifier(id) {
				return p, bad
			}
		}
	}
	return p, nil
}

// comparePrerelease orders prerelease identifier lists: a release (nil) is
// higher than any prerelease; otherwise identifiers are compared left to
// right, numeric ones by value and lower than alphanumeric ones, which
// compare in ASCII order; a list that is a prefix of the other is lower.
func comparePrerelease(a, b []string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xn, yn := isDigits(x), isDigits(y)
		var c int
		switch {
		case xn && yn:
			c = compareNumbers(x, y)
		case xn:
			c = -1
		case yn:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// compareNumbers compares decimal numbers without leading zeros, of any size.
func compareNumbers(x, y string) int {
	if len(x) != len(y) {
		return len(x) - len(y)
	}
	return strings.Compare(x, y)
}

func isNumber(s string) bool { return isDigits(s) && (s == "0" || s[0] != '0') }

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isIdentifier(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return false
		}
	}
	return s != ""
}
