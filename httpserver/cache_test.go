package httpserver

import (
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

func TestUserCacheDropsRowsReadBeforeAWrite(t *testing.T) {
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
