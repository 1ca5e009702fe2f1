package sessionstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
)

// TestMACIsHMACSHA256: with secrets that change from call to call and
// from goroutine to goroutine, MAC gives what a freshly keyed HMAC gives.
func TestMACIsHMACSHA256(t *testing.T) {
	secrets := [][]byte{[]byte("WANTEDSECRET"), []byte("another secret"), []byte(strings.Repeat("k", 100)), {}}
	parts := [][]string{{"id"}, {"csrf\x00", "id"}, {}, {"", "a", "", "bc"}}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				secret, p := secrets[(g+i)%len(secrets)], parts[i%len(parts)]
				want := hmac.New(sha256.New, secret)
				want.Write([]byte(strings.Join(p, "")))
				if got := MAC(secret, p...); !hmac.Equal(got[:], want.Sum(nil)) {
					t.Errorf("MAC(%q, %q) = %x, want %x", secret, p, got, want.Sum(nil))
					return
				}
			}
		})
	}
	wg.Wait()
}
