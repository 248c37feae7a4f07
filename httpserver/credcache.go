package httpserver

import (
	"bytes"
	"net/http"
	"sync/atomic"

	"github.com/crmbridge/crmbridge/store"
)

// credentialCache keeps, per user, the credentialed transport made from the
// user's sealed API key, so that a request does not open (decrypt) the key
// and wrap a new transport around it again: the same user's requests come
// in bursts (several lookups per call).
//
// An entry is used only for the very sealed value it was opened from: the
// request's user row must hold the same bytes. A new login, a changed key
// or a value re-sealed under another key (key rotation) is a new sealed
// value (sealing draws a fresh nonce every time), so a stale entry is never
// served; logout and login also drop the user's entry (forget), so the
// plaintext key does not outlive the session in memory. Keys are held
// inside the transport only, which prints them redacted; nothing here is
// logged.
//
// The cache is bounded by entries and by bytes; a key too long for the byte
// budget is opened on every request instead.
type credentialCache struct {
	// gen counts forgets: a transport made from a row read before a forget
	// is not kept after it (see userCache).
	gen atomic.Uint64
	boundedMap[cachedCredential]
	// beforePut, when set (tests only), runs between keep's generation
	// check and its store: where a forget can come in.
	beforePut func()
}

type cachedCredential struct {
	platform *platform
	sealed   []byte // a copy of the sealed key rt's key was opened from
	rt       http.RoundTripper
}

// Bounds of the credential cache: entries, and bytes (keys as sealed and
// opened, and about credentialOverhead per entry).
const (
	maxCachedCredentials     = 8192
	maxCachedCredentialBytes = 4 << 20
	credentialOverhead       = 128
)

// lookup returns the transport of u's current sealed API key on p.
func (c *credentialCache) lookup(p *platform, u store.User) (http.RoundTripper, bool) {
	e, ok := c.get(u.Key)
	if !ok || e.platform != p || !bytes.Equal(e.sealed, u.APIKey) {
		return nil, false
	}
	return e.rt, true
}

func (c *credentialCache) generation() uint64 { return c.gen.Load() }

// keep stores rt, made from u's sealed API key (plainLen bytes once
// opened) when the generation was gen, unless a forget happened since.
//
// A forget may come in between the check and the store: the generation is
// checked again after storing, and the entry dropped if one did. (forget
// moves the generation before it removes, so either it removes what keep
// stored, or keep sees the new generation and removes it itself.)
func (c *credentialCache) keep(p *platform, u store.User, plainLen int, rt http.RoundTripper, gen uint64) {
	if c.gen.Load() != gen {
		return
	}
	if c.beforePut != nil {
		c.beforePut()
	}
	c.putSized(u.Key, cachedCredential{platform: p, sealed: bytes.Clone(u.APIKey), rt: rt},
		len(u.APIKey)+plainLen+credentialOverhead)
	if c.gen.Load() != gen {
		c.remove(u.Key)
	}
}

// forget drops a user's entry: at login and logout, and whenever this
// server writes the user's credentials.
func (c *credentialCache) forget(key string) {
	c.gen.Add(1)
	c.remove(key)
}
