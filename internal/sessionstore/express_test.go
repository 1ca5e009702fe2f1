package sessionstore

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
)

func TestSignAsCookieSignatureDoes(t *testing.T) {
	// cookie-signature's own example: sign('hello', 'tobiiscool').
	if got := Sign("hello", []byte("tobiiscool")); got != "s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI" {
		t.Errorf("Sign = %q", got)
	}
	// encodeURIComponent as JavaScript has it.
	if got := encodeURIComponent("s:ab+c/d.e=f!*()~ '"); got != "s%3Aab%2Bc%2Fd.e%3Df!*()~%20'" {
		t.Errorf("encodeURIComponent = %q", got)
	}
	for _, tc := range []struct {
		value   string
		secrets []string
		want    string
	}{
		{Sign("abc", []byte("one")), []string{"one"}, "abc"},
		{Sign("abc", []byte("old")), []string{"new", "old"}, "abc"}, // a previous secret still verifies
		{Sign("abc", []byte("other")), []string{"one"}, ""},
		{"abc", []string{"one"}, ""},   // unsigned
		{"s:abc", []string{"one"}, ""}, // no signature
		{strings.TrimSuffix(Sign("abc", []byte("one")), "A") + "B", []string{"one"}, ""},
	} {
		var secrets [][]byte
		for _, s := range tc.secrets {
			secrets = append(secrets, []byte(s))
		}
		if got, _ := unsign(tc.value, secrets); got != tc.want {
			t.Errorf("unsign(%q, %v) = %q, want %q", tc.value, tc.secrets, got, tc.want)
		}
	}
}

func expressStore(t *testing.T, secrets ...string) *Store {
	t.Helper()
	s, _ := testStore(t, func(o *Options) {
		o.Keys = Keys{Prefix: strings.TrimSuffix(o.Keys.Prefix, ":")} // "dev.blog"-style, no separator
		o.Express = &ExpressOptions{}
		for _, secret := range secrets {
			o.Express.Secrets = append(o.Express.Secrets, []byte(secret))
		}
	})
	return s
}

func TestExpressCookieAndStoredSession(t *testing.T) {
	s := expressStore(t, "WANTEDSECRET")
	w := httptest.NewRecorder()
	v, err := s.Open(w, request(s.CookieName(), ""))
	if err != nil {
		t.Fatal(err)
	}
	id := v.Session.ID
	if len(id) != 32 || !ValidID(id) {
		t.Errorf("a new Express-style ID %q, want 32 characters of base64url", id)
	}
	c := setCookie(w, s.CookieName())
	if want := encodeURIComponent(Sign(id, []byte("WANTEDSECRET"))); c == nil || c.Value != want || !strings.HasPrefix(c.Value, "s%3A") {
		t.Errorf("Set-Cookie %v, want the signed ID %q", c, want)
	}
	if !strings.HasPrefix(v.Entry.Key, s.Keys().Prefix) || strings.Contains(v.Entry.Key, ":"+id) {
		t.Errorf("key %q, want the prefix glued to the ID", v.Entry.Key)
	}
	var stored struct {
		Cookie struct {
			OriginalMaxAge int64  `json:"originalMaxAge"`
			Expires        string `json:"expires"`
			HTTPOnly       bool   `json:"httpOnly"`
			Path           string `json:"path"`
		} `json:"cookie"`
		Value float64 `json:"value"`
	}
	if err := json.Unmarshal(v.Entry.Raw, &stored); err != nil {
		t.Fatalf("%s: %v", v.Entry.Raw, err)
	}
	expires, err := time.Parse(time.RFC3339, stored.Cookie.Expires)
	if err != nil || stored.Cookie.OriginalMaxAge != 120000 || !stored.Cookie.HTTPOnly || stored.Cookie.Path != "/" ||
		time.Until(expires) < 110*time.Second || time.Until(expires) > 121*time.Second {
		t.Errorf("stored %s: want the cookie object of a 120 s cookie", v.Entry.Raw)
	}
	// The cookie object is not a variable of the session.
	if _, ok := v.Session.Values["cookie"]; ok {
		t.Errorf("values %v", v.Session.Values)
	}
	// The signed cookie reads back; a wrongly signed or unsigned one does not.
	again, err := s.Open(httptest.NewRecorder(), request(s.CookieName(), c.Value))
	if err != nil || again.IsNew || again.Session.ID != id {
		t.Errorf("the signed cookie did not read back: %v %+v", err, again)
	}
	for _, bad := range []string{id, encodeURIComponent(Sign(id, []byte("wrong")))} {
		if v, _ := s.Open(httptest.NewRecorder(), request(s.CookieName(), bad)); !v.IsNew || v.Session.ID == id {
			t.Errorf("cookie %q was accepted", bad)
		}
	}
}

func TestExpressSessionWrittenByExpressIsKept(t *testing.T) {
	s := expressStore(t, "new", "old")
	id := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 32 characters, as express-session makes them
	raw := `{"cookie":{"originalMaxAge":120000,"expires":"2020-01-01T00:00:00.000Z","httpOnly":true,"path":"/","domain":"example.test"},"value":0.25,"user":{"name":"alice","roles":["a","b"]}}`
	rdbSet(t, s, s.Keys().Session(id), raw)
	cookie := encodeURIComponent(Sign(id, []byte("old"))) // signed with the previous secret
	r := request(s.CookieName(), cookie)
	if got := s.CookieID(r); got != id {
		t.Fatalf("CookieID %q, want %q", got, id)
	}
	w := httptest.NewRecorder()
	if _, err := s.Change(w, r, id, func(sess *sessions.Session) error {
		sess.Values["value"] = 0.5
		return nil
	}, Report{}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal([]byte(rdbGet(t, s, s.Keys().Session(id))), &got)
	cookieObj, _ := got["cookie"].(map[string]any)
	user, _ := got["user"].(map[string]any)
	if got["value"] != 0.5 || user["name"] != "alice" || cookieObj["domain"] != "example.test" || cookieObj["expires"] == "2020-01-01T00:00:00.000Z" {
		t.Errorf("after a change Redis holds %v: want the new value, Express's other fields kept, expires renewed", got)
	}
	if c := setCookie(w, s.CookieName()); c == nil || c.Value != encodeURIComponent(Sign(id, []byte("new"))) {
		t.Errorf("Set-Cookie %v, want the ID signed with the first secret", c)
	}
}

func rdbSet(t *testing.T, s *Store, key, value string) {
	t.Helper()
	if err := s.rdb.Set(context.Background(), key, value, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
}

func rdbGet(t *testing.T, s *Store, key string) string {
	t.Helper()
	return s.rdb.Get(context.Background(), key).Val()
}
