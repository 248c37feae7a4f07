package httpserver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

func TestUserCacheDropsRowsReadBeforeAWrite(t *testing.T) {
	t.Parallel()
	c := userCache{ttl: time.Minute, now: time.Now}
	c.max = 4
	gen := c.generation()
	// A reader fetched the row, then a writer changed it and forgot the
	// entry before the reader got to cache what it read.
	c.forget("u-1")
	c.keepIfUnchanged(store.User{Key: "u-1", Hostname: "old"}, gen)
	if _, ok := c.lookup("u-1"); ok {
		t.Fatal("a row read before a write was cached after it")
	}
	c.keepIfUnchanged(store.User{Key: "u-1", Hostname: "new"}, c.generation())
	if u, ok := c.lookup("u-1"); !ok || u.Hostname != "new" {
		t.Fatalf("fresh row not cached: %+v %v", u, ok)
	}
	// Bounded: more users than max still work, and the map never exceeds it.
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		c.keepIfUnchanged(store.User{Key: k}, c.generation())
	}
	if n := len(c.m); n > c.max {
		t.Errorf("%d entries, max %d", n, c.max)
	}
}

// TestNumberCacheBounded: only valid numbers are cached, and the cache
// never holds more than its byte budget, however many distinct values
// arrive.
func TestNumberCacheBounded(t *testing.T) {
	t.Parallel()
	var c numberCache
	c.max, c.maxBytes = 1<<20, 4096
	for _, raw := range []string{"abc", "+", "+999123456", "+1650555121"} {
		c.parse(raw)
		if _, ok := c.get(raw); ok {
			t.Errorf("%q was cached; only valid numbers may be", raw)
		}
	}
	for i := range 10000 {
		raw := fmt.Sprintf("+1650555%04d", i)
		if _, err := c.parse(raw); err != nil {
			t.Fatal(err)
		}
		c.mu.RLock()
		over := c.bytes > c.maxBytes
		c.mu.RUnlock()
		if over {
			t.Fatalf("after %d numbers the cache holds %d bytes, over its %d", i+1, c.bytes, c.maxBytes)
		}
	}
	if _, ok := c.get("+16505559999"); !ok {
		t.Error("the latest valid number is not cached")
	}
}

// TestFormatCacheBounded: a list too large for the budget is not cached.
func TestFormatCacheBounded(t *testing.T) {
	t.Parallel()
	var c formatCache
	c.max, c.maxBytes = 1024, 4096
	big := strings.Repeat("***-***-****,", 100)
	c.compile(big)
	if _, ok := c.get(big); ok {
		t.Error("a list larger than the byte budget was cached")
	}
	c.compile("(***) ***-****")
	if _, ok := c.get("(***) ***-****"); !ok {
		t.Error("a small list was not cached")
	}
}
