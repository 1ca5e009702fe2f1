package sessionstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

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
	values := make(map[string]any, len(s.Values))
	for k, v := range s.Values {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%w: json: session key %v is a %T, not a string", ErrUnreadable, k, k)
		}
		values[name] = v
	}
	// Map keys come out sorted, so equal values give equal bytes. < > & are
	// stored as they are, not as \u003c: redis-cli shows what was typed, and
	// every page escapes what it shows anyway.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(values); err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrUnreadable, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Deserialize decodes b into the session's values. A number JSON can write
// but float64 cannot hold (1e400) is unreadable: it could never be written
// back.
func (JSONSerializer) Deserialize(b []byte, s *sessions.Session) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		return fmt.Errorf("%w: json: %w", ErrUnreadable, err)
	}
	if values == nil {
		return fmt.Errorf("%w: json: stored value is not a JSON object", ErrUnreadable)
	}
	if s.Values == nil {
		s.Values = make(map[any]any, len(values))
	}
	for k, v := range values {
		value, err := fromJSON(v)
		if err != nil {
			return fmt.Errorf("%w: json: %q: %w", ErrUnreadable, k, err)
		}
		s.Values[k] = value
	}
	return nil
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
