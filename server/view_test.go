package server

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"redis-session-demo/internal/commandlog"
)

// hostileStrings are what a field of the JSON may hold at worst.
var hostileStrings = []string{
	"", "plain", `<script>alert("x")</script>`, "a&b", `back\slash`, "tab\tnew\nline", "\x00\x1f\x7f",
	"\xff\xfe", "日本語", "\u2028\u2029", `{"value":0.5}`, strings.Repeat("z", 300),
}

// fill sets every field of v, however deep, to a value drawn by rng, so
// that a field added to sessionState is compared as soon as it exists.
func fill(t *testing.T, v reflect.Value, rng *rand.Rand) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostileStrings[rng.IntN(len(hostileStrings))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 1)
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, -2, -1, 1, 120, 119_873, 1<<63 - 1, -1 << 63}[rng.IntN(8)])
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), rng)
		}
	case reflect.Slice:
		if rng.IntN(4) == 0 {
			v.SetZero() // nil: encoding/json writes null
			return
		}
		s := reflect.MakeSlice(v.Type(), rng.IntN(4), 4)
		for i := range s.Len() {
			fill(t, s.Index(i), rng)
		}
		v.Set(s)
	case reflect.Map:
		m := map[string]any{}
		for range rng.IntN(4) {
			key := hostileStrings[rng.IntN(len(hostileStrings))]
			switch rng.IntN(5) {
			case 0:
				m[key] = rng.Float64()
			case 1:
				m[key] = int64(rng.IntN(1000)) - 500
			case 2:
				m[key] = hostileStrings[rng.IntN(len(hostileStrings))]
			case 3:
				m[key] = map[string]any{"httpOnly": true, "expires": "2026-11-30T00:00:00.000Z", "<": 1e21}
			default:
				m[key] = nil
			}
		}
		v.Set(reflect.ValueOf(m))
	default:
		t.Fatalf("fill: a field of kind %s; teach fill (and sessionState.appendJSON) about it", v.Kind())
	}
}

// TestStateJSONIsEncodingJSONs: the JSON sessionState writes itself is
// byte for byte what encoding/json writes, on states with every field set
// from hostile strings, integer limits, nested values and nil lists.
func TestStateJSONIsEncodingJSONs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 400 {
		var st sessionState
		fill(t, reflect.ValueOf(&st).Elem(), rng)
		if i == 0 {
			st.Commands = []commandlog.Command{{Command: `GETEX "dev.blog:x" PX 120000`, Reply: `"{\"value\":0.5}"`, Micros: 170, RoundTrip: 1}}
		}
		want, err := json.Marshal(&st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.appendJSON([]byte("prefix"))
		if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("state %d:\n got %s, %v\nwant prefix%s", i, got, err, want)
		}
	}
}

// TestSessionJSONAnswer: over a real connection, JSON answers (of
// /api/session, and of a POST that asked for JSON) carry their length, also
// above the 2 KB under which net/http would have found it by itself, and
// end in a newline as Echo's did; their bytes are what encoding/json
// writes. ?pretty still gets Echo's indented JSON.
func TestSessionJSONAnswer(t *testing.T) {
	b := newBrowser(t, startServer(t, newTestApp(t, testConfig(t), testRedis(t))))
	token := b.state().CSRFToken
	big := strings.Repeat("<&>x", 250) // 1 KB that HTML escaping makes 4
	check := func(name string, resp *http.Response, body string, pretty bool) {
		t.Helper()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %q: %s", name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		st := decodeState(t, body)
		if st.Values["big"] != big {
			t.Fatalf("%s: the value is not in the answer: %s", name, body)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		if pretty {
			enc.SetIndent("", "  ")
		} else if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("%s: %d bytes sent with Content-Length %d, Transfer-Encoding %q", name, len(body), resp.ContentLength, resp.TransferEncoding)
		}
		if err := enc.Encode(&st); err != nil {
			t.Fatal(err)
		}
		if body != want.String() {
			t.Errorf("%s: got\n%s\nencoding/json writes\n%s", name, body, want.Bytes())
		}
	}
	resp, body := b.post("/set", form("_csrf", token, "name", "big", "value", big), "Accept", "application/json")
	check("POST /set", resp, body, false)
	if len(body) < 4<<10 {
		t.Fatalf("the answer is %d bytes, too small to test a long one", len(body))
	}
	resp, body = b.get("/api/session")
	check("/api/session", resp, body, false)
	resp, body = b.get("/api/session?pretty")
	check("/api/session?pretty", resp, body, true)
}
