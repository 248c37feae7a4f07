package replicas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/concurrently"
)

const (
	oauthPlatform = "oauthcrm"
	clientID      = "client-1"
	clientSecret  = "client-secret"
)

// fakeOAuth is a CRM's token endpoint and API in one test server. Refresh
// tokens are single-use (rotated on every refresh) and only the newest
// access token is accepted, so a second refresh, or a request made with a
// token another replica already replaced, shows.
type fakeOAuth struct {
	srv *httptest.Server

	mu      sync.Mutex
	access  string
	refresh string
	issued  int

	exchanges atomic.Int32
	refreshes atomic.Int32
	rejected  atomic.Int32 // API calls with a stale or unknown token
	served    atomic.Int32 // API calls with the current token
}

func newFakeOAuth(t *testing.T) *fakeOAuth {
	f := &fakeOAuth{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /me", f.api(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": "42", "name": "Olivia OAuth"})
	}))
	mux.HandleFunc("GET /contacts", f.api(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]map[string]any{{"id": "7", "name": "Pat Doe", "phone": r.URL.Query().Get("phone")}})
	}))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// issueLocked mints the next token pair, valid for an hour.
func (f *fakeOAuth) issueLocked() map[string]any {
	f.issued++
	f.access, f.refresh = fmt.Sprintf("at-%d", f.issued), fmt.Sprintf("rt-%d", f.issued)
	return map[string]any{"access_token": f.access, "refresh_token": f.refresh, "token_type": "Bearer", "expires_in": 3600}
}

func (f *fakeOAuth) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if id, secret, ok := r.BasicAuth(); !ok || id != clientID || secret != clientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client"})
		return
	}
	if r.PostFormValue("grant_type") == "refresh_token" {
		// A provider that takes its time widens the window in which a
		// replica not excluded by the lock would refresh as well.
		time.Sleep(20 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		f.exchanges.Add(1)
		if r.PostFormValue("code") != "good-code" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(w).Encode(f.issueLocked())
	case "refresh_token":
		f.refreshes.Add(1)
		if r.PostFormValue("refresh_token") != f.refresh {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(w).Encode(f.issueLocked())
	default:
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": "unsupported_grant_type"})
	}
}

// api accepts only the current access token.
func (f *fakeOAuth) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer "+f.access
		f.mu.Unlock()
		if !ok {
			f.rejected.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		h(w, r)
	}
}

// oauthAdapter is a minimal OAuth adapter for the fake: it fetches the user
// and finds contacts through the fake's API with the client the server
// hands it, which carries the user's Bearer token. The methods this test
// never reaches come from the embedded testcrm adapter.
type oauthAdapter struct {
	*testcrm.Adapter
	base string
}

func (a *oauthAdapter) Platform() string { return oauthPlatform }

func (a *oauthAdapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &auth.Provider{
		AuthURL:      a.base + "/authorize",
		TokenURL:     a.base + "/token",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  "https://app.example/redirect",
	}}
}

func (a *oauthAdapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	var me struct{ ID, Name string }
	if err := getJSON(ctx, req.Client, a.base+"/me", &me); err != nil {
		return adapter.UserInfo{}, err
	}
	return adapter.UserInfo{ID: me.ID, Name: me.Name, Hostname: req.Hostname, Timezone: "UTC"}, nil
}

func (a *oauthAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	var found []struct{ ID, Name, Phone string }
	if err := getJSON(ctx, req.Client, a.base+"/contacts?phone="+url.QueryEscape(req.Phone.Number.E164()), &found); err != nil {
		return adapter.FindContactsResult{}, err
	}
	out := adapter.FindContactsResult{Contacts: []adapter.Contact{}}
	for _, c := range found {
		out.Contacts = append(out.Contacts, adapter.Contact{ID: c.ID, Name: c.Name, Phone: c.Phone, Type: "Contact"})
	}
	return out, nil
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return adapter.ErrUnauthorized
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("fake CRM: HTTP %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// clock is the replicas' shared clock, which the test moves forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// TestOAuthRefreshOnceAcrossReplicas lets a user's access token expire and
// sends 50 requests of that user at once, half to each replica: the token
// endpoint sees exactly one refresh, no request uses a stale token, and
// all 50 succeed.
func TestOAuthRefreshOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	fake := newFakeOAuth(t)
	var clk clock
	c := newCluster(t, func() []adapter.Adapter {
		return []adapter.Adapter{&oauthAdapter{Adapter: testcrm.New(testcrm.NewCRM()), base: fake.srv.URL}}
		// Every lookup must reach the CRM so the test sees each request use the
		// refreshed token; the contact-match cache would answer some of them.
	}, httpserver.WithClock(clk.now), httpserver.WithContactCacheTTL(0))

	// Log in as the client does: the code inside the unencoded callbackUri.
	r := c.mustDo("GET", "/oauth-callback?callbackUri=https://app.example/redirect?code=good-code&state=platform="+oauthPlatform+"&hostname=acme.example", "", nil)
	jwt, _ := r.json(t)["jwtToken"].(string)
	if r.status != http.StatusOK || jwt == "" {
		t.Fatalf("oauth-callback: %d %s", r.status, r.body)
	}
	if n := fake.exchanges.Load(); n != 1 {
		t.Fatalf("%d code exchanges, want 1", n)
	}

	// The hour-long token is now two hours old on every replica's clock.
	clk.advance(2 * time.Hour)
	results := concurrently.Run(concurrency, func(int) result {
		r, err := c.do("GET", "/contact?phoneNumber=%2B16505551212", jwt, nil)
		return result{r, err}
	})
	for i, res := range results {
		if res.err != nil {
			t.Errorf("request %d: %v", i, res.err)
			continue
		}
		m := res.r.json(t)
		contacts, _ := m["contact"].([]any)
		if res.r.status != http.StatusOK || !successful(m) || len(contacts) != 1 {
			t.Errorf("request %d (replica %d): %d %s", i, res.r.replica, res.r.status, res.r.body)
		}
	}
	c.checkBothServed()
	if n := fake.refreshes.Load(); n != 1 {
		t.Errorf("the token endpoint saw %d refreshes, want exactly 1", n)
	}
	if n := fake.rejected.Load(); n != 0 {
		t.Errorf("%d CRM calls were made with a stale token", n)
	}
	if n := fake.served.Load(); n != 1+concurrency {
		t.Errorf("the CRM served %d calls, want %d (login and one lookup per request)", n, 1+concurrency)
	}
}
