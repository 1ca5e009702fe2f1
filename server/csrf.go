package server

import (
	"crypto/hmac"
	"encoding/base64"

	"redis-session-demo/internal/sessionstore"
)

// csrfToken is the token a form must send to change session id: an HMAC of
// the ID under the app's secret. It is bound to the session (another
// session's token does not fit), changes when the ID rotates, and needs no
// storage, so it is not among the session's values.
func csrfToken(secret []byte, id string) string {
	sum := sessionstore.MAC(secret, "csrf\x00", id)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validCSRF reports, in constant time, whether token belongs to session id.
func validCSRF(secret []byte, id, token string) bool {
	if id == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(csrfToken(secret, id)), []byte(token))
}
