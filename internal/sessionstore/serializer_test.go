package sessionstore

import (
	"errors"
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
