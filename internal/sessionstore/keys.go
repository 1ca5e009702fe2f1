package sessionstore

import (
	"fmt"
	"strings"
)

// Keys is the one key scheme of the app: every Redis key it writes is
// derived here from the session key prefix.
//
// A session lives under Prefix+ID, exactly as redisstore (and the tutorial's
// connect-redis) writes it, so `SCAN MATCH <prefix>*` lists the sessions and
// nothing else: a learner's scan shows what the tutorial's Redis viewer
// shows. The app's own bookkeeping (a change's lock, the report a POST leaves
// for the page after its redirect, the fixation lab's throw-away sessions)
// goes under a kind word in front of the session key, so it never mixes
// into that scan. A Redis ACL therefore needs the few patterns ACLPatterns
// lists, not one.
type Keys struct {
	// Prefix is put before the session ID (SESSION_KEY_PREFIX).
	Prefix string
}

// The kinds of this app's own bookkeeping keys, each put before a key of
// the scheme. The tutorial's Express app has none of them.
const (
	lockKind   = "lock:"
	flashKind  = "flash:"
	reportKind = "report:"
	rateKind   = "rate:new:"
)

// IsBookkeeping reports whether key (or a command's arguments, which start
// with it) is one of this app's bookkeeping keys: a lock, a flash, a report
// or a count of new sessions.
func IsBookkeeping(key string) bool {
	for _, kind := range []string{lockKind, flashKind, reportKind, rateKind} {
		if strings.HasPrefix(key, kind) {
			return true
		}
	}
	return false
}

// Session is the key a session is stored under.
func (k Keys) Session(id string) string { return k.Prefix + id }

// Lock is the key of session id's change lock.
func (k Keys) Lock(id string) string { return lockKind + k.Session(id) }

// Flash is the key holding what the last change of session id did, for the
// page its redirect leads to.
func (k Keys) Flash(id string) string { return flashKind + k.Session(id) }

// Report is the key of a destroyed session's report to the next page,
// named by a random token instead of the session's ID.
func (k Keys) Report(token string) string { return reportKind + k.Prefix + token }

// NewSessions is the key counting the sessions client made in the minute
// window (Unix time / 60).
func (k Keys) NewSessions(client string, window int64) string {
	return fmt.Sprintf("%s%s%s:%d", rateKind, k.Prefix, client, window)
}

// Pattern is the SCAN MATCH pattern of every session key.
func (k Keys) Pattern() string { return k.Prefix + "*" }

// Lab is the key scheme of the labs' throw-away sessions: no
// session key starts with it, and the lab deletes what it wrote.
func (k Keys) Lab() Keys { return Keys{Prefix: "lab:" + k.Prefix} }

// ID returns the session ID that key holds, and false when key is not a
// session key of this scheme (a lock or flash key, a key of another app
// that shares the prefix, anything not shaped like an ID this app issues).
func (k Keys) ID(key string) (string, bool) {
	if len(key) < len(k.Prefix) || key[:len(k.Prefix)] != k.Prefix {
		return "", false
	}
	id := key[len(k.Prefix):]
	return id, ValidID(id)
}

// ACLPatterns are the Redis ACL key patterns (~pattern) that cover every key
// the app reads or writes, the lab's included.
func (k Keys) ACLPatterns() []string {
	lab := k.Lab()
	return []string{
		k.Pattern(), k.Lock("*"), k.Flash("*"), k.Report("*"), rateKind + k.Pattern(),
		lab.Pattern(), lab.Lock("*"), lab.Flash("*"),
	}
}

// ValidID reports whether id has the shape of an ID this app issues: 43 or
// 32 characters of A–Z, a–z, 0–9, _ and -. Any other cookie value ("*",
// "..", 8 KiB of junk) is never sent to Redis.
//
// Session IDs are 32 random bytes in unpadded base64url (43 characters):
// 256 bits, and only characters that need no quoting in a cookie, a Redis
// key or a shell. express-session's are 24 bytes (32 characters). (A loop,
// not a regexp: it runs on every request.)
func ValidID(id string) bool {
	if len(id) != 43 && len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
