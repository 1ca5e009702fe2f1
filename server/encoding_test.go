package server

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"
)

func TestGobModeShowsBase64AndRoundTrips(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Serializer = "gob" })
	rdb, b := env.rdb, env.b
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
	env := newTestEnv(t)
	rdb, b := env.rdb, env.b
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
