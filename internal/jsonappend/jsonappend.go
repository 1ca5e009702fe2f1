// Package jsonappend appends JSON to a byte slice, byte for byte what
// encoding/json writes, for the few kinds of value the app writes on every
// request: strings, numbers, booleans and objects of them. It leaves every
// other kind to encoding/json. It exists for speed: encoding/json reaches
// each value through reflection and copies maps to sort their keys.
//
// Each function takes html, which is encoding/json's HTML escaping: true
// writes <, > and & as \u003c, \u003e and \u0026, as json.Marshal does;
// false writes them as they are, as an Encoder with SetEscapeHTML(false).
package jsonappend

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Object appends the JSON object of names and their values, as
// encoding/json writes a map: keys sorted, so that equal values give
// equal bytes. It sorts names in place.
func Object(b []byte, names []string, value func(string) any, html bool) ([]byte, error) {
	return object(b, names, value, html, 0)
}

func object(b []byte, names []string, value func(string) any, html bool, depth int) ([]byte, error) {
	slices.Sort(names)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, name, html)
		b = append(b, ':')
		var err error
		if b, err = appendAny(b, value(name), html, depth); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// maxDepth is how deep Value writes nested objects itself; below it
// encoding/json takes over, which also reports an object that contains
// itself instead of recursing for ever.
const maxDepth = 32

// Value appends v as JSON: nil, strings, booleans, int, int64, finite
// float64 and map[string]any of them itself, anything else through
// encoding/json, whose error it returns (a NaN, a channel, a cycle).
func Value(b []byte, v any, html bool) ([]byte, error) {
	return appendAny(b, v, html, 0)
}

func appendAny(b []byte, v any, html bool, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return String(b, v, html), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			return Float(b, v), nil
		}
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if depth < maxDepth {
			names := make([]string, 0, len(v))
			for name := range v {
				names = append(names, name)
			}
			return object(b, names, func(name string) any { return v[name] }, html, depth+1)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// Float appends the finite f as encoding/json does: like JavaScript, in
// exponent form only when very small or very large.
func Float(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// String appends s as a JSON string as encoding/json does: control
// characters, " and \ escaped, < > & too when html is set, invalid UTF-8
// as \ufffd, and U+2028 and U+2029 escaped for JavaScript's sake.
func String(b []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
