package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
)

var languageMatcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

const (
	langCookie = "lang"
	langKey    = "lang" // of the echo.Context value chooseLanguage sets
)

// chooseLanguage picks the page language once per request: ?lang=ja|en
// (remembered in a cookie of its own, not in the session), else that
// cookie, else Accept-Language. Pages read it with langOf.
func (a *App) chooseLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if l := c.QueryParam("lang"); isLang(l) {
			c.SetCookie(a.languageCookie(l))
		}
		c.Set(langKey, pickLang(c.Request()))
		return next(c)
	}
}

// languageCookie is the one place that decides the lang cookie's
// attributes: a year long, never sent cross-site with a POST, HTTPS only in
// production like the session cookie.
func (a *App) languageCookie(lang string) *http.Cookie {
	return &http.Cookie{
		Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.cfg.Production,
	}
}

// langOf is the language chooseLanguage picked for c's request.
func langOf(c echo.Context) string {
	if l, ok := c.Get(langKey).(string); ok {
		return l
	}
	return pickLang(c.Request()) // an error met before the middleware ran
}

func pickLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); isLang(l) {
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && isLang(ck.Value) {
		return ck.Value
	}
	tag, _ := language.MatchStrings(languageMatcher, r.Header.Get("Accept-Language"))
	if base, _ := tag.Base(); base.String() == "ja" {
		return "ja"
	}
	return "en"
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
