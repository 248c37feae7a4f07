package httpserver

import (
	"net/http"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/store"
)

// A forget (logout, login) that comes in after keep checked the generation
// but before it stored the transport still leaves no entry: the opened key
// must not outlive the logout in memory.
func TestCredentialCacheForgetBetweenCheckAndStore(t *testing.T) {
	t.Parallel()
	c := newCredentialCache()
	p := &platform{}
	u := store.User{Key: "u1-crm", APIKey: []byte("sealed-1")}
	c.beforePut = func() { c.forget(u.Key) }
	c.keep(p, u, 8, http.DefaultTransport, c.generation())
	c.beforePut = nil
	if _, ok := c.lookup(p, u); ok {
		t.Error("a transport kept across a forget that came in during keep")
	}
	c.keep(p, u, 8, http.DefaultTransport, c.generation())
	if _, ok := c.lookup(p, u); !ok {
		t.Error("without a forget the transport is not kept")
	}
}

// Many goroutines of one user look up, keep and forget at once (go test
// -race): every transport served is one made from the sealed value asked
// for, and after the last forget nothing is left.
func TestCredentialCacheConcurrentSameUser(t *testing.T) {
	t.Parallel()
	c := newCredentialCache()
	p := &platform{}
	rts := map[string]http.RoundTripper{}
	for _, s := range []string{"sealed-a", "sealed-b", "sealed-c"} {
		rts[s] = &http.Transport{}
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				sealed := []string{"sealed-a", "sealed-b", "sealed-c"}[(g+i)%3]
				u := store.User{Key: "u1-crm", APIKey: []byte(sealed)}
				if rt, ok := c.lookup(p, u); ok && rt != rts[sealed] {
					t.Errorf("sealed %s served another value's transport", sealed)
					return
				}
				gen := c.generation()
				c.keep(p, u, 8, rts[sealed], gen)
				if i%7 == 0 {
					c.forget(u.Key)
				}
			}
		}()
	}
	wg.Wait()
	c.forget("u1-crm")
	for _, s := range []string{"sealed-a", "sealed-b", "sealed-c"} {
		if _, ok := c.lookup(p, store.User{Key: "u1-crm", APIKey: []byte(s)}); ok {
			t.Errorf("%s still cached after the last forget", s)
		}
	}
}
