package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPickLang: ?lang first, then the lang cookie, then Accept-Language;
// English when none of them names a language the app has.
func TestPickLang(t *testing.T) {
	for _, tc := range []struct {
		query, cookie, accept, want string
	}{
		{want: "en"},
		{accept: "ja", want: "ja"},
		{accept: "ja-JP,ja;q=0.9,en;q=0.5", want: "ja"},
		{accept: "en-US,en;q=0.9,ja;q=0.8", want: "en"},
		{accept: "fr", want: "en"},
		{accept: "fr, ja;q=0.5", want: "ja"},
		{accept: "garbage;;;q=x", want: "en"},
		{cookie: "ja", accept: "en", want: "ja"},
		{cookie: "xx", accept: "ja", want: "ja"},
		{query: "lang=en", cookie: "ja", accept: "ja", want: "en"},
		{query: "lang=ja", want: "ja"},
		{query: "lang=xx", accept: "ja", want: "ja"},
		{query: "other=1", cookie: "ja", want: "ja"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := pickLang(r); got != tc.want {
			t.Errorf("?%s, cookie %q, Accept-Language %q: %q, want %q", tc.query, tc.cookie, tc.accept, got, tc.want)
		}
	}
}

// TestPresenting: ?present=1 or its cookie turns presenter mode on, and
// ?present=0 turns it off whatever the cookie says.
func TestPresenting(t *testing.T) {
	for _, tc := range []struct {
		query, cookie string
		want          bool
	}{
		{"", "", false},
		{"present=1", "", true},
		{"", "1", true},
		{"present=0", "1", false},
		{"lang=ja", "1", true},
		{"", "yes", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: presentCookie, Value: tc.cookie})
		}
		if got := presenting(r); got != tc.want {
			t.Errorf("?%s, cookie %q: %v, want %v", tc.query, tc.cookie, got, tc.want)
		}
	}
}
