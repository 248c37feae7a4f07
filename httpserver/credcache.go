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
	// size is what the entry counts toward the byte bound, given back
	// when it is replaced or removed.
	size int
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
// The generation is checked under the lock forget moves it under, so a
// forget that comes in while keep runs either precedes the store (and
// keep stores nothing) or follows it (and removes what keep stored). An
// entry replacing another (the same user with a new sealed value) gives
// the old one's bytes back before its own are counted, so the byte bound
// holds whatever the sizes of successive values.
func (c *credentialCache) keep(p *platform, u store.User, plainLen int, rt http.RoundTripper, gen uint64) {
	if c.gen.Load() != gen {
		return
	}
	if c.beforePut != nil {
		c.beforePut()
	}
	size := len(u.Key) + mapEntryOverhead + len(u.APIKey) + plainLen + credentialOverhead
	if size > c.maxBytes {
		return
	}
	e := cachedCredential{platform: p, sealed: bytes.Clone(u.APIKey), rt: rt, size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	c.removeLocked(u.Key)
	if c.m == nil || len(c.m) >= c.max || c.bytes+size > c.maxBytes {
		c.m = make(map[string]cachedCredential, min(c.max, 1024))
		c.bytes = 0
	}
	c.m[u.Key] = e
	c.bytes += size
}

// removeLocked drops key's entry and gives its bytes back; c.mu is held.
func (c *credentialCache) removeLocked(key string) {
	if old, ok := c.m[key]; ok {
		delete(c.m, key)
		c.bytes -= old.size
	}
}

// forget drops a user's entry: at login and logout, and whenever this
// server writes the user's credentials.
func (c *credentialCache) forget(key string) {
	c.mu.Lock()
	c.gen.Add(1)
	c.removeLocked(key)
	c.mu.Unlock()
}
