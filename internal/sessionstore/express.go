package sessionstore

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"redis-session-demo/internal/jsonappend"

	"github.com/gorilla/sessions"
	"github.com/rbcervilla/redisstore/v9"
)

// Express compatibility: with Options.Express set, the store reads and
// writes sessions exactly as express-session and connect-redis do, so that
// an Express app with the same secret, cookie name and prefix shares them.
//
//   - The cookie holds "s:" + ID + "." + signature, the signature being
//     HMAC-SHA256 of the ID under the secret in base64 without its trailing
//     "=" (cookie-signature), the whole URL-encoded as encodeURIComponent
//     does (so "s%3A…"). A cookie whose signature matches none of the
//     secrets is no cookie at all.
//   - New IDs are 24 random bytes in base64url: 32 characters (uid-safe).
//   - The stored JSON has a "cookie" object beside the values (see
//     ExpressSerializer); the key is prefix + ID; the TTL is what the
//     cookie has left, as connect-redis computes it.

// ExpressOptions turn on Express compatibility.
type ExpressOptions struct {
	// Secrets verify the signed cookie; the first also signs. More than one
	// lets a secret be replaced without logging anyone out.
	Secrets [][]byte
}

// Sign is the cookie value express-session sends for id under secret,
// before URL encoding: "s:" + id + "." + signature.
func Sign(id string, secret []byte) string {
	sum := MAC(secret, id)
	return "s:" + id + "." + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ExpressCookieValue is the session cookie's value as express-session
// sends it for id under secret: Sign, URL-encoded as encodeURIComponent
// does ("s%3A…").
func ExpressCookieValue(id string, secret []byte) string {
	return encodeURIComponent(Sign(id, secret))
}

// unsign returns the ID of a signed value when one of secrets signed it.
func unsign(value string, secrets [][]byte) (string, bool) {
	rest, ok := strings.CutPrefix(value, "s:")
	if !ok {
		return "", false
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return "", false
	}
	id := rest[:dot]
	for _, secret := range secrets {
		// Compare whole signed values in constant time, as cookie-signature does.
		if hmac.Equal([]byte(Sign(id, secret)), []byte(value)) {
			return id, true
		}
	}
	return "", false
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent does:
// everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string { return uriUnescapes.Replace(url.QueryEscape(s)) }

// uriUnescapes turns url.QueryEscape's output into encodeURIComponent's.
var uriUnescapes = strings.NewReplacer("%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*", "+", "%20")

// newExpressID is uid-safe's 24 random bytes in base64url: 32 characters.
func newExpressID() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// expressCookieKey is the key under which a session read by
// ExpressSerializer keeps its "cookie" object among the values: not a
// string, so it is never taken for one of the session's variables.
type expressCookieKey struct{}

// ExpressSerializer stores a session as express-session does with
// connect-redis: JSON.stringify of the session, that is the values plus a
// "cookie" object, such as
//
//	{"cookie":{"originalMaxAge":120000,"expires":"2026-11-29T20:39:57.391Z","httpOnly":true,"path":"/"},"value":0.377}
//
// express-session reads sess.cookie.expires when it loads a session, so a
// session written here must carry the object. On every write the object's
// expires and originalMaxAge are renewed; its other fields (secure, domain,
// sameSite, whatever Express put there) are kept as they were, as are
// values of any JSON type. It implements redisstore.SessionSerializer.
type ExpressSerializer struct {
	// Cookie describes the cookie this app sends, for sessions that have
	// no cookie object yet.
	Cookie ExpressCookie
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ExpressCookie is the part of express-session's cookie object this app
// decides.
type ExpressCookie struct {
	MaxAge   int // seconds
	Secure   bool
	SameSite string // "lax", as express-session stores it, or ""
}

var _ redisstore.SessionSerializer = ExpressSerializer{}

// Serialize encodes the values and the renewed cookie object.
func (e ExpressSerializer) Serialize(s *sessions.Session) ([]byte, error) {
	cookie, _ := s.Values[expressCookieKey{}].(map[string]any)
	if cookie == nil {
		cookie = map[string]any{"httpOnly": true, "path": "/"}
		if e.Cookie.Secure {
			cookie["secure"] = true
		}
		if e.Cookie.SameSite != "" {
			cookie["sameSite"] = e.Cookie.SameSite
		}
	}
	cookie = maps.Clone(cookie)
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	maxAge := time.Duration(e.Cookie.MaxAge) * time.Second
	cookie["originalMaxAge"] = maxAge.Milliseconds()
	cookie["expires"] = now().Add(maxAge).UTC().Format("2006-01-02T15:04:05.000Z")

	if _, taken := s.Values["cookie"]; taken {
		return nil, fmt.Errorf("%w: express: a variable named cookie would hide the cookie object", ErrUnreadable)
	}
	names := []string{"cookie"}
	for k := range s.Values {
		switch name := k.(type) {
		case string:
			names = append(names, name)
		case expressCookieKey:
		default:
			return nil, fmt.Errorf("%w: json: session key %v is a %T, not a string", ErrUnreadable, k, k)
		}
	}
	b, err := jsonappend.Object(nil, names, func(name string) any {
		if name == "cookie" {
			return cookie
		}
		return s.Values[name]
	}, false)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrUnreadable, err)
	}
	return b, nil
}

// Deserialize decodes b into the values, keeping the cookie object aside.
func (e ExpressSerializer) Deserialize(b []byte, s *sessions.Session) error {
	if err := (JSONSerializer{}).Deserialize(b, s); err != nil {
		return err
	}
	if cookie, ok := s.Values["cookie"].(map[string]any); ok {
		delete(s.Values, "cookie")
		s.Values[expressCookieKey{}] = cookie
	}
	return nil
}
