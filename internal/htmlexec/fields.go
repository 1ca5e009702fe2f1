package htmlexec

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"text/template/parse"
)

// A field step of a chain such as .Session.Cookie.Name: a method or a
// struct field, looked up by name once per receiver type and then by index.
type field struct {
	name  string
	cache atomic.Pointer[fieldInfo] // of the last receiver type seen
}

type fieldInfo struct {
	typ    reflect.Type // the receiver's type as looked up (*T when addressable)
	method int          // index in typ's method set, or -1 for a field
	index  []int        // of the struct field
	err    error        // why the name cannot be evaluated on typ
}

// argument is a method's or a function's argument: a literal, converted to
// the parameter's type, or a value computed when the call runs.
type argument struct {
	node    parse.Node
	literal bool
	ideal   reflect.Value // the literal as a value of type any, if valid
	eval    func(*state, reflect.Value) (reflect.Value, error)
}

func (c *compiler) arguments(nodes []parse.Node) ([]argument, error) {
	args := make([]argument, len(nodes))
	for i, n := range nodes {
		args[i].node = n
		switch n.(type) {
		case *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
			args[i].literal = true
			args[i].ideal, _ = literal(n, anyType)
			continue
		}
		eval, err := c.operand(n)
		if err != nil {
			return nil, err
		}
		args[i].eval = eval
	}
	return args, nil
}

// fieldChain compiles .A.B.C (or $.A.B.C, with source giving $): every step
// but the last is a field or a method without arguments; the last takes
// args and the piped value, if any.
func (c *compiler) fieldChain(n parse.Node, source func(*state, reflect.Value) (reflect.Value, error), idents []string, argNodes []parse.Node, piped bool) (evalFn, error) {
	steps := make([]*field, len(idents))
	for i, name := range idents {
		steps[i] = &field{name: name}
	}
	args, err := c.arguments(argNodes)
	if err != nil {
		return nil, err
	}
	last := steps[len(steps)-1]
	steps = steps[:len(steps)-1]
	return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
		recv := dot
		if source != nil {
			var err error
			if recv, err = source(s, dot); err != nil {
				return recv, err
			}
		}
		for _, f := range steps {
			var err error
			if recv, err = f.eval(s, dot, recv, nil, reflect.Value{}, false); err != nil {
				return recv, err
			}
		}
		return last.eval(s, dot, recv, args, final, piped)
	}, nil
}

// eval evaluates the step on recv as text/template's evalField does.
func (f *field) eval(s *state, dot, recv reflect.Value, args []argument, final reflect.Value, piped bool) (reflect.Value, error) {
	if !recv.IsValid() {
		return reflect.Value{}, nil // text/template's default: no value
	}
	typ := recv.Type()
	recv, isNil := indirect(recv)
	if recv.Kind() == reflect.Interface && isNil {
		return reflect.Value{}, fmt.Errorf("htmlexec: nil pointer evaluating %s.%s", typ, f.name)
	}
	// A method may have a pointer receiver: look on *T where T is
	// addressable, as text/template does.
	ptr := recv
	if ptr.Kind() != reflect.Interface && ptr.Kind() != reflect.Pointer && ptr.CanAddr() {
		ptr = ptr.Addr()
	}
	info := f.info(ptr.Type())
	if info.method >= 0 {
		return callValue(s, dot, ptr.Method(info.method), f.name, args, final, piped)
	}
	hasArgs := len(args) > 0 || piped
	switch recv.Kind() {
	case reflect.Pointer: // a nil one: only a method could take it
		return reflect.Value{}, fmt.Errorf("htmlexec: nil pointer evaluating %s.%s", typ, f.name)
	case reflect.Map:
		return f.mapValue(recv, hasArgs)
	}
	if info.err != nil {
		return reflect.Value{}, info.err
	}
	if hasArgs {
		return reflect.Value{}, fmt.Errorf("htmlexec: %s has arguments but cannot be invoked as function", f.name)
	}
	if len(info.index) == 1 {
		return recv.Field(info.index[0]), nil // not promoted: no embedded pointer to check
	}
	return recv.FieldByIndexErr(info.index)
}

// mapValue is .name of a map keyed by string: the value, or no value when
// the key is missing, as text/template's default has it.
func (f *field) mapValue(m reflect.Value, hasArgs bool) (reflect.Value, error) {
	key := reflect.ValueOf(f.name)
	if !key.Type().AssignableTo(m.Type().Key()) {
		return reflect.Value{}, fmt.Errorf("htmlexec: can't evaluate field %s in type %s", f.name, m.Type())
	}
	if hasArgs {
		return reflect.Value{}, fmt.Errorf("htmlexec: %s is not a method but has arguments", f.name)
	}
	return m.MapIndex(key), nil
}

// info is the step's lookup on receivers of type t: T, or *T when the
// receiver is addressable or a nil pointer (whose fields are those of T).
func (f *field) info(t reflect.Type) *fieldInfo {
	if info := f.cache.Load(); info != nil && info.typ == t {
		return info
	}
	info := &fieldInfo{typ: t, method: -1}
	if m, ok := t.MethodByName(f.name); ok {
		info.method = m.Index
	} else {
		st := t
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() == reflect.Struct {
			sf, ok := st.FieldByName(f.name)
			switch {
			case !ok:
				info.err = fmt.Errorf("htmlexec: can't evaluate field %s in type %s", f.name, t)
			case !sf.IsExported():
				info.err = fmt.Errorf("htmlexec: %s is an unexported field of struct type %s", f.name, t)
			default:
				info.index = sf.Index
			}
		} else {
			info.err = fmt.Errorf("htmlexec: can't evaluate field %s in type %s", f.name, t)
		}
	}
	f.cache.Store(info)
	return info
}

// callValue calls fn, a method or a function, with args converted to its
// parameters' types and the piped value last.
func callValue(s *state, dot, fn reflect.Value, name string, args []argument, final reflect.Value, piped bool) (reflect.Value, error) {
	typ := fn.Type()
	n := len(args)
	if piped {
		n++
	}
	if err := checkSignature(typ, name, n); err != nil {
		return reflect.Value{}, fmt.Errorf("htmlexec: %w", err)
	}
	paramType := func(i int) reflect.Type {
		if typ.IsVariadic() && i >= typ.NumIn()-1 {
			return typ.In(typ.NumIn() - 1).Elem()
		}
		return typ.In(i)
	}
	var small [4]reflect.Value
	argv := small[:0]
	for i, a := range args {
		v, err := a.value(s, dot, paramType(i))
		if err != nil {
			return reflect.Value{}, fmt.Errorf("htmlexec: %s: %w", name, err)
		}
		argv = append(argv, v)
	}
	if piped {
		v, err := validate(final, paramType(len(args)))
		if err != nil {
			return reflect.Value{}, fmt.Errorf("htmlexec: %s: %w", name, err)
		}
		argv = append(argv, v)
	}
	out := fn.Call(argv)
	if len(out) == 2 && !out[1].IsNil() {
		return out[0], fmt.Errorf("htmlexec: error calling %s: %w", name, out[1].Interface().(error))
	}
	return out[0], nil
}

var errorType = reflect.TypeFor[error]()

// checkSignature reports whether a function of type typ can be called with
// n arguments from a template: it must take them and return one value, or
// a value and an error.
func checkSignature(typ reflect.Type, name string, n int) error {
	switch {
	case typ.IsVariadic() && n < typ.NumIn()-1:
		return fmt.Errorf("wrong number of args for %s: want at least %d got %d", name, typ.NumIn()-1, n)
	case !typ.IsVariadic() && n != typ.NumIn():
		return fmt.Errorf("wrong number of args for %s: want %d got %d", name, typ.NumIn(), n)
	case typ.NumOut() == 1, typ.NumOut() == 2 && typ.Out(1) == errorType:
		return nil
	}
	return fmt.Errorf("%s must return one value, or a value and an error", name)
}

// value is the argument as a value of type typ.
func (a argument) value(s *state, dot reflect.Value, typ reflect.Type) (reflect.Value, error) {
	if !a.literal {
		v, err := a.eval(s, dot)
		if err != nil {
			return v, err
		}
		return validate(v, typ)
	}
	if a.ideal.IsValid() && a.ideal.Type() == typ {
		return a.ideal, nil // the usual case, a string for a string
	}
	return literal(a.node, typ)
}

var anyType = reflect.TypeFor[any]()

// literal converts a constant of the template to typ, as text/template's
// evalArg does.
func literal(n parse.Node, typ reflect.Type) (reflect.Value, error) {
	if typ.Kind() == reflect.Interface && typ.NumMethod() == 0 {
		switch n := n.(type) {
		case *parse.StringNode:
			return reflect.ValueOf(n.Text), nil
		case *parse.BoolNode:
			return reflect.ValueOf(n.True), nil
		case *parse.NumberNode:
			return idealConstant(n)
		case *parse.NilNode:
			return reflect.Zero(typ), nil
		}
		return reflect.Value{}, fmt.Errorf("can't handle %s for arg of type %s", n, typ)
	}
	v := reflect.New(typ).Elem()
	switch n := n.(type) {
	case *parse.StringNode:
		if typ.Kind() == reflect.String {
			v.SetString(n.Text)
			return v, nil
		}
	case *parse.BoolNode:
		if typ.Kind() == reflect.Bool {
			v.SetBool(n.True)
			return v, nil
		}
	case *parse.NumberNode:
		switch typ.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if n.IsInt { // truncated to the type, as text/template does
				v.SetInt(n.Int64)
				return v, nil
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			if n.IsUint {
				v.SetUint(n.Uint64)
				return v, nil
			}
		case reflect.Float32, reflect.Float64:
			if n.IsFloat {
				v.SetFloat(n.Float64)
				return v, nil
			}
		}
	case *parse.NilNode:
		switch typ.Kind() {
		case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
			return v, nil
		}
	}
	return reflect.Value{}, fmt.Errorf("can't handle %s for arg of type %s", n, typ)
}

// validate makes v fit a parameter of type typ, as text/template's
// validateType does.
func validate(v reflect.Value, typ reflect.Type) (reflect.Value, error) {
	if !v.IsValid() {
		switch typ.Kind() {
		case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
			return reflect.Zero(typ), nil
		}
		return v, fmt.Errorf("invalid value; expected %s", typ)
	}
	if v.Type().AssignableTo(typ) {
		return v, nil
	}
	if v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
		if v.Type().AssignableTo(typ) {
			return v, nil
		}
	}
	switch {
	case v.Kind() == reflect.Pointer && v.Type().Elem().AssignableTo(typ):
		if v.IsNil() {
			return v, fmt.Errorf("dereference of nil pointer of type %s", typ)
		}
		return v.Elem(), nil
	case reflect.PointerTo(v.Type()).AssignableTo(typ) && v.CanAddr():
		return v.Addr(), nil
	}
	return v, fmt.Errorf("wrong type for value; expected %s; got %s", typ, v.Type())
}

// indirect follows pointers and interfaces to a value, stopping at nil.
func indirect(v reflect.Value) (reflect.Value, bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

// indirectInterface takes a value out of its interface, if it is in one.
func indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

// isHexInt reports a hexadecimal integer: 0x1E is one, 0x1p-2 a float.
func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

// idealConstant is a number of the template as a value of type any: an
// int, or a float64 when it is written as one.
func idealConstant(n *parse.NumberNode) (reflect.Value, error) {
	switch {
	case n.IsComplex:
		return reflect.ValueOf(n.Complex128), nil
	case n.IsFloat && strings.ContainsAny(n.Text, ".eEpP") && !isHexInt(n.Text) && !strings.HasPrefix(n.Text, "'"):
		return reflect.ValueOf(n.Float64), nil
	case n.IsInt && int64(int(n.Int64)) == n.Int64:
		return reflect.ValueOf(int(n.Int64)), nil
	}
	return reflect.Value{}, fmt.Errorf("%s overflows int", n.Text)
}

// isTrue is text/template's truth: not the zero value of its type.
func isTrue(v reflect.Value) (truth, ok bool) {
	if !v.IsValid() {
		return false, true
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0, true
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		return !v.IsNil(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0, true
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0, true
	case reflect.Struct:
		return true, true
	}
	return false, false
}
