package httpserver_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// httpCRMAdapter is testcrm whose lookups call a CRM over HTTP with the
// client the server hands it (the user's credentials applied).
type httpCRMAdapter struct {
	*testcrm.Adapter
	url string
}

func (a httpCRMAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	r, err := http.NewRequestWithContext(ctx, "GET", a.url, nil)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	res, err := req.Client.Do(r)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	res.Body.Close()
	return adapter.FindContactsResult{Contacts: []adapter.Contact{}}, nil
}

// BUG (httpserver/session.go clientOver, and tracing.go tokenClient): every
// user's CRM client gets the configured client's cookie Jar, so with
// WithHTTPClient(&http.Client{Jar: ...}) the CRM session cookie set for
// one user is sent with every other user's requests to that CRM: user B
// calls the CRM as user A. A user's client must not share a jar (drop
// Jar, or refuse a client with one in New).
func TestUsersDoNotShareCRMCookies(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	leaked := map[string]string{} // key -> session cookie it arrived with
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(testcrm.HeaderAPIKey)
		if c, err := r.Cookie("crm_session"); err == nil {
			mu.Lock()
			leaked[key] = c.Value
			mu.Unlock()
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "crm_session", Value: "session-of-" + key, Path: "/"})
	}))
	t.Cleanup(crm.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *harnessConfig) {
		c.adapters = []adapter.Adapter{httpCRMAdapter{Adapter: testcrm.New(testcrm.NewCRM()), url: crm.URL}}
		c.opts = append(c.opts, httpserver.WithHTTPClient(&http.Client{Jar: jar}))
	})
	for _, key := range []string{"cookie-user-a", "cookie-user-b"} {
		jwt := h.login(key)
		if _, err := h.s.Send("GET", "/contact?phoneNumber=%2B16505551212", nil, servertest.Bearer(jwt)...); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for key, cookie := range leaked {
		if cookie != "session-of-"+key {
			t.Errorf("the CRM got %s's request with the session cookie %q", key, cookie)
		}
	}
}
