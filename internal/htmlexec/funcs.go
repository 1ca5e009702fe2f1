package htmlexec

import (
	"errors"
	"fmt"
	"reflect"
	"text/template/parse"
)

// function compiles a call of a named function: one of the Compile's
// funcs (which, as in text/template, take precedence), or a built-in.
func (c *compiler) function(n parse.Node, name string, argNodes []parse.Node, piped bool) (evalFn, error) {
	if fn, ok := c.funcs[name]; ok {
		return c.userFunction(n, name, fn, argNodes, piped)
	}
	ops := make(operands, len(argNodes))
	for i, a := range argNodes {
		var err error
		if ops[i], err = c.operand(a); err != nil {
			return nil, err
		}
	}
	count := len(ops)
	if piped {
		count++
	}
	// Each built-in below evaluates its arguments into a small array of its
	// own: written out in each, rather than shared through a helper taking
	// a func, so that the array stays on the stack.
	switch name {
	case "and", "or":
		if count == 0 {
			return nil, c.errorf(n, "%s needs arguments", name)
		}
		stopOn := name == "or" // and stops at the first false, or at the first true
		return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
			var v reflect.Value
			for i := range count {
				if i < len(ops) {
					var err error
					if v, err = ops[i](s, dot); err != nil {
						return v, err
					}
				} else {
					v = final
				}
				if truth, _ := isTrue(indirectInterface(v)); truth == stopOn {
					return v, nil
				}
			}
			return v, nil
		}, nil
	case "not":
		if count != 1 {
			return nil, c.errorf(n, "not takes one argument")
		}
		return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
			var small [1]reflect.Value
			argv, err := ops.eval(s, dot, final, piped, small[:0])
			if err != nil {
				return reflect.Value{}, err
			}
			truth, _ := isTrue(indirectInterface(argv[0]))
			return reflect.ValueOf(!truth), nil
		}, nil
	case "eq", "ne", "lt", "le", "gt", "ge":
		if count < 2 || (name != "eq" && count != 2) {
			return nil, c.errorf(n, "wrong number of arguments for %s", name)
		}
		return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
			var small [4]reflect.Value
			argv, err := ops.eval(s, dot, final, piped, small[:0])
			if err != nil {
				return reflect.Value{}, err
			}
			truth, err := compare(name, argv[0], argv[1:])
			if err != nil {
				return reflect.Value{}, fmt.Errorf("htmlexec: error calling %s: %w", name, err)
			}
			return reflect.ValueOf(truth), nil
		}, nil
	case "len":
		if count != 1 {
			return nil, c.errorf(n, "len takes one argument")
		}
		return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
			var small [1]reflect.Value
			argv, err := ops.eval(s, dot, final, piped, small[:0])
			if err != nil {
				return reflect.Value{}, err
			}
			v, _ := indirect(argv[0])
			switch v.Kind() {
			case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
				return reflect.ValueOf(v.Len()), nil
			}
			return reflect.Value{}, fmt.Errorf("htmlexec: error calling len: len of type %s", typeName(v))
		}, nil
	case "print", "println", "printf":
		if name == "printf" && count == 0 {
			return nil, c.errorf(n, "printf needs a format")
		}
		return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
			var small [6]reflect.Value
			argv, err := ops.eval(s, dot, final, piped, small[:0])
			if err != nil {
				return reflect.Value{}, err
			}
			var format string
			if name == "printf" {
				f, err := validate(argv[0], stringType)
				if err != nil {
					return reflect.Value{}, fmt.Errorf("htmlexec: printf's format: %w", err)
				}
				format, argv = f.String(), argv[1:]
			}
			ifaces := make([]any, len(argv))
			for i, v := range argv {
				if v.IsValid() {
					ifaces[i] = v.Interface()
				}
			}
			switch name {
			case "print":
				return reflect.ValueOf(fmt.Sprint(ifaces...)), nil
			case "println":
				return reflect.ValueOf(fmt.Sprintln(ifaces...)), nil
			}
			return reflect.ValueOf(fmt.Sprintf(format, ifaces...)), nil
		}, nil
	case "slice":
		if count < 1 || count > 3 {
			return nil, c.errorf(n, "slice takes an item and at most two indexes")
		}
		return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
			var small [3]reflect.Value
			argv, err := ops.eval(s, dot, final, piped, small[:0])
			if err != nil {
				return reflect.Value{}, err
			}
			v, err := sliceOf(argv[0], argv[1:])
			if err != nil {
				return v, fmt.Errorf("htmlexec: error calling slice: %w", err)
			}
			return v, nil
		}, nil
	}
	if _, ok := escapers[name]; ok {
		return nil, c.errorf(n, "escaper %s in the middle of a pipeline", name)
	}
	return nil, c.errorf(n, "function %q is not defined or not supported", name)
}

// operands are a built-in's arguments.
type operands []func(*state, reflect.Value) (reflect.Value, error)

func (ops operands) eval(s *state, dot, final reflect.Value, piped bool, into []reflect.Value) ([]reflect.Value, error) {
	for _, op := range ops {
		v, err := op(s, dot)
		if err != nil {
			return nil, err
		}
		into = append(into, v)
	}
	if piped {
		into = append(into, final)
	}
	return into, nil
}

// userFunction compiles a call of one of Compile's funcs, through
// reflection, its literal arguments converted once.
func (c *compiler) userFunction(n parse.Node, name string, fn reflect.Value, argNodes []parse.Node, piped bool) (evalFn, error) {
	typ := fn.Type()
	count := len(argNodes)
	if piped {
		count++
	}
	if err := checkSignature(typ, name, count); err != nil {
		return nil, c.errorf(n, "%v", err)
	}
	args, err := c.arguments(argNodes)
	if err != nil {
		return nil, err
	}
	// Literals are checked now, so that a wrong one fails the start.
	for i, a := range args {
		if a.literal {
			pt := typ.In(min(i, typ.NumIn()-1))
			if typ.IsVariadic() && i >= typ.NumIn()-1 {
				pt = pt.Elem()
			}
			if _, err := literal(a.node, pt); err != nil {
				return nil, c.errorf(n, "%s: %v", name, err)
			}
		}
	}
	return func(s *state, dot, final reflect.Value) (reflect.Value, error) {
		return callValue(s, dot, fn, name, args, final, piped)
	}, nil
}

func typeName(v reflect.Value) string {
	if !v.IsValid() {
		return "<nil>"
	}
	return v.Type().String()
}

func sliceOf(item reflect.Value, indexes []reflect.Value) (reflect.Value, error) {
	item = indirectInterface(item)
	if !item.IsValid() {
		return reflect.Value{}, errors.New("slice of untyped nil")
	}
	var limit int
	switch item.Kind() {
	case reflect.String:
		limit = item.Len()
	case reflect.Array, reflect.Slice:
		limit = item.Cap()
	default:
		return reflect.Value{}, fmt.Errorf("can't slice item of type %s", item.Type())
	}
	idx := [2]int{0, item.Len()}
	for i, index := range indexes {
		var x int64
		switch index.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			x = index.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			x = int64(index.Uint())
			if x < 0 {
				return reflect.Value{}, fmt.Errorf("index out of range: %d", index.Uint())
			}
		case reflect.Invalid:
			return reflect.Value{}, errors.New("cannot index slice/array with nil")
		default:
			return reflect.Value{}, fmt.Errorf("cannot index slice/array with type %s", index.Type())
		}
		if x < 0 || int(x) < 0 || int(x) > limit {
			return reflect.Value{}, fmt.Errorf("index out of range: %d", x)
		}
		idx[i] = int(x)
	}
	if idx[0] > idx[1] {
		return reflect.Value{}, fmt.Errorf("invalid slice index: %d > %d", idx[0], idx[1])
	}
	return item.Slice(idx[0], idx[1]), nil
}

// compare runs the comparison function op, as text/template defines it.
func compare(op string, a reflect.Value, b []reflect.Value) (bool, error) {
	switch op {
	case "eq":
		return eq(a, b)
	case "ne":
		t, err := eq(a, b)
		return !t, err
	case "lt":
		return lt(a, b)
	case "le":
		t, err := lt(a, b)
		if t || err != nil {
			return t, err
		}
		return eq(a, b)
	case "gt":
		t, err := lt(a, b)
		if t || err != nil {
			return false, err
		}
		t, err = eq(a, b)
		return !t, err
	case "ge":
		t, err := lt(a, b)
		return !t, err
	}
	return false, fmt.Errorf("no comparison %s", op)
}

type kind int

const (
	invalidKind kind = iota
	boolKind
	complexKind
	intKind
	floatKind
	stringKind
	uintKind
)

var (
	errBadComparisonType = errors.New("invalid type for comparison")
	errBadComparison     = errors.New("incompatible types for comparison")
)

func basicKind(v reflect.Value) (kind, error) {
	switch v.Kind() {
	case reflect.Bool:
		return boolKind, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intKind, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintKind, nil
	case reflect.Float32, reflect.Float64:
		return floatKind, nil
	case reflect.Complex64, reflect.Complex128:
		return complexKind, nil
	case reflect.String:
		return stringKind, nil
	}
	return invalidKind, errBadComparisonType
}

func isNil(v reflect.Value) bool {
	if !v.IsValid() {
		return true
	}
	switch v.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return v.IsNil()
	}
	return false
}

func canCompare(a, b reflect.Value) bool {
	switch {
	case isNil(a) || isNil(b):
		return true
	case a.Type().Comparable() && b.Type().Comparable():
		return a.Type() == b.Type()
	}
	return false
}

func eq(arg1 reflect.Value, arg2 []reflect.Value) (bool, error) {
	arg1 = indirectInterface(arg1)
	k1, _ := basicKind(arg1)
	for _, arg := range arg2 {
		arg = indirectInterface(arg)
		k2, _ := basicKind(arg)
		truth := false
		if k1 != k2 {
			switch {
			case k1 == intKind && k2 == uintKind:
				truth = arg1.Int() >= 0 && uint64(arg1.Int()) == arg.Uint()
			case k1 == uintKind && k2 == intKind:
				truth = arg.Int() >= 0 && arg1.Uint() == uint64(arg.Int())
			default:
				if arg1.IsValid() && arg.IsValid() {
					return false, errBadComparison
				}
			}
		} else {
			switch k1 {
			case boolKind:
				truth = arg1.Bool() == arg.Bool()
			case complexKind:
				truth = arg1.Complex() == arg.Complex()
			case floatKind:
				truth = arg1.Float() == arg.Float()
			case intKind:
				truth = arg1.Int() == arg.Int()
			case stringKind:
				truth = arg1.String() == arg.String()
			case uintKind:
				truth = arg1.Uint() == arg.Uint()
			default:
				if !canCompare(arg1, arg) {
					return false, fmt.Errorf("non-comparable types %s, %s", typeName(arg1), typeName(arg))
				}
				if isNil(arg1) || isNil(arg) {
					truth = isNil(arg) == isNil(arg1)
				} else {
					if !arg.Type().Comparable() {
						return false, fmt.Errorf("non-comparable type %s", arg.Type())
					}
					truth = arg1.Interface() == arg.Interface()
				}
			}
		}
		if truth {
			return true, nil
		}
	}
	return false, nil
}

func lt(arg1 reflect.Value, arg2 []reflect.Value) (bool, error) {
	arg1 = indirectInterface(arg1)
	k1, err := basicKind(arg1)
	if err != nil {
		return false, err
	}
	arg := indirectInterface(arg2[0])
	k2, err := basicKind(arg)
	if err != nil {
		return false, err
	}
	if k1 != k2 {
		switch {
		case k1 == intKind && k2 == uintKind:
			return arg1.Int() < 0 || uint64(arg1.Int()) < arg.Uint(), nil
		case k1 == uintKind && k2 == intKind:
			return arg.Int() >= 0 && arg1.Uint() < uint64(arg.Int()), nil
		}
		return false, errBadComparison
	}
	switch k1 {
	case boolKind, complexKind:
		return false, errBadComparisonType
	case floatKind:
		return arg1.Float() < arg.Float(), nil
	case intKind:
		return arg1.Int() < arg.Int(), nil
	case stringKind:
		return arg1.String() < arg.String(), nil
	case uintKind:
		return arg1.Uint() < arg.Uint(), nil
	}
	return false, errBadComparisonType
}
