package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/rbcervilla/redisstore/v9"
)

// JSONSerializer stores session values as one JSON object, such as
// {"value":0.7349}, so that redis-cli and Redis viewers show them as text.
// It implements redisstore.SessionSerializer. Whole numbers come back as
// int64 and other numbers as float64; strings and booleans as themselves.
type JSONSerializer struct{}

var _ redisstore.SessionSerializer = JSONSerializer{}

// Serialize encodes the session's values. Every key must be a string.
func (JSONSerializer) Serialize(s *sessions.Session) ([]byte, error) {
	values := make(map[string]any, len(s.Values))
	for k, v := range s.Values {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("json serializer: session key %v is a %T, not a string", k, k)
		}
		values[name] = v
	}
	return json.Marshal(values) // map keys come out sorted, so equal values give equal bytes
}

// Deserialize decodes b into the session's values.
func (JSONSerializer) Deserialize(b []byte, s *sessions.Session) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		return decodeError{fmt.Errorf("json serializer: %w", err)}
	}
	if values == nil {
		return decodeError{fmt.Errorf("json serializer: stored value is not a JSON object")}
	}
	if s.Values == nil {
		s.Values = make(map[any]any, len(values))
	}
	for k, v := range values {
		s.Values[k] = fromJSON(v)
	}
	return nil
}

func fromJSON(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if !strings.ContainsAny(n.String(), ".eE") {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	f, _ := n.Float64() // a json.Number from the decoder always parses
	return f
}

// gobSerializer wraps the stock serializer so that its decoding failures are
// told apart from Redis failures, as JSONSerializer's are.
type gobSerializer struct{ redisstore.GobSerializer }

func (g gobSerializer) Deserialize(b []byte, s *sessions.Session) error {
	if err := g.GobSerializer.Deserialize(b, s); err != nil {
		return decodeError{fmt.Errorf("gob serializer: %w", err)}
	}
	return nil
}

// decodeError marks stored bytes that the configured serializer cannot read,
// for example after SESSION_SERIALIZER changed. Such a session is not
// adopted: the visitor gets a new one.
type decodeError struct{ error }

func (e decodeError) Unwrap() error { return e.error }

func newSerializer(name string) redisstore.SessionSerializer {
	if name == "gob" {
		return gobSerializer{}
	}
	return JSONSerializer{}
}
