package httpserver_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
)

// A lookup answered from the contact-match cache is byte for byte the
// answer the adapter's matches made, headers included; with the cache off
// every lookup makes the same bytes too.
func TestCachedLookupAnswersTheSameBytes(t *testing.T) {
	for _, ttl := range []int{0, 60} {
		crm := testcrm.NewCRM()
		srv, err := httpserver.New(httpserver.Config{
			Adapters: []adapter.Adapter{testcrm.New(crm)},
			Store:    openStore(t), JWTIssuer: newJWTIssuer(t), SealingKeys: newSealingKeys(t),
		}, httpserver.WithContactCacheTTL(time.Duration(ttl)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", "/apiKeyLogin", strings.NewReader(`{"platform":"testcrm","apiKey":"k"}`)))
		var login struct{ JWTToken string }
		if err := json.Unmarshal(rec.Body.Bytes(), &login); err != nil || login.JWTToken == "" {
			t.Fatalf("login: %s", rec.Body)
		}
		target := "/contact?jwtToken=" + login.JWTToken + "&phoneNumber=+16505551212"
		var first *httptest.ResponseRecorder
		for i := range 3 {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"id":"1001"`)) {
				t.Fatalf("ttl %d, lookup %d: %d %s", ttl, i, rec.Code, rec.Body)
			}
			if first == nil {
				first = rec
				continue
			}
			if !bytes.Equal(rec.Body.Bytes(), first.Body.Bytes()) {
				t.Errorf("ttl %d, lookup %d:\n%s\nfirst:\n%s", ttl, i, rec.Body, first.Body)
			}
			for _, h := range []string{"Content-Type", "Cache-Control"} {
				if rec.Header().Get(h) != first.Header().Get(h) {
					t.Errorf("ttl %d, lookup %d: %s %q, first %q", ttl, i, h, rec.Header().Get(h), first.Header().Get(h))
				}
			}
		}
		var v map[string]any
		if err := json.Unmarshal(first.Body.Bytes(), &v); err != nil || v["successful"] != true || bytes.HasSuffix(first.Body.Bytes(), []byte("\n")) {
			t.Errorf("ttl %d: answer %q", ttl, first.Body)
		}
		if st := srv.ContactCacheStats(); ttl > 0 && st.Hits != 2 {
			t.Errorf("ttl %d: %d cache hits, want 2", ttl, st.Hits)
		}
	}
}
