package httpserver

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmbridge/crmbridge/phone"
	"github.com/crmbridge/crmbridge/store"
)

// boundedMap is a map that starts over when it reaches max entries: bounded
// memory without bookkeeping per entry. The sets it holds (a few numbers and
// users per active user) fit comfortably; when they do not, entries are
// simply computed again.
type boundedMap[V any] struct {
	max int
	// maxBytes, when positive, also bounds the estimated bytes held (keys
	// and values, see putSized): a cache keyed by client input must not
	// grow with the size of that input.
	maxBytes int
	bytes    int
	stats    cacheStats // hit and miss counters (WithMetrics); zero when off
	mu       sync.RWMutex
	m        map[string]V
}

func (b *boundedMap[V]) get(key string) (V, bool) {
	b.mu.RLock()
	v, ok := b.m[key]
	b.mu.RUnlock()
	return v, ok
}

// getBytes is get of string(key), without converting the key to a string:
// a caller builds the key of a lookup on the stack.
func (b *boundedMap[V]) getBytes(key []byte) (V, bool) {
	b.mu.RLock()
	v, ok := b.m[string(key)]
	b.mu.RUnlock()
	return v, ok
}

func (b *boundedMap[V]) put(key string, v V) { b.putSized(key, v, 0) }

// mapEntryOverhead approximates what a map entry costs beyond its key and
// value bytes (bucket slot, string and slice headers).
const mapEntryOverhead = 64

// putSized stores v, which holds about size bytes besides its key. An entry
// larger than the whole byte budget is not stored.
func (b *boundedMap[V]) putSized(key string, v V, size int) {
	size += len(key) + mapEntryOverhead
	if b.maxBytes > 0 && size > b.maxBytes {
		return
	}
	b.mu.Lock()
	if b.m == nil || len(b.m) >= b.max || b.maxBytes > 0 && b.bytes+size > b.maxBytes {
		b.m = make(map[string]V, min(b.max, 1024))
		b.bytes = 0
	}
	if _, had := b.m[key]; !had {
		b.bytes += size
	}
	b.m[key] = v
	b.mu.Unlock()
}

func (b *boundedMap[V]) remove(key string) {
	b.mu.Lock()
	delete(b.m, key)
	b.mu.Unlock()
}

// numberCache keeps parsed phone numbers by the raw query value. Parsing is
// the most expensive step of a lookup (about 20 us: region detection and the
// validity check), and the client looks the same number up several times
// per call: when it rings, when it is answered, when it is logged. Only
// valid numbers are kept (a failure, or a number no plan knows, is parsed
// again: hostile input must not fill the cache), and the cache is bounded by
// bytes as well as entries.
type numberCache struct{ boundedMap[phone.Number] }

func (c *numberCache) parse(raw string) (phone.Number, error) {
	n, ok := c.get(raw)
	c.stats.record(ok)
	if ok {
		return n, nil
	}
	n, err := phone.Parse(raw)
	if err == nil && n.Valid() {
		c.putSized(raw, n, len(n.E164())+len(n.NationalNumber())+len(n.Region()))
	}
	return n, err
}

// formatCache keeps compiled overridingFormat lists: a user sends the same
// list with every lookup.
type formatCache struct{ boundedMap[phone.Formats] }

func (c *formatCache) compile(list string) phone.Formats {
	f, ok := c.get(list)
	c.stats.record(ok)
	if ok {
		return f
	}
	f = phone.CompileFormats(list)
	// Compiled patterns hold their text and one offset per placeholder:
	// at most the list's length in bytes, plus 8 per placeholder byte.
	c.putSized(list, f, 9*len(list))
	return f
}

// userCache keeps user rows for a short time (WithUserCacheTTL), so that a
// burst of requests of one user reads the database once. Every write this
// server makes to a user drops its entry, so one server never serves its own
// stale row; another replica's write (a token refresh, a logout) is seen
// within the TTL. A stale OAuth token heals itself: a CRM 401 makes the
// refresher re-read the database under the refresh lock.
type userCache struct {
	ttl time.Duration
	now func() time.Time
	// gen counts forgets. A row read before a write must not be cached
	// after that write's forget: readers note gen before reading and keep
	// the row only if no forget happened meanwhile.
	gen atomic.Uint64
	boundedMap[cachedUser]
}

type cachedUser struct {
	u       store.User
	expires time.Time
}

func (c *userCache) lookup(key string) (store.User, bool) {
	if c.ttl <= 0 {
		return store.User{}, false
	}
	e, ok := c.get(key)
	ok = ok && c.now().Before(e.expires)
	c.stats.record(ok)
	if !ok {
		return store.User{}, false
	}
	return e.u, true
}

func (c *userCache) generation() uint64 { return c.gen.Load() }

// keepIfUnchanged caches u, read when the generation was gen, unless a
// write has dropped an entry since.
func (c *userCache) keepIfUnchanged(u store.User, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]cachedUser, min(c.max, 1024))
	}
	c.m[u.Key] = cachedUser{u: u, expires: c.now().Add(c.ttl)}
}

// forget drops a user's entry after a write.
func (c *userCache) forget(key string) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.m, key)
	c.mu.Unlock()
}

// candidateCache keeps what a phone lookup derives from a valid number and
// the effective formats: the normalized number, the parsed number and its
// search candidates, keyed by the raw query value and the format list
// (candidateKey). The client looks the same number up with the same formats
// several times per call, and on a hit neither the number nor the formats
// are read again (so their caches see no lookup). As the number cache, it
// keeps valid numbers only (hostile input must not fill it), and it is
// bounded by bytes as well as entries: a key holds up to 16 format
// patterns, and their candidates with it.
type candidateCache struct{ boundedMap[phoneLookup] }

// phoneLookup is a cached expansion. Candidates is shared by every hit:
// get returns a copy of it.
type phoneLookup struct {
	norm       string
	number     phone.Number
	candidates []string
}

// candidateKey appends the key of raw with the format list to b: raw's
// length in one byte, raw, the list. The length keeps any two pairs apart
// whatever bytes they hold; phoneQuery refuses a raw value over
// maxPhoneNumberBytes (far below 256) before it makes a key.
func candidateKey(b []byte, raw, formats string) []byte {
	return append(append(append(b, byte(len(raw))), raw...), formats...)
}

// get returns the expansion stored under key, with candidates of the
// caller's own: an adapter may change its query's slice.
func (c *candidateCache) get(key []byte) (phoneLookup, bool) {
	e, ok := c.getBytes(key)
	c.stats.record(ok)
	if ok {
		e.candidates = slices.Clone(e.candidates)
	}
	return e, ok
}

// keep stores e under key when its number is valid.
func (c *candidateCache) keep(key []byte, e phoneLookup) {
	if !e.number.Valid() {
		return
	}
	// The strings, their headers, and the number's own strings.
	size := len(e.norm) + len(e.number.E164()) + len(e.number.NationalNumber()) + len(e.number.Region()) + 64
	for _, s := range e.candidates {
		size += len(s) + 16
	}
	e.candidates = slices.Clip(e.candidates)
	c.putSized(string(key), e, size)
}
