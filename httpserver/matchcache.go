package httpserver

import (
	"container/list"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/phone"
)

// The contact-match cache keeps the real matches of GET /contact for a short
// time. The client looks the same number up several times for one call
// (while it rings, at hang-up, when the log form opens, when it re-matches
// after logging), and on exact-match CRMs each lookup costs one or more
// rate-limited searches; the cache turns the repeats into none.
//
// What it holds and when it lets go:
//   - Key: the user's key, the number (E.164, or the extension as typed) and
//     the candidate strings the adapter would search. The candidates are
//     derived from the effective phone formats, so two requests share an
//     entry exactly when the adapter would be asked the same question.
//   - Only real matches: the no-match placeholder and every error (a CRM
//     429 included) are never cached, so the next lookup asks the CRM again.
//   - A user's entries are dropped when that user creates a contact, logs a
//     call to a contact the cached answer for that number did not hold (the
//     user found it some other way: the answer is stale), or logs out.
//   - Bounded by bytes (oldest entries go first), expiring after the TTL.
//   - Per process: with several replicas sharing PostgreSQL, each keeps its
//     own cache and another replica's contact creation is seen here within
//     the TTL at the latest. That is the price of not asking the database,
//     and why the TTL is short.
//
// It never serves one user's contacts to another: the user key is part of
// the key and is checked again on every hit.

// defaultContactCacheTTL is how long a lookup's matches are reused.
const defaultContactCacheTTL = 60 * time.Second

// matchCacheMaxBytes bounds the cache's estimated memory. An answer larger
// than a sixteenth of it is not cached at all: one hostile CRM answer must
// not flush every other user's entries.
const matchCacheMaxBytes = 8 << 20

// contactEntryOverhead approximates the bytes of an entry and of each
// contact beyond their strings (headers, map and list bookkeeping).
const (
	entryOverhead   = 160
	contactOverhead = 96
)

// maxTrackedUsers bounds the per-user invalidation marks.
const maxTrackedUsers = 65536

// ContactCacheStats counts the contact-match cache's work since the server
// started; see WithContactCacheTTL.
type ContactCacheStats struct {
	// Hits are lookups answered from the cache, without calling the adapter.
	Hits uint64
	// Misses are lookups that called the adapter (the cache being on).
	Misses uint64
	// Entries and Bytes are the cache's current size; Bytes is an estimate.
	Entries int
	Bytes   int64
}

// ContactCacheStats reports the contact-match cache's hit and miss counts
// and its size; a metrics exporter reads it. All zero when the cache is off.
func (s *Server) ContactCacheStats() ContactCacheStats { return s.matches.stats() }

// matchCache is the contact-match cache. The zero value with ttl 0 is off.
type matchCache struct {
	ttl      time.Duration
	now      func() time.Time
	maxBytes int64

	// gen counts invalidations. A lookup notes it before calling the
	// adapter and stores its answer only if its user was not invalidated
	// meanwhile, so an answer read before a contact was created is never
	// cached after that creation dropped the user's entries.
	gen          atomic.Uint64
	hits, misses atomic.Uint64
	metrics      cacheStats // Prometheus counters (WithMetrics); zero when off

	mu sync.Mutex
	// invalidatedAt is the generation of each user's last invalidation,
	// for at most maxTrackedUsers users; when it starts over, floor makes
	// every lookup noted before then count as invalidated.
	invalidatedAt map[string]uint64
	floor         uint64
	entries       map[string]*matchEntry            // full key -> entry
	byUser        map[string]map[string]*matchEntry // user key -> full key -> entry
	order         list.List                         // of *matchEntry, oldest first
	bytes         int64
}

type matchEntry struct {
	user, key, number string
	res               adapter.FindContactsResult
	// body is the JSON answer res makes (writeContacts), encoded once
	// when it was stored: a hit writes it as it is. Nil when the caller
	// stored none.
	body    []byte
	expires time.Time
	size    int64
	elem    *list.Element
}

func newMatchCache(ttl time.Duration, now func() time.Time) *matchCache {
	return &matchCache{
		ttl:      ttl,
		now:      now,
		maxBytes: matchCacheMaxBytes,
		entries:  map[string]*matchEntry{},
		byUser:   map[string]map[string]*matchEntry{},

		invalidatedAt: map[string]uint64{},
	}
}

func (c *matchCache) on() bool { return c != nil && c.ttl > 0 }

// appendMatchNumber appends the number part of a key: the E.164 form, or
// the extension.
func appendMatchNumber(b []byte, pq adapter.PhoneQuery) []byte {
	if pq.IsExtension {
		return append(append(b, "ext:"...), pq.Raw...)
	}
	if e := pq.Number.E164(); e != "" {
		return append(b, e...)
	}
	return append(append(b, "raw:"...), pq.Raw...)
}

// appendMatchKey appends the cache key of user's lookup of pq under the
// effective settings fingerprinted settings to b: the user, the
// fingerprint (8 bytes), the number and every candidate, NUL-separated.
// The adapter is handed the effective settings, which differ by telephony
// account (admin settings) and change over time, so an answer is only
// reused under the settings it was found with.
func appendMatchKey(b []byte, user string, settings uint64, pq adapter.PhoneQuery) []byte {
	b = append(b, user...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, settings)
	b = appendMatchNumber(b, pq)
	for _, c := range pq.Candidates {
		b = append(b, 0)
		b = append(b, c...)
	}
	return b
}

// matchNumber is the number part of a key, as a string.
func matchNumber(pq adapter.PhoneQuery) string { return string(appendMatchNumber(nil, pq)) }

func matchKey(user string, settings uint64, pq adapter.PhoneQuery) string {
	return string(appendMatchKey(nil, user, settings, pq))
}

// lookup returns the cached matches of user for pq, if fresh. It counts a
// miss otherwise; the caller then asks the adapter and calls store.
func (c *matchCache) lookup(user string, pq adapter.PhoneQuery) (adapter.FindContactsResult, bool) {
	res, _, ok := c.lookupAnswer(user, 0, pq)
	return res, ok
}

// lookupAnswer is lookup under the effective settings fingerprinted
// settings (settingsFingerprint) that also returns the JSON answer stored
// with the matches (storeAnswer), nil when none was.
func (c *matchCache) lookupAnswer(user string, settings uint64, pq adapter.PhoneQuery) (adapter.FindContactsResult, []byte, bool) {
	if !c.on() {
		return adapter.FindContactsResult{}, nil, false
	}
	// The key is built in a stack buffer and only converted for the map
	// index, which does not allocate: a hit costs no key allocation.
	var kb [256]byte
	key := appendMatchKey(kb[:0], user, settings, pq)
	c.mu.Lock()
	e := c.entries[string(key)]
	if e != nil && (e.user != user || !c.now().Before(e.expires)) {
		c.removeLocked(e)
		e = nil
	}
	c.mu.Unlock()
	c.metrics.record(e != nil)
	if e == nil {
		c.misses.Add(1)
		return adapter.FindContactsResult{}, nil, false
	}
	c.hits.Add(1)
	return e.res, e.body, true
}

// generation is noted before asking the adapter; see store.
func (c *matchCache) generation() uint64 {
	if !c.on() {
		return 0
	}
	return c.gen.Load()
}

// store caches a lookup's real matches, unless the user's entries were
// invalidated since gen was noted. Empty answers are never cached.
func (c *matchCache) store(user string, pq adapter.PhoneQuery, res adapter.FindContactsResult, gen uint64) {
	c.storeAnswer(user, 0, pq, res, nil, gen)
}

// storeAnswer is store under the effective settings fingerprinted
// settings that also keeps body, the JSON answer res makes, which the
// cache then owns: later hits write it without encoding again.
func (c *matchCache) storeAnswer(user string, settings uint64, pq adapter.PhoneQuery, res adapter.FindContactsResult, body []byte, gen uint64) {
	if !c.on() || len(res.Contacts) == 0 {
		return
	}
	key := matchKey(user, settings, pq)
	e := &matchEntry{user: user, key: key, number: matchNumber(pq), res: cloneResult(res), body: body}
	e.size = int64(entryOverhead+2*len(key)+len(e.number)+len(res.Message)+len(body)) + resultBytes(res)
	if e.size > c.maxBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.floor || c.invalidatedAt[user] > gen {
		return
	}
	if old := c.entries[key]; old != nil {
		c.removeLocked(old)
	}
	for c.bytes+e.size > c.maxBytes {
		oldest := c.order.Front()
		if oldest == nil {
			break
		}
		c.removeLocked(oldest.Value.(*matchEntry))
	}
	e.expires = c.now().Add(c.ttl)
	e.elem = c.order.PushBack(e)
	c.entries[key] = e
	m := c.byUser[user]
	if m == nil {
		m = map[string]*matchEntry{}
		c.byUser[user] = m
	}
	m[key] = e
	c.bytes += e.size
}

// holds reports whether a fresh cached answer of user for number (E.164)
// lists contactID. With nothing cached for the number it reports false.
func (c *matchCache) holds(user, number, contactID string) bool {
	if !c.on() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, e := range c.byUser[user] {
		if e.number != number || !now.Before(e.expires) {
			continue
		}
		for _, ct := range e.res.Contacts {
			if ct.ID == contactID {
				return true
			}
		}
	}
	return false
}

// invalidate drops every entry of user, and keeps lookups in flight from
// storing what they read before.
func (c *matchCache) invalidate(user string) {
	if !c.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.gen.Add(1)
	if len(c.invalidatedAt) >= maxTrackedUsers {
		c.invalidatedAt = map[string]uint64{}
		c.floor = g
	}
	c.invalidatedAt[user] = g
	for _, e := range c.byUser[user] {
		c.removeLocked(e)
	}
}

func (c *matchCache) removeLocked(e *matchEntry) {
	if c.entries[e.key] != e {
		return
	}
	delete(c.entries, e.key)
	if m := c.byUser[e.user]; m != nil {
		delete(m, e.key)
		if len(m) == 0 {
			delete(c.byUser, e.user)
		}
	}
	c.order.Remove(e.elem)
	c.bytes -= e.size
}

func (c *matchCache) stats() ContactCacheStats {
	if c == nil {
		return ContactCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return ContactCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.entries), Bytes: c.bytes}
}

// resultBytes estimates the memory of a result's contacts.
func resultBytes(res adapter.FindContactsResult) int64 {
	var n int
	for _, ct := range res.Contacts {
		n += contactOverhead + len(ct.ID) + len(ct.Name) + len(ct.Phone) + len(ct.Type) + len(ct.Organization)
		for k, opts := range ct.AdditionalInfo {
			n += 48 + len(k)
			for _, o := range opts {
				n += 32 + len(o.Const) + len(o.Title)
			}
		}
	}
	return int64(n)
}

// cloneResult copies what an adapter might still hold a reference to.
func cloneResult(res adapter.FindContactsResult) adapter.FindContactsResult {
	out := adapter.FindContactsResult{Message: res.Message, Contacts: make([]adapter.Contact, len(res.Contacts))}
	for i, ct := range res.Contacts {
		if ct.AdditionalInfo != nil {
			info := make(map[string][]adapter.Option, len(ct.AdditionalInfo))
			for k, opts := range ct.AdditionalInfo {
				info[k] = append([]adapter.Option(nil), opts...)
			}
			ct.AdditionalInfo = info
		}
		out.Contacts[i] = ct
	}
	return out
}

// matchCacheFor is the cache for this session's platform: nil (off) when
// its adapter opted out.
func (s *Server) matchCacheFor(sess *session) *matchCache {
	if sess.platform.uncached {
		return nil
	}
	return s.matches
}

// callLoggedTo drops the user's cached matches when a call was logged to a
// contact that the cached answer for the call's number did not list: the
// user found or made that contact some other way, so the answer is stale.
func (s *Server) callLoggedTo(sess *session, call adapter.Call, contactID string) {
	if !s.matches.on() {
		return
	}
	number := "raw:" + phone.Normalize(call.ContactPhone().PhoneNumber)
	if n, err := s.numbers.parse(call.ContactPhone().PhoneNumber); err == nil && n.E164() != "" {
		number = n.E164()
	}
	if !s.matches.holds(sess.user.Key, number, contactID) {
		s.matches.invalidate(sess.user.Key)
	}
}
