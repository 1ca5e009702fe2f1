package sessionstore

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// MAC is the HMAC-SHA256 under secret of parts, one after the other.
// Keying an HMAC costs two SHA-256 blocks and several allocations, more
// than the MAC of an ID itself, and a page takes two (its CSRF token and
// the twin's signed cookie); so MAC keeps keyed ones, for the last secret
// it was given, and resets them for reuse.
func MAC(secret []byte, parts ...string) [sha256.Size]byte {
	p := keyedMACs.Load()
	if p == nil || !bytes.Equal(p.secret, secret) {
		p = newMACPool(secret)
		keyedMACs.Store(p)
	}
	h := p.Get().(hash.Hash)
	h.Reset()
	for _, part := range parts {
		io.WriteString(h, part)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	p.Put(h)
	return sum
}

// macPool holds HMACs keyed with one secret.
type macPool struct {
	secret []byte
	sync.Pool
}

func newMACPool(secret []byte) *macPool {
	p := &macPool{secret: bytes.Clone(secret)}
	p.New = func() any { return hmac.New(sha256.New, p.secret) }
	return p
}

var keyedMACs atomic.Pointer[macPool]
