package httpserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/vault"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

func newCredentialCache() *credentialCache {
	c := &credentialCache{}
	c.max, c.maxBytes = maxCachedCredentials, maxCachedCredentialBytes
	return c
}

// Ten times more users than the entry bound, then ten times more key bytes
// than the byte bound: both bounds hold throughout, the newest entry is
// served, and a key larger than the whole budget is not kept.
func TestCredentialCacheBounds(t *testing.T) {
	c := newCredentialCache()
	p := &platform{}
	for i := range 10 * maxCachedCredentials {
		u := store.User{Key: fmt.Sprintf("u%d-crm", i), APIKey: []byte("sealed")}
		c.keep(p, u, 8, http.DefaultTransport, c.generation())
		if len(c.m) > maxCachedCredentials || c.bytes > maxCachedCredentialBytes {
			t.Fatalf("after %d users: %d entries, %d bytes", i+1, len(c.m), c.bytes)
		}
	}
	last := store.User{Key: fmt.Sprintf("u%d-crm", 10*maxCachedCredentials-1), APIKey: []byte("sealed")}
	if _, ok := c.lookup(p, last); !ok {
		t.Error("the newest entry is gone")
	}

	big := bytes.Repeat([]byte("k"), 16<<10)
	for i := range 10 * maxCachedCredentialBytes / (2 * len(big)) {
		c.keep(p, store.User{Key: fmt.Sprintf("b%d-crm", i), APIKey: big}, len(big), http.DefaultTransport, c.generation())
		if len(c.m) > maxCachedCredentials || c.bytes > maxCachedCredentialBytes {
			t.Fatalf("after %d large keys: %d entries, %d bytes", i+1, len(c.m), c.bytes)
		}
	}
	huge := store.User{Key: "huge-crm", APIKey: bytes.Repeat([]byte("h"), maxCachedCredentialBytes)}
	c.keep(p, huge, len(huge.APIKey), http.DefaultTransport, c.generation())
	if _, ok := c.lookup(p, huge); ok {
		t.Error("a key larger than the byte budget was kept")
	}
}

// An entry serves only the sealed value (and platform) it was made from;
// forget drops it, and a transport made from a row read before a forget is
// not kept after it.
func TestCredentialCacheValidity(t *testing.T) {
	c := newCredentialCache()
	p, other := &platform{}, &platform{}
	u := store.User{Key: "u1-crm", APIKey: []byte("sealed-1")}
	c.keep(p, u, 8, http.DefaultTransport, c.generation())
	u.APIKey[0] = 'S' // the cache holds a copy, not the row's bytes
	u.APIKey = []byte("sealed-1")
	if _, ok := c.lookup(p, u); !ok {
		t.Fatal("same sealed value: miss")
	}
	if _, ok := c.lookup(other, u); ok {
		t.Error("another platform's user got the entry")
	}
	if _, ok := c.lookup(p, store.User{Key: "u1-crm", APIKey: []byte("sealed-2")}); ok {
		t.Error("a changed sealed value got the old entry")
	}
	c.forget("u1-crm")
	if _, ok := c.lookup(p, u); ok {
		t.Error("forgotten entry served")
	}
	gen := c.generation()
	c.forget("u2-crm")
	c.keep(p, u, 8, http.DefaultTransport, gen)
	if _, ok := c.lookup(p, u); ok {
		t.Error("kept a transport made before a forget")
	}
}

// Through the server: the CRM sees the user's key; a re-sealed key (a new
// login, or rotation to another key) is opened again, and the CRM sees the
// new one; an entry does not survive logout's forget.
func TestUserClientUsesTheCurrentSealedKey(t *testing.T) {
	seen := make(chan string, 1)
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get(testcrm.HeaderAPIKey)
	}))
	defer crm.Close()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/c.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sessions, err := auth.NewJWTIssuer([]byte("0123456789abcdef0123456789abcdef-credcache"))
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := auth.GenerateSealingKey("k1")
	k2, _ := auth.GenerateSealingKey("k2")
	ring1, _ := auth.NewSealingKeyRing(k1)
	s, err := New(Config{Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())}, Store: st, JWTIssuer: sessions, SealingKeys: ring1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.platforms["testcrm"]
	user := func(ring *auth.SealingKeyRing, key string) store.User {
		sealed, err := vault.New(ring).Seal("7-testcrm", vault.Secrets{APIKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return store.User{Key: "7-testcrm", Platform: "testcrm", APIKey: sealed.APIKey}
	}
	call := func(u store.User) string {
		t.Helper()
		c, err := s.userClient(context.Background(), p, u)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Get(crm.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return <-seen
	}
	u := user(ring1, "key-one")
	if got := call(u); got != "key-one" {
		t.Fatalf("CRM saw %q", got)
	}
	if _, ok := s.credentials.lookup(p, u); !ok {
		t.Fatal("the opened key was not kept")
	}
	if got := call(u); got != "key-one" {
		t.Fatalf("second request: CRM saw %q", got)
	}
	if got := call(user(ring1, "key-two")); got != "key-two" {
		t.Errorf("after the key changed the CRM saw %q", got)
	}
	// Rotation: the primary key is now k2 and the value is re-sealed under
	// it; the old one (k1) still opens what it sealed.
	ring2, _ := auth.NewSealingKeyRing(k2, k1)
	s.vault = vault.New(ring2)
	if got := call(user(ring2, "key-three")); got != "key-three" {
		t.Errorf("after rotation the CRM saw %q", got)
	}
	s.credentials.forget(u.Key)
	if _, ok := s.credentials.lookup(p, u); ok {
		t.Error("entry survived forget")
	}
}
