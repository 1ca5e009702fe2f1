package sessionstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"redis-session-demo/internal/jsonappend"

	"github.com/gorilla/sessions"
	"github.com/rbcervilla/redisstore/v9"
)

// JSONSerializer stores session values as one JSON object, such as
// {"value":0.7349}, so that redis-cli and Redis viewers show them as text.
// It implements redisstore.SessionSerializer. Whole numbers come back as
// int64 and other numbers as float64; strings and booleans as themselves.
// Its errors wrap ErrUnreadable.
type JSONSerializer struct{}

var _ redisstore.SessionSerializer = JSONSerializer{}

// Serialize encodes the session's values. Every key must be a string.
func (JSONSerializer) Serialize(s *sessions.Session) ([]byte, error) {
	names := make([]string, 0, len(s.Values))
	for k := range s.Values {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%w: json: session key %v is a %T, not a string", ErrUnreadable, k, k)
		}
		names = append(names, name)
	}
	// Written as encoding/json writes a map with HTML escaping off: keys
	// sorted, so that equal values give equal bytes, and < > & as they are,
	// not as \u003c, since redis-cli shows what was typed and every page
	// escapes what it shows anyway.
	b, err := jsonappend.Object(nil, names, func(name string) any { return s.Values[name] }, false)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrUnreadable, err)
	}
	return b, nil
}

// Deserialize decodes b into the session's values. A number JSON can write
// but float64 cannot hold (1e400) is unreadable: it could never be written
// back.
func (JSONSerializer) Deserialize(b []byte, s *sessions.Session) error {
	values, err := decodeObject(b)
	if err != nil {
		return err
	}
	if s.Values == nil {
		s.Values = make(map[any]any, len(values))
	}
	for k, v := range values {
		s.Values[k] = v
	}
	return nil
}

// decodeObject decodes a stored JSON object into values: whole numbers as
// int64, others as float64. An object as this serializer writes it, flat
// and without escapes or spaces, is read by decodeFlat; anything else by
// encoding/json.
func decodeObject(b []byte) (map[string]any, error) {
	if values, ok := decodeFlat(b); ok {
		return values, nil
	}
	return decodeWithEncodingJSON(b)
}

// decodeWithEncodingJSON is decodeObject for anything: encoding/json reads
// the object, its numbers kept as written, which fromJSON then converts.
func decodeWithEncodingJSON(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrUnreadable, err)
	}
	if values == nil {
		return nil, fmt.Errorf("%w: json: stored value is not a JSON object", ErrUnreadable)
	}
	for k, v := range values {
		value, err := fromJSON(v)
		if err != nil {
			return nil, fmt.Errorf("%w: json: %q: %w", ErrUnreadable, k, err)
		}
		values[k] = value
	}
	return values, nil
}

// decodeFlat reads the common case of decodeObject: one object of strings
// without escapes, numbers, booleans and nulls, with nothing around it. It
// gives up (false) on anything else, which encoding/json then reads, or
// rejects, as it always did: so the two must agree wherever decodeFlat
// answers, which TestDecodeFlatAgreesWithEncodingJSON checks.
func decodeFlat(b []byte) (map[string]any, bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	values := make(map[string]any, 4)
	i := 1
	if b[i] == '}' {
		return values, i == len(b)-1
	}
	for {
		key, next, ok := flatString(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return nil, false
		}
		var value any
		if value, i, ok = flatValue(b, next+1); !ok || i >= len(b) {
			return nil, false
		}
		values[key] = value
		switch b[i] {
		case ',':
			i++
		case '}':
			return values, i == len(b)-1
		default:
			return nil, false
		}
	}
}

// flatString reads the string at b[i:], if it has no escapes and is valid
// UTF-8 (encoding/json would change what is not), and returns the index
// after it.
func flatString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[i+1 : j]
			return string(s), j + 1, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// flatValue reads the value at b[i:]: a string without escapes, a number,
// true, false or null; and returns the index after it.
func flatValue(b []byte, i int) (any, int, bool) {
	if i >= len(b) {
		return nil, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return flatString(b, i)
	case c == '-' || '0' <= c && c <= '9':
		end, whole, ok := numberEnd(b, i)
		if !ok {
			return nil, 0, false
		}
		text := string(b[i:end])
		if whole {
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				return n, end, true
			}
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, 0, false // encoding/json's path gives the error
		}
		return f, end, true
	}
	for _, word := range []struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if bytes.HasPrefix(b[i:], []byte(word.text)) {
			return word.value, i + len(word.text), true
		}
	}
	return nil, 0, false
}

// numberEnd finds the end of the JSON number at b[i:], as JSON's grammar
// has it (strconv takes more: "01", "+1", "0x1", "1_0", ".5"), and whether
// it is written without fraction or exponent.
func numberEnd(b []byte, i int) (end int, whole, ok bool) {
	digits := func(j int) int {
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(i)
	default:
		return 0, false, false
	}
	whole = true
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false, false
		}
		i, whole = j, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false, false
		}
		i, whole = j, false
	}
	return i, whole, true
}

func fromJSON(v any) (any, error) {
	n, ok := v.(json.Number)
	if !ok {
		return v, nil
	}
	if !strings.ContainsAny(n.String(), ".eE") {
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %s out of range", n)
	}
	return f, nil
}

// gobSerializer wraps the stock serializer so that its failures wrap
// ErrUnreadable, as JSONSerializer's do.
type gobSerializer struct{ redisstore.GobSerializer }

func (g gobSerializer) Serialize(s *sessions.Session) ([]byte, error) {
	b, err := g.GobSerializer.Serialize(s)
	if err != nil {
		return nil, fmt.Errorf("%w: gob: %w", ErrUnreadable, err)
	}
	return b, nil
}

func (g gobSerializer) Deserialize(b []byte, s *sessions.Session) error {
	if err := g.GobSerializer.Deserialize(b, s); err != nil {
		return fmt.Errorf("%w: gob: %w", ErrUnreadable, err)
	}
	return nil
}

func newSerializer(o Options) redisstore.SessionSerializer {
	switch {
	case o.Express != nil:
		return ExpressSerializer{Cookie: ExpressCookie{MaxAge: o.MaxAge, Secure: o.Secure, SameSite: "lax"}}
	case o.Encoding == "gob":
		return gobSerializer{}
	}
	return JSONSerializer{}
}
