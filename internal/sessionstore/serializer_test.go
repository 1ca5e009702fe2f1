package sessionstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/sessions"
)

func TestJSONSerializerRoundTrip(t *testing.T) {
	in := sessions.NewSession(nil, "s")
	in.Values = map[any]any{"value": 0.7349, "count": int64(3), "big": int64(1 << 53), "name": "青", "ok": true, "empty": "", "tag": "<b>&</b>"}
	b, err := JSONSerializer{}.Serialize(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"big":9007199254740992,"count":3,"empty":"","name":"青","ok":true,"tag":"<b>&</b>","value":0.7349}`; string(b) != want {
		t.Errorf("stored %s, want %s", b, want)
	}
	out := sessions.NewSession(nil, "s")
	if err := (JSONSerializer{}).Deserialize(b, out); err != nil {
		t.Fatal(err)
	}
	for k, v := range in.Values {
		if out.Values[k] != v {
			t.Errorf("%v: got %#v (%T), want %#v (%T)", k, out.Values[k], out.Values[k], v, v)
		}
	}
	for _, bad := range []string{"", "null", "[1]", "{", "\x0e\xff", `{"n":1e400}`, `{"n":-1e999}`} {
		if err := (JSONSerializer{}).Deserialize([]byte(bad), sessions.NewSession(nil, "s")); !errors.Is(err, ErrUnreadable) {
			t.Errorf("%q decoded without ErrUnreadable: %v", bad, err)
		}
	}
	if _, err := (JSONSerializer{}).Serialize(&sessions.Session{Values: map[any]any{1: "x"}}); !errors.Is(err, ErrUnreadable) {
		t.Errorf("a non-string key was serialized")
	}
}

// TestJSONSerializerWritesWhatEncodingJSONWrites: Serialize writes what
// encoding/json writes for the values with HTML escaping off, as it used
// to be written, and refuses what encoding/json refuses, as ErrUnreadable.
// internal/jsonappend's own tests go through every kind of value.
func TestJSONSerializerWritesWhatEncodingJSONWrites(t *testing.T) {
	values := map[string]any{
		"value": 0.5, "n": int64(-7), "s": `<a href="x">&amp;</a>` + "\u2028\xff", "b": true, "nil": nil,
		"cookie": map[string]any{"httpOnly": true, "path": "/", "originalMaxAge": int64(120000)}, "deep": deep(40),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(values); err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	session := &sessions.Session{Values: map[any]any{}}
	for k, v := range values {
		session.Values[k] = v
	}
	if got, err := (JSONSerializer{}).Serialize(session); err != nil || !bytes.Equal(got, want) {
		t.Errorf("got %s, %v; encoding/json writes %s", got, err, want)
	}
	cycle := map[string]any{}
	cycle["self"] = cycle
	for _, bad := range []any{math.NaN(), math.Inf(1), make(chan int), cycle} {
		if b, err := (JSONSerializer{}).Serialize(&sessions.Session{Values: map[any]any{"x": bad}}); err == nil || !errors.Is(err, ErrUnreadable) {
			t.Errorf("%v: got %s, %v; want an ErrUnreadable", bad, b, err)
		}
	}
}

// deep is n objects nested in one another.
func deep(n int) map[string]any {
	m := map[string]any{"leaf": true}
	for range n {
		m = map[string]any{"in": m}
	}
	return m
}

// TestDecodeFlatAgreesWithEncodingJSON: wherever decodeFlat answers, it
// answers what encoding/json's path does; and it leaves to that path what
// it cannot read exactly (escapes, spaces, nesting, numbers JSON does not
// allow or float64 cannot hold, trailing bytes).
func TestDecodeFlatAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := []string{
		`{}`, `{"a":1}`, `{"a":-0}`, `{"a":0.5,"b":"x"}`, `{"a":true,"b":false,"c":null}`,
		`{"a":9223372036854775807}`, `{"a":9223372036854775808}`, `{"a":-9223372036854775809}`,
		`{"a":1e2}`, `{"a":1E+2}`, `{"a":1e-400}`, `{"a":1e400}`, `{"a":-1.5e-7}`, `{"a":123456789012345678901234567890}`,
		`{"a":1,"a":2}`, `{"日本":"語","":""}`, `{"a":"<&>'"}`,
		// what decodeFlat must leave to encoding/json
		`{"a":"x\"y"}`, `{"a":"\u00e9"}`, `{ "a":1}`, `{"a": 1}`, `{"a":1} `, `{"a":1}{"b":2}`, `{"a":{"b":1}}`, `{"a":[1]}`,
		`{"a":01}`, `{"a":+1}`, `{"a":.5}`, `{"a":1.}`, `{"a":1e}`, `{"a":-}`, `{"a":0x1}`, `{"a":1_0}`, `{"a":Infinity}`,
		`{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1`, `"a"`, `[]`, `null`, ``, `{`, `}`,
		"{\"a\":\"\xff\"}", "{\"\xfe\":1}", "{\"a\":\"x\ty\"}", `{"a":"` + strings.Repeat("z", 5000) + `"}`,
	}
	// and what the writer writes for random sessions
	for range 300 {
		values := map[any]any{}
		for k := range rng.IntN(5) {
			switch rng.IntN(5) {
			case 0:
				values[fmt.Sprint("s", k)] = string(rune(rng.IntN(0x3000)))
			case 1:
				values[fmt.Sprint("i", k)] = rng.Int64() - rng.Int64()
			case 2:
				values[fmt.Sprint("f", k)] = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(41)-20))
			case 3:
				values[fmt.Sprint("b", k)] = rng.IntN(2) == 0
			case 4:
				values[fmt.Sprint("n", k)] = nil
			}
		}
		b, err := JSONSerializer{}.Serialize(&sessions.Session{Values: values})
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
	}
	answered := 0
	for _, in := range inputs {
		want, wantErr := decodeWithEncodingJSON([]byte(in))
		got, ok := decodeFlat([]byte(in))
		if !ok {
			continue
		}
		answered++
		if wantErr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%.80q: decodeFlat gives %v; encoding/json's path %v, %v", in, got, want, wantErr)
		}
	}
	// The writer's output, and the flat cases above, must take the fast path.
	if answered < 300+17 {
		t.Errorf("decodeFlat answered %d of the inputs, want at least %d", answered, 300+17)
	}
}
