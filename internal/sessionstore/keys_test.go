package sessionstore

import (
	"path"
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	k := Keys{Prefix: "dev.blog:"}
	id := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, tc := range []struct{ got, want string }{
		{k.Session(id), "dev.blog:" + id},
		{k.Lock(id), "lock:dev.blog:" + id},
		{k.Flash(id), "flash:dev.blog:" + id},
		{k.Pattern(), "dev.blog:*"},
		{k.Lab().Session(id), "lab:dev.blog:" + id},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for key, want := range map[string]bool{
		k.Session(id):               true,
		k.Lock(id):                  false,
		"dev.blog:short":            false,
		"dev.blog:" + id + "x":      false,
		"other:" + id:               false,
		k.Lab().Session(id):         false,
		"dev.blog:" + id[:42] + "*": false,
	} {
		if got, ok := k.ID(key); ok != want || (ok && got != id) {
			t.Errorf("ID(%q) = %q, %v; want ok=%v", key, got, ok, want)
		}
	}
}

// Every key the scheme derives falls under one of its ACL patterns, and the
// session pattern alone matches no bookkeeping key.
func TestACLPatternsCoverEveryKey(t *testing.T) {
	for _, prefix := range []string{"dev.blog:", "dev.blog", ""} {
		k := Keys{Prefix: prefix}
		id := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		for _, key := range []string{k.Session(id), k.Lock(id), k.Flash(id), k.Report(id), k.NewSessions("203.0.113.9", 29933142),
			k.Lab().Session(id), k.Lab().Lock(id), k.Lab().Flash(id)} {
			covered := false
			for _, p := range k.ACLPatterns() {
				if ok, _ := path.Match(p, key); ok {
					covered = true
				}
			}
			if !covered {
				t.Errorf("prefix %q: %s is under no ACL pattern %v", prefix, key, k.ACLPatterns())
			}
		}
		if prefix != "" {
			for _, key := range []string{k.Lock(id), k.Flash(id), k.Report(id), k.NewSessions("203.0.113.9", 1), k.Lab().Session(id)} {
				if ok, _ := path.Match(k.Pattern(), key); ok {
					t.Errorf("prefix %q: the session scan would list %s", prefix, key)
				}
			}
		}
	}
}

// IsBookkeeping tells this app's own keys from the session keys the
// tutorial's app would have too, whatever the prefix.
func TestIsBookkeeping(t *testing.T) {
	for _, prefix := range []string{"dev.blog:", ""} {
		k := Keys{Prefix: prefix}
		id := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		for key, want := range map[string]bool{
			k.Session(id): false, k.Lab().Session(id): false,
			k.Lock(id): true, k.Flash(id): true, k.Report(id): true, k.NewSessions("203.0.113.9", 1): true,
			k.Lab().Lock(id) + " token NX PX 5000": true,
		} {
			if got := IsBookkeeping(key); got != want {
				t.Errorf("IsBookkeeping(%q) = %v, want %v", key, got, want)
			}
		}
	}
}

func TestValidID(t *testing.T) {
	id43 := strings.Repeat("aZ09_-", 7) + "x"
	id32 := strings.Repeat("Ab3-", 8)
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{id43, true},
		{id32, true},
		{id43[:42], false},
		{id43 + "x", false},
		{id32[:31], false},
		{"", false},
		{id43[:42] + ".", false},
		{id43[:42] + "*", false},
		{id43[:42] + "+", false},
		{id43[:42] + "/", false},
		{id43[:42] + "=", false},
		{id43[:42] + ":", false},
		{id32[:31] + " ", false},
		{id43[:41] + "é", false}, // 43 bytes, two of them not ASCII
		// the neighbours of the ranges allowed
		{id32[:31] + "@", false},
		{id32[:31] + "[", false},
		{id32[:31] + "`", false},
		{id32[:31] + "{", false},
		{id32[:31] + "/", false},
		{id32[:31] + ",", false},
		{"AZaz09_-" + id32[:24], true},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) (%d bytes) = %v, want %v", tc.id, len(tc.id), got, tc.want)
		}
	}
}
