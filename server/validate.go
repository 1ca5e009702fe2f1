package server

import (
	"regexp"
	"unicode/utf8"

	"github.com/gorilla/sessions"
)

// Limits on what a visitor can store.
const (
	MaxNameLength = 64   // characters of [A-Za-z0-9_.-]
	MaxValueBytes = 1024 // bytes of valid UTF-8
	MaxVariables  = 32   // per session, "value" included
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func validateName(name string) error {
	if !namePattern.MatchString(name) {
		return badRequest("error.name")
	}
	return nil
}

func validateValue(value string) error {
	if len(value) > MaxValueBytes || !utf8.ValidString(value) {
		return badRequest("error.value")
	}
	return nil
}

// setValue stores v under name unless that would make one variable too many.
func setValue(s *sessions.Session, name string, v any) error {
	if _, exists := s.Values[name]; !exists && len(s.Values) >= MaxVariables {
		return badRequest("error.too_many")
	}
	s.Values[name] = v
	return nil
}
