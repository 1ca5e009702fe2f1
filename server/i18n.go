package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
)

var languageMatcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

const langCookie = "lang"

// pickLang chooses the page language: ?lang=ja|en (remembered in a cookie of
// its own, not in the session), else that cookie, else Accept-Language.
func pickLang(c echo.Context) string {
	if l := c.QueryParam("lang"); isLang(l) {
		c.SetCookie(&http.Cookie{
			Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
		return l
	}
	if ck, err := c.Cookie(langCookie); err == nil && isLang(ck.Value) {
		return ck.Value
	}
	tag, _ := language.MatchStrings(languageMatcher, c.Request().Header.Get("Accept-Language"))
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
