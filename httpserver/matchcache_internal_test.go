package httpserver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/phone"
)

func query(t *testing.T, raw string, formats string) adapter.PhoneQuery {
	t.Helper()
	n, err := phone.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return adapter.PhoneQuery{Raw: raw, Number: n, Candidates: phone.Candidates(n, phone.CompileFormats(formats), 0)}
}

func answer(name string) adapter.FindContactsResult {
	return adapter.FindContactsResult{Contacts: []adapter.Contact{{ID: "1", Name: name}}}
}

// Ten times more answers than the byte bound holds: the bound holds, the
// oldest entries go first, and the newest are still served.
func TestMatchCacheByteBound(t *testing.T) {
	t.Parallel()
	c := newMatchCache(time.Minute, time.Now)
	c.maxBytes = 64 << 10
	big := strings.Repeat("x", 1000)
	var perEntry int64
	n := 0
	for c.bytes == 0 || int64(n) < 10*c.maxBytes/perEntry {
		q := query(t, fmt.Sprintf("+1650555%04d", n), "")
		c.store("u1", q, answer(big), c.generation())
		if perEntry == 0 {
			perEntry = c.bytes
		}
		if c.bytes > c.maxBytes {
			t.Fatalf("after %d stores: %d bytes > bound %d", n+1, c.bytes, c.maxBytes)
		}
		n++
	}
	if _, ok := c.lookup("u1", query(t, "+16505550000", "")); ok {
		t.Error("the oldest entry survived ten times the bound")
	}
	if _, ok := c.lookup("u1", query(t, fmt.Sprintf("+1650555%04d", n-1), "")); !ok {
		t.Error("the newest entry is gone")
	}
	if len(c.entries) != len(c.byUser["u1"]) || c.order.Len() != len(c.entries) {
		t.Errorf("indexes disagree: %d entries, %d by user, %d in order", len(c.entries), len(c.byUser["u1"]), c.order.Len())
	}
	// One answer larger than a sixteenth of the bound is not cached at all.
	c.store("u2", query(t, "+16505551212", ""), answer(strings.Repeat("y", int(c.maxBytes/8))), c.generation())
	if _, ok := c.lookup("u2", query(t, "+16505551212", "")); ok {
		t.Error("an oversized answer was cached")
	}
}

// A lookup that read the CRM before an invalidation must not store its
// (possibly stale) answer after it.
func TestMatchCacheInvalidationWinsOverLookupInFlight(t *testing.T) {
	t.Parallel()
	c := newMatchCache(time.Minute, time.Now)
	q := query(t, "+16505551212", "")
	gen := c.generation()
	c.invalidate("u1") // e.g. the user created a contact meanwhile
	c.store("u1", q, answer("stale"), gen)
	if _, ok := c.lookup("u1", q); ok {
		t.Error("an answer read before the invalidation was cached after it")
	}
	c.store("u1", q, answer("fresh"), c.generation())
	if res, ok := c.lookup("u1", q); !ok || res.Contacts[0].Name != "fresh" {
		t.Errorf("fresh answer: %v %v", res, ok)
	}
	if _, ok := c.lookup("u2", q); ok {
		t.Error("another user got u1's answer")
	}
	// Another user's invalidation does not keep u2's lookup from being cached.
	gen = c.generation()
	c.invalidate("u3")
	c.store("u2", q, adapter.FindContactsResult{Contacts: []adapter.Contact{{ID: "9", Name: "u2's"}}}, gen)
	if res, ok := c.lookup("u2", q); !ok || res.Contacts[0].Name != "u2's" {
		t.Error("u3's invalidation dropped u2's answer")
	}
	if !c.holds("u1", q.Number.E164(), "1") || c.holds("u1", q.Number.E164(), "2") || c.holds("u2", q.Number.E164(), "1") {
		t.Error("holds is wrong")
	}
}

// Invalidation marks are bounded: past maxTrackedUsers they start over, and
// every lookup noted before that counts as invalidated (never a stale
// answer, at worst one more CRM call).
func TestMatchCacheInvalidationMarksBounded(t *testing.T) {
	t.Parallel()
	c := newMatchCache(time.Minute, time.Now)
	q := query(t, "+16505551212", "")
	gen := c.generation()
	for i := range 10 * maxTrackedUsers {
		c.invalidate(fmt.Sprint("user-", i))
		if len(c.invalidatedAt) > maxTrackedUsers {
			t.Fatalf("%d marks", len(c.invalidatedAt))
		}
	}
	c.store("user-0", q, answer("stale"), gen)
	if _, ok := c.lookup("user-0", q); ok {
		t.Error("a lookup noted before its user's forgotten invalidation was cached")
	}
}

// The adapter's result is copied: changing it afterwards changes nothing.
func TestMatchCacheCopiesAnswers(t *testing.T) {
	t.Parallel()
	c := newMatchCache(time.Minute, time.Now)
	q := query(t, "+16505551212", "")
	res := adapter.FindContactsResult{Contacts: []adapter.Contact{{ID: "1", AdditionalInfo: map[string][]adapter.Option{"deals": {{Const: "d1", Title: "Deal"}}}}}}
	c.store("u1", q, res, c.generation())
	res.Contacts[0].ID = "changed"
	res.Contacts[0].AdditionalInfo["deals"][0].Title = "changed"
	got, _ := c.lookup("u1", q)
	if got.Contacts[0].ID != "1" || got.Contacts[0].AdditionalInfo["deals"][0].Title != "Deal" {
		t.Errorf("cached answer changed with the adapter's: %+v", got.Contacts[0])
	}
}
