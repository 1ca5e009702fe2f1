package server

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/gorilla/sessions"
)

func TestJSONSerializerRoundTrip(t *testing.T) {
	in := sessions.NewSession(nil, "s")
	in.Values = map[any]any{"value": 0.7349, "count": int64(3), "big": int64(1 << 53), "name": "青", "ok": true, "empty": ""}
	b, err := JSONSerializer{}.Serialize(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"big":9007199254740992,"count":3,"empty":"","name":"青","ok":true,"value":0.7349}`; string(b) != want {
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
	for _, bad := range []string{"", "null", "[1]", "{", "\x0e\xff"} {
		if err := (JSONSerializer{}).Deserialize([]byte(bad), sessions.NewSession(nil, "s")); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
	if _, err := (JSONSerializer{}).Serialize(&sessions.Session{Values: map[any]any{1: "x"}}); err == nil {
		t.Errorf("a non-string key was serialized")
	}
}

func TestGobModeShowsBase64AndRoundTrips(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	cfg.Serializer = "gob"
	b := newBrowser(t, startServer(t, newTestApp(t, cfg, rdb)))
	st := b.state()
	if resp, _ := b.post("/set", form("_csrf", st.CSRFToken, "name", "word", "value", "値")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set: %d", resp.StatusCode)
	}
	again := b.state()
	if again.Redis.Encoding != "gob" || again.Values["word"] != "値" || again.Values["value"] != st.Values["value"] {
		t.Errorf("gob session: %+v", again)
	}
	raw, err := base64.StdEncoding.DecodeString(again.Redis.Raw)
	if again.Redis.RawFormat != "base64" || err != nil || string(raw) != stored(t, rdb, again.Redis.Key) {
		t.Errorf("raw %q (%s) is not the stored bytes in base64", again.Redis.Raw, again.Redis.RawFormat)
	}
	if resp, body := b.get("/"); resp.StatusCode != http.StatusOK {
		t.Errorf("page in gob mode: %d %s", resp.StatusCode, firstLine(body))
	}
}

// TestUnreadableSessionIsReplaced covers bytes the serializer cannot read,
// as after switching SESSION_SERIALIZER: the visitor gets a new session and
// the unreadable key is left alone.
func TestUnreadableSessionIsReplaced(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	b := newBrowser(t, startServer(t, newTestApp(t, cfg, rdb)))
	st := b.state()
	rdb.Client.Set(context.Background(), st.Redis.Key, "\x0e\xff\x81not json", 0)
	again := b.state()
	if !again.IsNew || again.Cookie.Value == st.Cookie.Value {
		t.Errorf("an unreadable session was adopted: %+v", again.Cookie)
	}
	if got := stored(t, rdb, st.Redis.Key); got != "\x0e\xff\x81not json" {
		t.Errorf("the unreadable key was overwritten: %q", got)
	}
}
