package httpserver_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// labelAdapter is testcrm whose contact names carry the effective setting
// "contactLabel": an adapter that finds contacts differently with other
// settings, as the cache's own invalidation on a settings change allows.
type labelAdapter struct{ *testcrm.Adapter }

func (a labelAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	res, err := a.Adapter.FindContacts(ctx, req)
	for i := range res.Contacts {
		res.Contacts[i].Name += " [" + req.Session.Settings.String("contactLabel") + "]"
	}
	return res, err
}

// BUG (contact-match cache, httpserver/matchcache.go + contact.go): the
// cache key is the user, the number and the candidates, but the adapter
// is also handed the effective settings, which differ by telephony account
// (rc-account-id selects the admin's settings). One user's lookup through
// account B is answered with what the adapter found under account A's
// settings. The cached answer (its encoded JSON too) must be per effective
// settings, like the formats already are.
func TestContactCacheIsPerEffectiveSettings(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	h := newHarness(t, func(c *harnessConfig) {
		c.adapters = []adapter.Adapter{labelAdapter{testcrm.New(crm)}}
	})
	ctx := context.Background()
	for acct, label := range map[string]string{"acct-a": "A", "acct-b": "B"} {
		doc, _ := json.Marshal(map[string]any{"userSettings": map[string]any{"contactLabel": map[string]any{"value": label}}})
		if err := h.store.PutAdminSettings(ctx, acct, doc); err != nil {
			t.Fatal(err)
		}
	}
	jwt := h.login("per-settings-key")
	name := func(acct string) string {
		t.Helper()
		r, err := h.s.Send("GET", "/contact?phoneNumber=%2B16505551212", nil, append(servertest.Bearer(jwt), "rc-account-id", acct)...)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Contact []struct{ Name string }
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Contact) == 0 {
			t.Fatalf("account %s: %d %s", acct, r.Status, r.Body)
		}
		return body.Contact[0].Name
	}
	a, b := name("acct-a"), name("acct-b")
	if a == b {
		t.Errorf("account B's lookup answered %q, the answer made with account A's settings", b)
	}
}
