package httpserver_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
)

// settingsScribbler changes the settings it is handed, as an adapter may,
// and records what each call saw first.
type settingsScribbler struct {
	*testcrm.Adapter
	mu   sync.Mutex
	seen []string
}

func (s *settingsScribbler) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	s.mu.Lock()
	s.seen = append(s.seen, req.Settings.String("testcrmRegion"))
	s.mu.Unlock()
	req.Settings["testcrmRegion"] = json.RawMessage(`{"value":"scribbled"}`)
	delete(req.Settings, adapter.SettingPhoneFormat)
	return s.Adapter.FindContacts(ctx, req)
}

// TestAdapterSettingsAreItsOwn: the settings cache shares its maps with
// the requests it answers, and an adapter gets a copy: what one adapter
// call writes into its settings reaches neither the next call nor GET
// /user/settings.
func TestAdapterSettingsAreItsOwn(t *testing.T) {
	spy := &settingsScribbler{Adapter: testcrm.New(nil)}
	h := newHarness(t, func(c *harnessConfig) {
		c.adapters = []adapter.Adapter{spy}
		c.opts = append(c.opts, httpserver.WithContactCacheTTL(0)) // every lookup reaches the adapter
	})
	jwt := h.login("k1")
	h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": map[string]any{"testcrmRegion": map[string]any{"value": "emea"}}})
	for range 3 {
		h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
		r := h.do("GET", "/user/settings?jwtToken="+jwt, nil)
		var got map[string]struct{ Value any }
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if got["testcrmRegion"].Value != "emea" || got[adapter.SettingPhoneFormat].Value != testcrm.DefaultPhoneFormat {
			t.Fatalf("GET /user/settings after an adapter wrote its copy: %s", r.body)
		}
	}
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if len(spy.seen) != 3 || spy.seen[0] != "emea" || spy.seen[1] != "emea" || spy.seen[2] != "emea" {
		t.Errorf("adapter calls saw %q, want emea each time", spy.seen)
	}
}
