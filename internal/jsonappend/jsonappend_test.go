package jsonappend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// encodingJSON is what encoding/json writes for v, without the Encoder's
// newline.
func encodingJSON(t *testing.T, v any, html bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %#v: %v", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestWritesWhatEncodingJSONWrites compares Value, Object and String with
// encoding/json, HTML escaping on and off: strings of every ASCII byte,
// HTML's special characters, invalid UTF-8 and the line separators; floats
// from 1e-30 to 1e30 and the edges of exponent form; integers at their
// limits; nested, empty and nil objects; and kinds left to encoding/json.
// The bytes must be the same.
func TestWritesWhatEncodingJSONWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ascii strings.Builder
	for c := range 0x80 {
		ascii.WriteByte(byte(c))
	}
	values := []any{
		nil, true, false, "", ascii.String(), "\xff\xfe\xc3", "a\u2028b\u2029c", "日本語 🎉", `<a href="x">&amp;</a>`, "<>&",
		int64(0), int64(-1 << 63), int64(1<<63 - 1), 42, -7, 0.0, math.Copysign(0, -1), 1e-6, 9.99e-7, 1e-7, 1e20, 1e21,
		123456789e13, 5e-324, math.MaxFloat64, -math.MaxFloat64, 0.1, 1.0 / 3, -2.5e-9, 1e-10,
		map[string]any{"httpOnly": true, "path": "/", "originalMaxAge": int64(120000), "expires": "2026-11-29T00:00:00.000Z"},
		map[string]any{}, map[string]any{"z": map[string]any{"b": 1.5, "a": nil}}, map[string]any{"<k>": "&"},
		[]any{1.5, "x<", nil}, json.Number("12"), map[string]any(nil), map[string]any{"n": map[string]any(nil)},
		deep(40), uint64(1 << 63), float32(0.1), struct{ A string }{"<b>"},
	}
	for range 500 {
		values = append(values, (rng.Float64()-0.5)*math.Pow(10, float64(rng.IntN(61)-30)))
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		values = append(values, string(b))
	}
	for _, html := range []bool{false, true} {
		for _, v := range values {
			want := encodingJSON(t, v, html)
			if got, err := Value(nil, v, html); err != nil || !bytes.Equal(got, want) {
				t.Errorf("Value(%#v, html %v): got %s, %v; encoding/json writes %s", v, html, got, err, want)
			}
			if s, ok := v.(string); ok {
				if got := String([]byte("x"), s, html); !bytes.Equal(got, append([]byte("x"), want...)) {
					t.Errorf("String(%q, html %v): got %s; encoding/json writes %s", s, html, got, want)
				}
			}
		}
		keys := []string{"", "Z", "a b", "日本", "\u2028", "<&>", `"q"`, "\x00", "cookie", "\xff"}
		for i, v := range values {
			name := fmt.Sprintf("k%03d", i)
			if i < len(keys) {
				name = keys[i]
			}
			m := map[string]any{name: v, "value": 0.5}
			want := encodingJSON(t, m, html)
			got, err := Object(nil, []string{"value", name}, func(n string) any { return m[n] }, html)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Object(%q: %#v, html %v): got %s, %v; encoding/json writes %s", name, v, html, got, err, want)
			}
		}
	}
}

// TestRefusesWhatEncodingJSONRefuses: what encoding/json cannot write is
// an error, never bytes.
func TestRefusesWhatEncodingJSONRefuses(t *testing.T) {
	cycle := map[string]any{}
	cycle["self"] = cycle
	for _, bad := range []any{math.NaN(), math.Inf(1), math.Inf(-1), make(chan int), cycle, map[string]any{"in": math.NaN()}} {
		if b, err := Value(nil, bad, true); err == nil {
			t.Errorf("%v: got %s; want an error", bad, b)
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
