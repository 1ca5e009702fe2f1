package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSourceFuncRefParsing(t *testing.T) {
	for _, tc := range []struct {
		ref     string
		recv    string
		pointer bool
		name    string
	}{
		{"run", "", false, "run"},
		{"JSONSerializer.Serialize", "JSONSerializer", false, "Serialize"},
		{"(*Store).Open", "Store", true, "Open"},
		{"(App).x", "App", false, "x"},
		{"_under_score", "", false, "_under_score"},
	} {
		recv, pointer, name, err := splitFuncRef(tc.ref)
		if err != nil || recv != tc.recv || pointer != tc.pointer || name != tc.name {
			t.Errorf("splitFuncRef(%q) = %q, %v, %q, %v; want %q, %v, %q", tc.ref, recv, pointer, name, err, tc.recv, tc.pointer, tc.name)
		}
	}
	for _, bad := range []string{"", "(*T.m", "a.b.c", "(**T).m", "f()", "*T.m", "(*T)", "T.", "9f"} {
		if _, _, _, err := splitFuncRef(bad); err == nil {
			t.Errorf("splitFuncRef(%q) accepted", bad)
		}
	}
}

// sampleSource has one of each kind of function a tutorial step can name.
const sampleSource = `package sample

import "fmt"

// Store is a sample.
type Store struct{ n int }

// Rotate has a pointer receiver.
//
// Its doc comment has two paragraphs.
func (s *Store) Rotate(id string) error {
	s.n++ // a comment inside stays
	return nil
}

// Name has a value receiver.
func (s Store) Name() string { return fmt.Sprint(s.n) }

func plain() {}

// Set is generic.
type Set[T comparable] map[T]bool

// Add is a method of a generic type.
func (s Set[T]) Add(v T) { s[v] = true }
`

func TestSourceFunction(t *testing.T) {
	f := &goFile{name: "sample/sample.go", src: []byte(sampleSource)}
	if err := f.parse(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref         string
		first, last int
		want        string // the whole text; "" for an error
	}{
		{"(*Store).Rotate", 8, 14, "// Rotate has a pointer receiver.\n//\n// Its doc comment has two paragraphs.\n" +
			"func (s *Store) Rotate(id string) error {\n\ts.n++ // a comment inside stays\n\treturn nil\n}"},
		{"Store.Name", 16, 17, "// Name has a value receiver.\nfunc (s Store) Name() string { return fmt.Sprint(s.n) }"},
		{"plain", 19, 19, "func plain() {}"},
		{"Set.Add", 24, 25, "// Add is a method of a generic type.\nfunc (s Set[T]) Add(v T) { s[v] = true }"},
		{"Store.Rotate", 0, 0, ""},     // the receiver is a pointer
		{"(*Store).Name", 0, 0, ""},    // the receiver is a value
		{"Rotate", 0, 0, ""},           // a method, not a plain function
		{"(*Store).Missing", 0, 0, ""}, // no such method
		{"missing", 0, 0, ""},
		{"(*Store", 0, 0, ""}, // malformed
	} {
		got, err := f.function(tc.ref)
		if tc.want == "" {
			if err == nil {
				t.Errorf("function(%q) = %q, want an error", tc.ref, got.Text)
			}
			continue
		}
		if err != nil {
			t.Errorf("function(%q): %v", tc.ref, err)
			continue
		}
		if got.Text != tc.want || got.FirstLine != tc.first || got.LastLine != tc.last || got.File != f.name || got.Func != tc.ref {
			t.Errorf("function(%q) = %s %s lines %d-%d:\n%s\nwant lines %d-%d:\n%s", tc.ref, got.File, got.Func, got.FirstLine, got.LastLine, got.Text, tc.first, tc.last, tc.want)
		}
		if got.Lines() != tc.last-tc.first+1 {
			t.Errorf("function(%q).Lines() = %d", tc.ref, got.Lines())
		}
	}
}

// TestSourceLoadReportsEveryProblem: every broken reference is reported at
// once, each naming its step and what is wrong.
func TestSourceLoadReportsEveryProblem(t *testing.T) {
	fsys := fstest.MapFS{
		"go.mod":         {Data: []byte("module sample\n\ngo 1.26\n")},
		"sample/main.go": {Data: []byte(sampleSource)},
		"broken.go":      {Data: []byte("package broken\nfunc {")},
	}
	good := []tutorialStep{{ID: "good", Go: []goRef{
		{File: "go.mod"},
		{File: "sample/main.go", Func: "(*Store).Rotate"},
		{File: "sample/main.go", Func: "plain"},
	}}}
	codes, err := loadSources(fsys, good)
	if err != nil {
		t.Fatal(err)
	}
	if mod := codes[goRef{File: "go.mod"}]; mod.Text != "module sample\n\ngo 1.26\n" || mod.FirstLine != 1 || mod.LastLine != 3 {
		t.Errorf("go.mod: %+v", mod)
	}
	if !strings.HasPrefix(codes[good[0].Go[1]].Text, "// Rotate has") {
		t.Errorf("(*Store).Rotate: %q", codes[good[0].Go[1]].Text)
	}

	bad := []tutorialStep{
		{ID: "one", Go: []goRef{{File: "sample/gone.go", Func: "f"}, {File: "sample/main.go", Func: "gone"}}},
		{ID: "two", Go: []goRef{{File: "go.mod", Func: "module"}, {File: "sample/main.go", Func: "a.b.c"}, {File: "broken.go", Func: "f"}}},
	}
	_, err = loadSources(fsys, bad)
	if err == nil {
		t.Fatal("loadSources accepted broken references")
	}
	for _, want := range []string{
		"step one: sample/gone.go is not among the embedded source files",
		"step one: sample/main.go has no function gone",
		"step two: go.mod names function module, but it is not a Go file",
		`step two: malformed function reference "a.b.c"`,
		"step two: broken.go:2:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	if _, err := loadSources(nil, good); err == nil {
		t.Error("loadSources accepted no file system")
	}
}

// TestSourceRealTutorialRefs cuts every function the tutorial names out of
// the repository, as New does at start.
func TestSourceRealTutorialRefs(t *testing.T) {
	codes, err := loadSources(os.DirFS(".."), tutorialSteps)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tutorialSteps {
		for _, ref := range s.Go {
			code := codes[ref]
			if strings.TrimSpace(code.Text) == "" || code.FirstLine < 1 || code.LastLine < code.FirstLine {
				t.Errorf("step %s: %s %s: %+v", s.ID, ref.File, ref.Func, code)
			}
			if ref.Func != "" && !strings.HasSuffix(code.Text, "}") {
				t.Errorf("step %s: %s does not end with its closing brace: %q", s.ID, ref.Func, code.Text)
			}
		}
	}
}

// TestEmbeddedSourcesAreTheTutorials reads main.go's //go:embed directives
// for sourceFiles and checks that they embed exactly the files the
// tutorial names: every one of them (or the page could not start), nothing
// else, and no test file.
func TestEmbeddedSourcesAreTheTutorials(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../main.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "sourceFiles" || spec.Doc == nil {
			return true
		}
		for _, c := range spec.Doc.List {
			if rest, ok := strings.CutPrefix(c.Text, "//go:embed "); ok {
				patterns = append(patterns, strings.Fields(rest)...)
			}
		}
		return false
	})
	if len(patterns) == 0 {
		t.Fatal("main.go has no //go:embed directive for sourceFiles")
	}
	var named []string
	for _, s := range tutorialSteps {
		for _, ref := range s.Go {
			if !slices.Contains(named, ref.File) {
				named = append(named, ref.File)
			}
		}
	}
	matches := func(pattern, file string) bool {
		ok, err := path.Match(pattern, file)
		if err != nil {
			t.Fatalf("main.go: bad pattern %q: %v", pattern, err)
		}
		return ok
	}
	for _, file := range named {
		if !slices.ContainsFunc(patterns, func(p string) bool { return matches(p, file) }) {
			t.Errorf("the tutorial shows %s, which main.go does not embed in sourceFiles", file)
		}
	}
	for _, p := range patterns {
		if strings.HasSuffix(p, "_test.go") || strings.HasPrefix(p, "all:") {
			t.Errorf("main.go embeds %q: test files are never shown", p)
		}
		if !slices.ContainsFunc(named, func(file string) bool { return matches(p, file) }) {
			t.Errorf("main.go embeds %q in sourceFiles, which the tutorial does not show", p)
		}
	}
}
