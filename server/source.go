package server

// The tutorial page shows, beside each step, the Go code that does the step
// here. That code is cut out of this binary's own source, which main.go
// embeds at build time, once at start: the page cannot show code that is
// not what runs, and a step naming a function that is gone stops the start.

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"regexp"
	"strings"
)

// sourceCode is a piece of Go (or go.mod) source the tutorial shows: a
// function with its doc comment, or a whole file.
type sourceCode struct {
	goRef
	Text      string
	FirstLine int // where Text starts and ends in File, counted from 1
	LastLine  int
}

// Lines is how many lines Text has.
func (c sourceCode) Lines() int { return c.LastLine - c.FirstLine + 1 }

// loadSources reads from fsys, the module's folder, every file and
// function that steps name. Every problem is reported at once: a file that
// is not embedded, a function that does not exist, a malformed reference.
func loadSources(fsys fs.FS, steps []tutorialStep) (map[goRef]sourceCode, error) {
	if fsys == nil {
		return nil, errors.New("no source files: the tutorial shows the app's own code")
	}
	files := map[string]*goFile{}
	codes := map[goRef]sourceCode{}
	var errs []error
	for _, s := range steps {
		for _, ref := range s.Go {
			if _, done := codes[ref]; done {
				continue
			}
			code, err := loadRef(fsys, files, ref)
			if err != nil {
				errs = append(errs, fmt.Errorf("step %s: %w", s.ID, err))
				continue
			}
			codes[ref] = code
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return codes, nil
}

// loadRef reads one reference, parsing its file once into files.
func loadRef(fsys fs.FS, files map[string]*goFile, ref goRef) (sourceCode, error) {
	f, ok := files[ref.File]
	if !ok {
		src, err := fs.ReadFile(fsys, ref.File)
		if err != nil {
			return sourceCode{}, fmt.Errorf("%s is not among the embedded source files (see main.go): %w", ref.File, err)
		}
		f = &goFile{name: ref.File, src: src}
		if strings.HasSuffix(ref.File, ".go") {
			if err := f.parse(); err != nil {
				return sourceCode{}, err
			}
		}
		files[ref.File] = f
	}
	if ref.Func == "" {
		return sourceCode{goRef: ref, Text: string(f.src), FirstLine: 1, LastLine: 1 + strings.Count(strings.TrimSuffix(string(f.src), "\n"), "\n")}, nil
	}
	if f.ast == nil {
		return sourceCode{}, fmt.Errorf("%s names function %s, but it is not a Go file", ref.File, ref.Func)
	}
	return f.function(ref.Func)
}

// goFile is a source file read, and parsed when it is Go.
type goFile struct {
	name string
	src  []byte
	fset *token.FileSet
	ast  *ast.File
}

// parse parses f's source, comments included.
func (f *goFile) parse() error {
	f.fset = token.NewFileSet()
	parsed, err := parser.ParseFile(f.fset, f.name, f.src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	f.ast = parsed
	return nil
}

// function returns the source of the function ref names, as written in the
// file (comments and layout kept), from its doc comment to its closing
// brace.
func (f *goFile) function(ref string) (sourceCode, error) {
	recv, pointer, name, err := splitFuncRef(ref)
	if err != nil {
		return sourceCode{}, err
	}
	fd := findFunc(f.ast, recv, pointer, name)
	if fd == nil {
		return sourceCode{}, fmt.Errorf("%s has no function %s", f.name, ref)
	}
	start := fd.Pos()
	if fd.Doc != nil {
		start = fd.Doc.Pos()
	}
	from, to := f.fset.Position(start), f.fset.Position(fd.End())
	return sourceCode{
		goRef:     goRef{File: f.name, Func: ref},
		Text:      string(f.src[from.Offset:to.Offset]),
		FirstLine: from.Line,
		LastLine:  to.Line,
	}, nil
}

// funcRefPattern matches a function as Go documentation names it: "name",
// "T.name" or "(*T).name" (also "(T).name").
var funcRefPattern = regexp.MustCompile(`^(?:\((\*)?([A-Za-z_]\w*)\)\.|([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)$`)

// splitFuncRef splits a function reference into the receiver's type name
// ("" for a plain function), whether the receiver is a pointer, and the
// function's name.
func splitFuncRef(ref string) (recv string, pointer bool, name string, err error) {
	m := funcRefPattern.FindStringSubmatch(ref)
	if m == nil {
		return "", false, "", fmt.Errorf("malformed function reference %q: want name, T.name or (*T).name", ref)
	}
	return m[2] + m[3], m[1] == "*", m[4], nil
}

// findFunc returns f's declaration of function name, or of method name on
// receiver type recv (a pointer receiver when pointer is set), or nil.
func findFunc(f *ast.File, recv string, pointer bool, name string) *ast.FuncDecl {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name {
			continue
		}
		if recv == "" {
			if fd.Recv == nil {
				return fd
			}
			continue
		}
		if fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		typ, isPointer := fd.Recv.List[0].Type, false
		if star, ok := typ.(*ast.StarExpr); ok {
			typ, isPointer = star.X, true
		}
		switch generic := typ.(type) { // a method of a generic type: T[K]
		case *ast.IndexExpr:
			typ = generic.X
		case *ast.IndexListExpr:
			typ = generic.X
		}
		if ident, ok := typ.(*ast.Ident); ok && ident.Name == recv && isPointer == pointer {
			return fd
		}
	}
	return nil
}
