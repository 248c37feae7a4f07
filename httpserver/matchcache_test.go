package httpserver_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
)

// perUserCRM answers each user with a contact of its own, so that a cached
// answer served to the wrong user shows in the ids.
type perUserCRM struct {
	*testcrm.Adapter
	finds atomic.Int32
}

func (p *perUserCRM) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	p.finds.Add(1)
	return adapter.FindContactsResult{Contacts: []adapter.Contact{{ID: "of-" + req.User.ID, Name: "Own contact"}}}, nil
}

// optedOut is testcrm refusing the contact-match cache.
type optedOut struct{ *testcrm.Adapter }

func (optedOut) CacheContactMatches() bool { return false }

func (h *harness) lookup(jwt, query string) response {
	h.t.Helper()
	r := h.do("GET", "/contact?jwtToken="+jwt+"&"+query, nil)
	if r.status != 200 {
		h.t.Fatalf("lookup %s: %d %s", query, r.status, r.body)
	}
	return r
}

func TestContactCacheAnswersRepeats(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	h := newHarness(t, func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithClock(clk.now)) })
	jwt := h.login("k1")
	const q = "phoneNumber=+16505551212&overridingFormat=***-***-****,(***)%20***-****"
	first := h.lookup(jwt, q)
	for range 3 {
		if r := h.lookup(jwt, q); string(r.body) != string(first.body) {
			t.Fatalf("a cached answer differs:\n%s\n%s", first.body, r.body)
		}
	}
	if n := h.crm.Invocations(testcrm.OpFind); n != 1 {
		t.Errorf("4 lookups of one number called the CRM %d times, want 1", n)
	}
	if st := h.handler.ContactCacheStats(); st.Hits != 3 || st.Misses != 1 || st.Entries != 1 || st.Bytes <= 0 {
		t.Errorf("stats = %+v", st)
	}
	// Other effective formats are another question.
	h.lookup(jwt, "phoneNumber=+16505551212")
	if n := h.crm.Invocations(testcrm.OpFind); n != 2 {
		t.Errorf("another format list must reach the CRM: %d calls", n)
	}
	// After the TTL the CRM is asked again.
	clk.advance(61 * time.Second)
	h.lookup(jwt, q)
	if n := h.crm.Invocations(testcrm.OpFind); n != 3 {
		t.Errorf("expired entry served: %d calls", n)
	}
}

func TestContactCacheNeverCachesNoMatchOrErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	for range 2 {
		r := h.lookup(jwt, "phoneNumber=+16505550000")
		if cs := contacts(t, r); len(cs) != 1 || cs[0]["id"] != "createNewContact" {
			t.Fatalf("want the placeholder: %s", r.body)
		}
	}
	if n := h.crm.Invocations(testcrm.OpFind); n != 2 {
		t.Errorf("no-match answers were cached: %d CRM calls for 2 lookups", n)
	}

	// A CRM 429 answers the rate-limit warning and leaves nothing behind.
	h.crm.FailNext(testcrm.OpFind, &adapter.RateLimitError{RetryAfter: 10 * time.Second})
	r := h.lookup(jwt, "phoneNumber=+16505551212")
	m := r.json(t)
	if m["successful"] != false || msg(m) != "Rate limit exceeded" || msgType(m) != "warning" {
		t.Fatalf("429: %s", r.body)
	}
	if st := h.handler.ContactCacheStats(); st.Entries != 0 {
		t.Errorf("a rate-limited lookup left %d entries", st.Entries)
	}
	r = h.lookup(jwt, "phoneNumber=+16505551212")
	if diff := cmp.Diff([]string{"1001"}, ids(contacts(t, r))); diff != "" {
		t.Errorf("after the 429: %s", diff)
	}
	if n := h.crm.Invocations(testcrm.OpFind); n != 4 {
		t.Errorf("the lookup after a 429 must reach the CRM: %d calls, want 4", n)
	}
	h.lookup(jwt, "phoneNumber=+16505551212")
	if n := h.crm.Invocations(testcrm.OpFind); n != 4 {
		t.Errorf("the successful answer after the 429 was not cached: %d calls", n)
	}
}

func TestContactCacheNeverCrossesUsers(t *testing.T) {
	t.Parallel()
	crm := &perUserCRM{Adapter: testcrm.New(testcrm.NewCRM())}
	h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{crm} })
	alice, bob := h.login("alice-key"), h.login("bob-key")
	for range 3 {
		for _, u := range []struct{ jwt, key string }{{alice, "alice-key"}, {bob, "bob-key"}} {
			r := h.lookup(u.jwt, "phoneNumber=+16505551212")
			want := []string{"of-" + testcrm.UserID(u.key)}
			if diff := cmp.Diff(want, ids(contacts(t, r))); diff != "" {
				t.Fatalf("user %s got another user's contacts: %s", u.key, diff)
			}
		}
	}
	if n := crm.finds.Load(); n != 2 {
		t.Errorf("2 users x 3 lookups: %d CRM calls, want 2 (one per user)", n)
	}
}

func TestContactCacheInvalidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	const q = "phoneNumber=+16505551212"
	finds := func() int { return h.crm.Invocations(testcrm.OpFind) }
	h.lookup(jwt, q)

	// Creating a contact drops the user's entries: the new one is found.
	r := h.do("POST", "/contact", map[string]any{"phoneNumber": "+16505551212", "newContactName": "Second Alice"}, bearer(jwt)...)
	created, _ := r.json(t)["contact"].(map[string]any)
	if created == nil {
		t.Fatalf("create: %s", r.body)
	}
	r = h.lookup(jwt, q)
	if got := ids(contacts(t, r)); len(got) != 2 || finds() != 2 {
		t.Fatalf("after creating a contact: ids %v, %d CRM calls", got, finds())
	}

	// Logging to a contact of the cached answer keeps it.
	body := callLogBody("s-1", "1001")
	if m := h.do("POST", "/callLog", body, bearer(jwt)...).json(t); m["successful"] != true {
		t.Fatalf("log: %v", m)
	}
	h.lookup(jwt, q)
	if finds() != 2 {
		t.Errorf("a log to a listed contact dropped the cache: %d calls", finds())
	}
	// Logging to a contact it did not list drops it.
	h.crm.AddContact(testcrm.Contact{Name: "Found by name", Phone: "+16505551212"})
	body = callLogBody("s-2", "1003")
	delete(body, "additionalSubmission")
	if m := h.do("POST", "/callLog", body, bearer(jwt)...).json(t); m["successful"] != true {
		t.Fatalf("log: %v", m)
	}
	r = h.lookup(jwt, q)
	if got := ids(contacts(t, r)); len(got) != 3 || finds() != 3 {
		t.Errorf("after a log to an unlisted contact: ids %v, %d calls", got, finds())
	}

	// Logging out drops them; the next session asks the CRM.
	if r := h.do("POST", "/unAuthorize", nil, bearer(jwt)...); r.status != 200 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	jwt = h.login("k1")
	h.lookup(jwt, q)
	if finds() != 4 {
		t.Errorf("logout kept the cache: %d calls", finds())
	}
}

func TestContactCacheOffAndOptOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  func(*harnessConfig)
	}{
		{"ttl 0", func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithContactCacheTTL(0)) }},
		{"adapter opts out", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *harness
			if tc.cfg != nil {
				h = newHarness(t, tc.cfg)
			} else {
				crm := testcrm.NewCRM()
				h = newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{optedOut{testcrm.New(crm)}} })
				h.crm = crm
			}
			jwt := h.login("k1")
			for range 3 {
				h.lookup(jwt, "phoneNumber=+16505551212")
			}
			if n := h.crm.Invocations(testcrm.OpFind); n != 3 {
				t.Errorf("3 lookups, %d CRM calls", n)
			}
			if st := h.handler.ContactCacheStats(); st.Hits != 0 || st.Entries != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}
