package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
)

var languageMatcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

const (
	langCookie    = "lang"
	presentCookie = "present"
	langKey       = "lang" // of the echo.Context value choosePreferences sets
)

// choosePreferences picks the page language and presenter mode once per
// request. The language: ?lang=ja|en (remembered in a cookie of its own,
// not in the session), else that cookie, else Accept-Language; pages read
// it with langOf. Presenter mode: ?present=1 (remembered the same way)
// until ?present=0; pages read it with presenting.
func (a *App) choosePreferences(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if l := c.QueryParam("lang"); isLang(l) {
			c.SetCookie(a.preferenceCookie(langCookie, l))
		}
		switch c.QueryParam("present") {
		case "1":
			c.SetCookie(a.preferenceCookie(presentCookie, "1"))
		case "0":
			gone := a.preferenceCookie(presentCookie, "")
			gone.MaxAge = -1
			c.SetCookie(gone)
		}
		c.Set(langKey, pickLang(c.Request()))
		return next(c)
	}
}

// preferenceCookie is the one place that decides the attributes of the
// lang and present cookies: a year long, never sent cross-site with a
// POST, HTTPS only in production like the session cookie.
func (a *App) preferenceCookie(name, value string) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.cfg.Production,
	}
}

// presenting reports presenter mode for r: ?present=1, or its cookie
// unless ?present=0.
func presenting(r *http.Request) bool {
	switch queryValue(r, "present") {
	case "1":
		return true
	case "0":
		return false
	}
	ck, err := r.Cookie(presentCookie)
	return err == nil && ck.Value == "1"
}

// langOf is the language choosePreferences picked for c's request.
func langOf(c echo.Context) string {
	if l, ok := c.Get(langKey).(string); ok {
		return l
	}
	return pickLang(c.Request()) // an error met before the middleware ran
}

func pickLang(r *http.Request) string {
	if l := queryValue(r, "lang"); isLang(l) {
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && isLang(ck.Value) {
		return ck.Value
	}
	accept := r.Header.Get("Accept-Language")
	if accept == "" { // scripts and probes: the matcher's answer, without its parse
		return "en"
	}
	tag, _ := language.MatchStrings(languageMatcher, accept)
	if base, _ := tag.Base(); base.String() == "ja" {
		return "ja"
	}
	return "en"
}

// queryValue is r's query parameter name, without parsing an empty query.
func queryValue(r *http.Request, name string) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return r.URL.Query().Get(name)
}

func isLang(l string) bool { return l == "en" || l == "ja" }

// translate returns the text of key in lang, falling back to English; a
// test checks that both catalogs hold the same keys.
func translate(lang, key string) string {
	if s, ok := catalog[lang][key]; ok {
		return s
	}
	if s, ok := catalog["en"][key]; ok {
		return s
	}
	return key
}
