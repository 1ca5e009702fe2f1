// Package htmlexec runs html/template templates faster than html/template
// does, with the same output.
//
// html/template decides how each action must be escaped, and rewrites the
// parse tree so that every action ends in the escaper it needs. htmlexec
// keeps that work: it lets html/template escape the templates, then
// compiles the escaped trees once into Go closures. At run time a field is
// looked up by index (cached per type) instead of by name, the common
// escapers write straight into the output buffer, and the built-in
// functions run without reflect.Call. Text/template spends most of a page's
// time on exactly those steps.
//
// It runs a subset of the language, more than this app's templates use:
// fields, methods and string-keyed map entries; $, but no other variables;
// if, with, and range over slices, arrays, integers and maps with string
// or integer keys; template calls; the comparison functions, and, or, not,
// len, print, printf, println and slice; and html/template's escapers of
// HTML text, quoted attribute values, RCDATA and URLs. Compile rejects a
// template that needs anything else (a variable, index, a script or style
// context), so such a template fails at start; what depends on the data's
// types (a range over a channel, or over a map keyed by structs or
// bools) fails when it runs, with an error. The tests compare its output
// with html/template's, and the app's tests render every page both ways.
package htmlexec

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"reflect"
	"sort"
	"text/template/parse"
)

// Program is a compiled template, safe for concurrent use.
type Program struct {
	name string
	root *compiled
}

// Execute runs the program with data as dot (and $), writing to w.
func (p *Program) Execute(w *bytes.Buffer, data any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			// Methods and functions are the app's own; a panic in one is
			// an error of this page, as text/template reports it.
			err = fmt.Errorf("htmlexec: %s: panic: %v", p.name, r)
		}
	}()
	root := reflect.ValueOf(data)
	s := &state{w: w, root: root}
	return p.root.body(s, root)
}

// compiled is one named template; body is set once its tree is compiled,
// which lets templates call each other.
type compiled struct {
	name string
	body execFn
}

type state struct {
	w     *bytes.Buffer
	root  reflect.Value // $ of the template being run
	depth int
}

// maxDepth bounds nested template calls, as text/template does.
const maxDepth = 100000

type (
	execFn func(s *state, dot reflect.Value) error
	// evalFn evaluates a command; final is the value piped in from the
	// command before, if the command is not the first of its pipeline.
	evalFn func(s *state, dot, final reflect.Value) (reflect.Value, error)
)

// Compile compiles the template name of the html/template set t and every
// template it calls. funcs must be the functions t was parsed with. Compile
// escapes t first if it has not run yet, as Execute would.
func Compile(t *template.Template, name string, funcs template.FuncMap) (*Program, error) {
	tt := t.Lookup(name)
	if tt == nil {
		return nil, fmt.Errorf("htmlexec: no template %q", name)
	}
	// html/template escapes a template and those it calls the first time
	// it runs one. Running it into a writer that refuses the first write
	// escapes it and then stops, before much (usually nothing) of it runs;
	// only an escaping error matters here.
	if err := t.ExecuteTemplate(refuse{}, name, nil); err != nil {
		var escapeErr *template.Error
		if errors.As(err, &escapeErr) {
			return nil, err
		}
	}
	c := &compiler{set: t, funcs: make(map[string]reflect.Value, len(funcs)), done: map[string]*compiled{}}
	for fname, fn := range funcs {
		v := reflect.ValueOf(fn)
		if v.Kind() != reflect.Func {
			return nil, fmt.Errorf("htmlexec: %s is not a function", fname)
		}
		c.funcs[fname] = v
	}
	root, err := c.template(name)
	if err != nil {
		return nil, err
	}
	return &Program{name: name, root: root}, nil
}

// refuse is a writer that takes nothing.
type refuse struct{}

func (refuse) Write([]byte) (int, error) { return 0, errors.New("htmlexec: escaping only") }

type compiler struct {
	set   *template.Template
	funcs map[string]reflect.Value
	done  map[string]*compiled
	where string // the template being compiled, for errors
}

func (c *compiler) errorf(n parse.Node, format string, args ...any) error {
	return fmt.Errorf("htmlexec: %s: %s: %s", c.where, n, fmt.Sprintf(format, args...))
}

func (c *compiler) template(name string) (*compiled, error) {
	if t, ok := c.done[name]; ok {
		return t, nil
	}
	ht := c.set.Lookup(name)
	if ht == nil || ht.Tree == nil || ht.Tree.Root == nil {
		// html/template names a template it had to escape in another
		// context with a suffix; those copies are out of reach.
		return nil, fmt.Errorf("htmlexec: template %q is not defined or was escaped for another context", name)
	}
	t := &compiled{name: name}
	c.done[name] = t
	outer := c.where
	c.where = name
	body, err := c.list(ht.Tree.Root)
	c.where = outer
	if err != nil {
		return nil, err
	}
	t.body = body
	return t, nil
}

func (c *compiler) list(l *parse.ListNode) (execFn, error) {
	if l == nil {
		return func(*state, reflect.Value) error { return nil }, nil
	}
	var steps []execFn
	var text []byte // adjacent text, merged into one write
	flush := func() {
		if len(text) > 0 {
			t := text
			steps = append(steps, func(s *state, _ reflect.Value) error { s.w.Write(t); return nil })
			text = nil
		}
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			text = append(text, n.Text...)
			continue
		case *parse.CommentNode:
			continue
		}
		flush()
		step, err := c.node(n)
		if err != nil {
			return nil, err
		}
		steps = append(steps, step)
	}
	flush()
	switch len(steps) {
	case 0:
		return func(*state, reflect.Value) error { return nil }, nil
	case 1:
		return steps[0], nil
	}
	return func(s *state, dot reflect.Value) error {
		for _, step := range steps {
			if err := step(s, dot); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func (c *compiler) node(n parse.Node) (execFn, error) {
	switch n := n.(type) {
	case *parse.ActionNode:
		return c.action(n)
	case *parse.IfNode:
		return c.branch(n.Pipe, n.List, n.ElseList, false)
	case *parse.WithNode:
		return c.branch(n.Pipe, n.List, n.ElseList, true)
	case *parse.RangeNode:
		return c.rangeOver(n)
	case *parse.TemplateNode:
		return c.call(n)
	case *parse.ListNode:
		return c.list(n)
	}
	return nil, c.errorf(n, "unsupported node")
}

// action compiles {{pipeline | escaper…}}: the pipeline's value goes
// through html/template's escapers, the last of which writes.
func (c *compiler) action(n *parse.ActionNode) (execFn, error) {
	if len(n.Pipe.Decl) > 0 {
		return nil, c.errorf(n, "variables are not supported")
	}
	cmds := n.Pipe.Cmds
	first := len(cmds)
	for first > 0 && escaperOf(cmds[first-1]) != nil {
		first--
	}
	if first == len(cmds) {
		return nil, c.errorf(n, "action without an html/template escaper")
	}
	if first == 0 {
		return nil, c.errorf(n, "action with nothing to escape")
	}
	value, err := c.commands(cmds[:first])
	if err != nil {
		return nil, err
	}
	var escapers []*escaper
	for _, cmd := range cmds[first:] {
		escapers = append(escapers, escaperOf(cmd))
	}
	last := escapers[len(escapers)-1]
	between := escapers[:len(escapers)-1]
	return func(s *state, dot reflect.Value) error {
		v, err := value(s, dot)
		if err != nil {
			return err
		}
		str, kind := stringify(v)
		for _, e := range between {
			str, kind = e.apply(str, kind), plain
		}
		return last.write(s.w, str, kind)
	}, nil
}

// branch compiles if and with.
func (c *compiler) branch(pipe *parse.PipeNode, list, elseList *parse.ListNode, with bool) (execFn, error) {
	if len(pipe.Decl) > 0 {
		return nil, c.errorf(pipe, "variables are not supported")
	}
	cond, err := c.pipeline(pipe)
	if err != nil {
		return nil, err
	}
	then, err := c.list(list)
	if err != nil {
		return nil, err
	}
	var otherwise execFn
	if elseList != nil {
		if otherwise, err = c.list(elseList); err != nil {
			return nil, err
		}
	}
	return func(s *state, dot reflect.Value) error {
		v, err := cond(s, dot)
		if err != nil {
			return err
		}
		truth, ok := isTrue(indirectInterface(v))
		if !ok {
			return fmt.Errorf("htmlexec: if/with can't use %v", v)
		}
		switch {
		case truth && with:
			return then(s, v)
		case truth:
			return then(s, dot)
		case otherwise != nil:
			return otherwise(s, dot)
		}
		return nil
	}, nil
}

func (c *compiler) rangeOver(n *parse.RangeNode) (execFn, error) {
	if len(n.Pipe.Decl) > 0 {
		return nil, c.errorf(n, "range variables are not supported")
	}
	over, err := c.pipeline(n.Pipe)
	if err != nil {
		return nil, err
	}
	body, err := c.list(n.List)
	if err != nil {
		return nil, err
	}
	var otherwise execFn
	if n.ElseList != nil {
		if otherwise, err = c.list(n.ElseList); err != nil {
			return nil, err
		}
	}
	return func(s *state, dot reflect.Value) error {
		v, err := over(s, dot)
		if err != nil {
			return err
		}
		v, _ = indirect(v)
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				if err := body(s, v.Index(i)); err != nil {
					return err
				}
			}
			if v.Len() > 0 {
				return nil
			}
		case reflect.Map:
			keys, err := sortedKeys(v)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := body(s, v.MapIndex(k)); err != nil {
					return err
				}
			}
			if len(keys) > 0 {
				return nil
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			for i := range v.Int() {
				if err := body(s, reflect.ValueOf(i).Convert(v.Type())); err != nil {
					return err
				}
			}
			if v.Int() > 0 {
				return nil
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			for i := range v.Uint() {
				if err := body(s, reflect.ValueOf(i).Convert(v.Type())); err != nil {
					return err
				}
			}
			if v.Uint() > 0 {
				return nil
			}
		case reflect.Invalid: // a nil value: nothing to range over
		default:
			return fmt.Errorf("htmlexec: range over %s is not supported", v.Type())
		}
		if otherwise != nil {
			return otherwise(s, dot)
		}
		return nil
	}, nil
}

// call compiles {{template "name" pipeline}}: the pipeline's value is the
// called template's dot and $.
func (c *compiler) call(n *parse.TemplateNode) (execFn, error) {
	callee, err := c.template(n.Name)
	if err != nil {
		return nil, err
	}
	var arg func(*state, reflect.Value) (reflect.Value, error)
	if n.Pipe != nil {
		if arg, err = c.pipeline(n.Pipe); err != nil {
			return nil, err
		}
	}
	return func(s *state, dot reflect.Value) error {
		var v reflect.Value
		if arg != nil {
			var err error
			if v, err = arg(s, dot); err != nil {
				return err
			}
		}
		if s.depth >= maxDepth {
			return fmt.Errorf("htmlexec: template calls nested deeper than %d", maxDepth)
		}
		// No variables pass into a template: only its dot, which is $.
		root := s.root
		s.root, s.depth = v, s.depth+1
		err := callee.body(s, v)
		s.root, s.depth = root, s.depth-1
		return err
	}, nil
}

// pipeline compiles a pipeline whose value is used, not printed.
func (c *compiler) pipeline(p *parse.PipeNode) (func(*state, reflect.Value) (reflect.Value, error), error) {
	if len(p.Decl) > 0 {
		return nil, c.errorf(p, "variables are not supported")
	}
	run, err := c.commands(p.Cmds)
	if err != nil {
		return nil, err
	}
	return func(s *state, dot reflect.Value) (reflect.Value, error) {
		v, err := run(s, dot)
		if err != nil {
			return v, err
		}
		// As text/template does: a value held in an empty interface is
		// taken out of it.
		if v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
			v = reflect.ValueOf(v.Interface())
		}
		return v, nil
	}, nil
}

func (c *compiler) commands(cmds []*parse.CommandNode) (func(*state, reflect.Value) (reflect.Value, error), error) {
	steps := make([]evalFn, len(cmds))
	for i, cmd := range cmds {
		var err error
		if steps[i], err = c.command(cmd, i > 0); err != nil {
			return nil, err
		}
	}
	if len(steps) == 1 {
		step := steps[0]
		return func(s *state, dot reflect.Value) (reflect.Value, error) { return step(s, dot, reflect.Value{}) }, nil
	}
	return func(s *state, dot reflect.Value) (reflect.Value, error) {
		var v reflect.Value
		for _, step := range steps {
			var err error
			if v, err = step(s, dot, v); err != nil {
				return v, err
			}
			// As text/template does after every command: a value held
			// in an empty interface is taken out of it.
			if v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
				v = reflect.ValueOf(v.Interface())
			}
		}
		return v, nil
	}, nil
}

// command compiles one command; piped says it gets the value of the
// command before as its last argument.
func (c *compiler) command(cmd *parse.CommandNode, piped bool) (evalFn, error) {
	switch head := cmd.Args[0].(type) {
	case *parse.FieldNode:
		return c.fieldChain(cmd, nil, head.Ident, cmd.Args[1:], piped)
	case *parse.VariableNode:
		if head.Ident[0] != "$" {
			return nil, c.errorf(cmd, "variables other than $ are not supported")
		}
		if len(head.Ident) > 1 {
			return c.fieldChain(cmd, dollar, head.Ident[1:], cmd.Args[1:], piped)
		}
	case *parse.IdentifierNode:
		return c.function(cmd, head.Ident, cmd.Args[1:], piped)
	}
	if _, ok := cmd.Args[0].(*parse.NilNode); ok {
		return nil, c.errorf(cmd, "nil is not a command")
	}
	if len(cmd.Args) > 1 || piped {
		return nil, c.errorf(cmd, "can't give an argument to a non-function")
	}
	value, err := c.operand(cmd.Args[0])
	if err != nil {
		return nil, err
	}
	return func(s *state, dot, _ reflect.Value) (reflect.Value, error) { return value(s, dot) }, nil
}

// operand compiles an argument, evaluated as text/template evaluates an
// argument of type any (or reflect.Value, for its built-ins).
func (c *compiler) operand(n parse.Node) (func(*state, reflect.Value) (reflect.Value, error), error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return func(_ *state, dot reflect.Value) (reflect.Value, error) { return dot, nil }, nil
	case *parse.VariableNode:
		if n.Ident[0] != "$" {
			return nil, c.errorf(n, "variables other than $ are not supported")
		}
		if len(n.Ident) == 1 {
			return dollar, nil
		}
		step, err := c.fieldChain(n, dollar, n.Ident[1:], nil, false)
		if err != nil {
			return nil, err
		}
		return func(s *state, dot reflect.Value) (reflect.Value, error) { return step(s, dot, reflect.Value{}) }, nil
	case *parse.FieldNode:
		step, err := c.fieldChain(n, nil, n.Ident, nil, false)
		if err != nil {
			return nil, err
		}
		return func(s *state, dot reflect.Value) (reflect.Value, error) { return step(s, dot, reflect.Value{}) }, nil
	case *parse.PipeNode:
		return c.pipeline(n)
	case *parse.IdentifierNode:
		step, err := c.function(n, n.Ident, nil, false)
		if err != nil {
			return nil, err
		}
		return func(s *state, dot reflect.Value) (reflect.Value, error) { return step(s, dot, reflect.Value{}) }, nil
	case *parse.StringNode:
		v := reflect.ValueOf(n.Text)
		return constant(v), nil
	case *parse.BoolNode:
		return constant(reflect.ValueOf(n.True)), nil
	case *parse.NumberNode:
		v, err := idealConstant(n)
		if err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		return constant(v), nil
	case *parse.NilNode: // an argument: no value, which built-ins compare and print
		return constant(reflect.Value{}), nil
	}
	return nil, c.errorf(n, "unsupported operand")
}

// dollar is $: the data the template (or the template call) was given.
func dollar(s *state, _ reflect.Value) (reflect.Value, error) { return s.root, nil }

func constant(v reflect.Value) func(*state, reflect.Value) (reflect.Value, error) {
	return func(*state, reflect.Value) (reflect.Value, error) { return v, nil }
}

// sortedKeys are a map's keys in order, as text/template ranges over them:
// maps with keys of a basic kind only.
func sortedKeys(m reflect.Value) ([]reflect.Value, error) {
	keys := m.MapKeys()
	var less func(a, b reflect.Value) bool
	switch m.Type().Key().Kind() {
	case reflect.String:
		less = func(a, b reflect.Value) bool { return a.String() < b.String() }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		less = func(a, b reflect.Value) bool { return a.Int() < b.Int() }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		less = func(a, b reflect.Value) bool { return a.Uint() < b.Uint() }
	default:
		return nil, fmt.Errorf("htmlexec: range over a map keyed by %s is not supported", m.Type().Key())
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys, nil
}
