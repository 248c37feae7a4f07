package httpserver

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/crmbridge/crmbridge/store"
)

// heldCredentialBytes is what the cache's entries really hold: every
// sealed copy, and the opened key (as long as the sealed one here).
func heldCredentialBytes(c *credentialCache) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for k, e := range c.m {
		n += len(k) + 2*len(e.sealed)
	}
	return n
}

// The byte bound holds when users' entries are replaced by larger ones (a
// new login with a longer key is the same user key with a new sealed
// value), at ten times the budget: a replaced entry's bytes were counted
// as its first, small value's, so the cache could hold any multiple of its
// budget. Removing an entry gives its bytes back.
func TestCredentialCacheBytesBoundOnReplace(t *testing.T) {
	t.Parallel()
	c := newCredentialCache()
	p := &platform{}
	const users = 40
	big := (10 * maxCachedCredentialBytes) / (users * 2) // 10x the budget in all
	for i := range users {
		c.keep(p, store.User{Key: fmt.Sprintf("u%d-crm", i), APIKey: []byte("s")}, 1, http.DefaultTransport, c.generation())
	}
	for i := range users {
		u := store.User{Key: fmt.Sprintf("u%d-crm", i), APIKey: bytes.Repeat([]byte{'x'}, big)}
		c.keep(p, u, big, http.DefaultTransport, c.generation())
		if held := heldCredentialBytes(c); held > maxCachedCredentialBytes {
			t.Fatalf("after replacing %d entries: %d bytes held, budget %d (counted %d)", i+1, held, maxCachedCredentialBytes, c.bytes)
		}
	}
	c.forget(fmt.Sprintf("u%d-crm", users-1))
	if len(c.m) == 0 && c.bytes != 0 || c.bytes < 0 {
		t.Errorf("empty cache counts %d bytes", c.bytes)
	}
	for k := range c.m {
		c.forget(k)
	}
	if c.bytes != 0 {
		t.Errorf("after forgetting every entry the cache counts %d bytes", c.bytes)
	}
}
