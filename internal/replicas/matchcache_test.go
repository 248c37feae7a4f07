package replicas

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
)

// The contact-match cache lives in each process: with replicas sharing
// PostgreSQL, a contact created through one replica drops that replica's
// cached matches at once, while the other replica serves its own cached
// answer until the TTL ends. Users never share entries.
func TestContactCacheIsPerReplica(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	crm := testcrm.NewCRM()
	c := newCluster(t, func() []adapter.Adapter { return []adapter.Adapter{testcrm.New(crm)} }, httpserver.WithClock(now))
	jwt := c.apiKeyLogin("k1")
	const q = "/contact?phoneNumber=+16505551212"
	count := func(i int) int {
		r, err := c.doOn(i, "GET", q, jwt, nil)
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := r.json(t)["contact"].([]any)
		return len(cs)
	}
	for i := range replicaCount {
		if n := count(i); n != 1 {
			t.Fatalf("replica %d: %d contacts", i, n)
		}
	}
	if n := crm.Invocations(testcrm.OpFind); n != replicaCount {
		t.Fatalf("%d CRM lookups, want one per replica", n)
	}
	// Replica 0 creates a contact with the same number.
	r, err := c.doOn(0, "POST", "/contact", jwt, map[string]any{"phoneNumber": "+16505551212", "newContactName": "Second"})
	if err != nil || !successful(r.json(t)) {
		t.Fatalf("create: %v %s", err, r.body)
	}
	if n := count(0); n != 2 {
		t.Errorf("replica 0 after its own create: %d contacts, want 2", n)
	}
	if n := count(1); n != 1 {
		t.Errorf("replica 1 within the TTL: %d contacts (its own cache), want 1", n)
	}
	offset.Add(int64(61 * time.Second))
	if n := count(1); n != 2 {
		t.Errorf("replica 1 after the TTL: %d contacts, want 2", n)
	}
	if st := c.servers[1].ContactCacheStats(); st.Hits != 1 {
		t.Errorf("replica 1 cache: %+v, want exactly one hit", st)
	}
}
