package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store"
)

// fakeOAuthCRM is an OAuth provider and a CRM API in one test server. Access
// tokens are valid until the next refresh rotates them; refresh tokens are
// single-use.
type fakeOAuthCRM struct {
	srv           *httptest.Server
	mu            sync.Mutex
	access        string
	refresh       string
	n             int
	revoked       bool
	refreshes     atomic.Int32
	exchanges     atomic.Int32
	revokedTokens []string
}

func newFakeOAuthCRM(t *testing.T) *fakeOAuthCRM {
	f := &fakeOAuthCRM{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		if id, _, ok := r.BasicAuth(); !ok || id != "client-1" {
			w.WriteHeader(401)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.revokedTokens = append(f.revokedTokens, r.PostFormValue("token"))
		if r.PostFormValue("token") == f.refresh {
			f.revoked = true
		}
	})
	mux.HandleFunc("GET /me", f.api(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": "u-42", "name": "Olivia OAuth", "timezone": "Europe/Berlin"})
	}))
	mux.HandleFunc("GET /contacts", f.api(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]map[string]any{{"id": 7, "name": "Pat", "phone": r.URL.Query().Get("phone")}})
	}))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOAuthCRM) issueLocked() map[string]any {
	f.n++
	f.access, f.refresh = fmt.Sprintf("at-%d", f.n), fmt.Sprintf("rt-%d", f.n)
	return map[string]any{"access_token": f.access, "refresh_token": f.refresh, "token_type": "bearer",
		"expires_in": 3600, "api_domain": f.srv.URL}
}

func (f *fakeOAuthCRM) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != "client-1" || secret != "client-secret" {
		w.WriteHeader(401)
		json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		f.exchanges.Add(1)
		if r.PostFormValue("code") != "good-code" || r.PostFormValue("redirect_uri") != "https://app.example/redirect" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(w).Encode(f.issueLocked())
	case "refresh_token":
		f.refreshes.Add(1)
		if f.revoked || r.PostFormValue("refresh_token") != f.refresh {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(w).Encode(f.issueLocked())
	default:
		w.WriteHeader(400)
	}
}

func (f *fakeOAuthCRM) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := f.access != "" && r.Header.Get("Authorization") == "Bearer "+f.access
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			return
		}
		h(w, r)
	}
}

// invalidateAccess makes the CRM refuse the current access token (as if it
// were revoked early), so the next call gets a 401.
func (f *fakeOAuthCRM) invalidateAccess() {
	f.mu.Lock()
	f.access = "invalidated"
	f.mu.Unlock()
}

// oauthAdapter is a minimal OAuth adapter over fakeOAuthCRM.
type oauthAdapter struct{ provider auth.Provider }

func (a *oauthAdapter) Platform() string { return "oauthcrm" }
func (a *oauthAdapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &a.provider}
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("calling crm: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode == 401 {
		return adapter.ErrUnauthorized
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("crm status %d", res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

func (a *oauthAdapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	base, _ := req.TokenExtra["api_domain"].(string)
	var me struct{ ID, Name, Timezone string }
	if err := getJSON(ctx, req.Client, base+"/me", &me); err != nil {
		return adapter.UserInfo{}, err
	}
	extra, _ := json.Marshal(map[string]string{"base": base})
	return adapter.UserInfo{ID: me.ID, Name: me.Name, Timezone: me.Timezone, Extra: extra}, nil
}

func (a *oauthAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	var extra struct{ Base string }
	json.Unmarshal(req.User.Extra, &extra)
	var found []struct {
		ID    int
		Name  string
		Phone string
	}
	if err := getJSON(ctx, req.Client, extra.Base+"/contacts?phone="+req.Phone.Number.E164(), &found); err != nil {
		return adapter.FindContactsResult{}, err
	}
	var out adapter.FindContactsResult
	for _, c := range found {
		out.Contacts = append(out.Contacts, adapter.Contact{ID: fmt.Sprint(c.ID), Name: c.Name, Phone: c.Phone})
	}
	return out, nil
}

var errUnused = errors.New("not exercised by this test")

func (a *oauthAdapter) CreateContact(context.Context, adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	return adapter.CreateContactResult{}, errUnused
}
func (a *oauthAdapter) CreateCallLog(context.Context, adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	return adapter.CreateCallLogResult{}, errUnused
}
func (a *oauthAdapter) GetCallLog(context.Context, adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	return adapter.GetCallLogResult{}, errUnused
}
func (a *oauthAdapter) UpdateCallLog(context.Context, adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	return adapter.UpdateCallLogResult{}, errUnused
}
func (a *oauthAdapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	var extra struct{ Base string }
	json.Unmarshal(req.User.Extra, &extra)
	var me map[string]any
	if err := getJSON(ctx, req.Client, extra.Base+"/me", &me); err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	return adapter.CreateMessageLogResult{LogID: "m-" + req.Message.ID}, nil
}
func (a *oauthAdapter) UpdateMessageLog(context.Context, adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	return adapter.UpdateMessageLogResult{}, errUnused
}
func (a *oauthAdapter) Unauthorize(context.Context, adapter.UnauthorizeRequest) (adapter.UnauthorizeResult, error) {
	return adapter.UnauthorizeResult{}, nil
}

// clock is a settable test clock.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func oauthHarness(t *testing.T, cfgs ...func(*harnessConfig)) (*harness, *fakeOAuthCRM, *clock) {
	fake := newFakeOAuthCRM(t)
	clk := &clock{}
	a := &oauthAdapter{provider: auth.Provider{
		AuthURL: fake.srv.URL + "/authorize", TokenURL: fake.srv.URL + "/token", RevokeURL: fake.srv.URL + "/revoke",
		ClientID: "client-1", ClientSecret: "client-secret", RedirectURL: "https://app.example/redirect",
	}}
	h := newHarness(t, append([]func(*harnessConfig){func(c *harnessConfig) {
		c.adapters = []adapter.Adapter{a}
		c.opts = append(c.opts, httpserver.WithClock(clk.now))
	}}, cfgs...)...)
	return h, fake, clk
}

// The client does not encode callbackUri: the CRM's code arrives inside it,
// state and hostname as top-level parameters.
const callbackQuery = "/oauth-callback?callbackUri=https://app.example/redirect?code=good-code&state=platform=oauthcrm&hostname=acme.example"

func TestOAuthLogin(t *testing.T) {
	t.Parallel()
	h, fake, _ := oauthHarness(t)
	r := h.do("GET", callbackQuery, nil)
	m := r.json(t)
	if r.status != 200 || m["name"] != "Olivia OAuth" || m["jwtToken"] == nil {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	u, err := h.store.GetUser(context.Background(), "u-42-oauthcrm")
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname != "acme.example" || u.Timezone != "Europe/Berlin" || len(u.RefreshToken) == 0 || strings.Contains(string(u.AccessToken), "at-1") {
		t.Errorf("stored user: %+v", u)
	}
	jwt := m["jwtToken"].(string)
	r = h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	if cs := contacts(t, r); len(cs) != 1 || cs[0]["id"] != "7" {
		t.Errorf("lookup with the new token: %s", r.body)
	}

	// The code may also arrive top-level, and the state inside callbackUri.
	r = h.do("GET", "/oauth-callback?callbackUri=https%3A%2F%2Fapp.example%2Fredirect%3Fstate%3Dplatform%253Doauthcrm&code=good-code", nil)
	if r.status != 200 {
		t.Errorf("code at top level: %d %s", r.status, r.body)
	}

	for _, tc := range []struct{ name, path, text string }{
		{"no callbackUri", "/oauth-callback?state=platform=oauthcrm", "Missing callbackUri"},
		{"no platform", "/oauth-callback?callbackUri=https://app.example/redirect?code=good-code", "Missing platform name"},
	} {
		r := h.do("GET", tc.path, nil)
		if r.status != 400 || string(r.body) != tc.text {
			t.Errorf("%s: %d %q", tc.name, r.status, r.body)
		}
	}
	r = h.do("GET", "/oauth-callback?callbackUri=https://app.example/redirect?code=bad-code&state=platform=oauthcrm", nil)
	if r.status != 400 || msg(r.json(t)) == "" {
		t.Errorf("refused code: %d %s", r.status, r.body)
	}
	if n := fake.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes during login", n)
	}
}

func TestOAuthRefresh(t *testing.T) {
	t.Parallel()
	// Every lookup here must reach the CRM: it is how the token is used.
	h, fake, clk := oauthHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithContactCacheTTL(0))
	})
	jwt := h.do("GET", callbackQuery, nil).json(t)["jwtToken"].(string)
	find := func() response { return h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil) }

	// Expired: 30 concurrent lookups share one refresh.
	clk.advance(2 * time.Hour)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 30 {
		wg.Go(func() {
			if r := find(); r.status != 200 || len(contacts(t, r)) != 1 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := fake.refreshes.Load(); n != 1 || failed.Load() != 0 {
		t.Fatalf("refreshes = %d (want 1), failed = %d", n, failed.Load())
	}
	// The rotated refresh token was stored: the next expiry refreshes again
	// with it, successfully.
	clk.advance(2 * time.Hour)
	if r := find(); r.status != 200 || fake.refreshes.Load() != 2 {
		t.Fatalf("second refresh: %d, refreshes %d: %s", r.status, fake.refreshes.Load(), r.body)
	}

	// The CRM refuses a token before its expiry: one refresh, one retry.
	fake.invalidateAccess()
	if r := find(); r.status != 200 || fake.refreshes.Load() != 3 {
		t.Fatalf("401 then retry: %d, refreshes %d: %s", r.status, fake.refreshes.Load(), r.body)
	}

	// The user revoked the app in the CRM: the refresh is refused.
	fake.mu.Lock()
	fake.revoked = true
	fake.mu.Unlock()
	clk.advance(2 * time.Hour)
	r := find()
	if m := r.json(t); r.status != 401 || m["errorCode"] != "CRM_SESSION_REVOKED" {
		t.Fatalf("revoked: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/authValidation?jwtToken="+jwt, nil)
	if r.status != 401 {
		t.Errorf("authValidation after revocation: %d %s", r.status, r.body)
	}
}

func TestOAuthUnauthorizeRevokes(t *testing.T) {
	t.Parallel()
	h, fake, _ := oauthHarness(t)
	jwt := h.do("GET", callbackQuery, nil).json(t)["jwtToken"].(string)
	r := h.do("POST", "/unAuthorize", nil, bearer(jwt)...)
	if m := r.json(t); m["successful"] != true {
		t.Fatalf("unAuthorize: %s", r.body)
	}
	fake.mu.Lock()
	revoked := append([]string(nil), fake.revokedTokens...)
	fake.mu.Unlock()
	if len(revoked) != 1 || revoked[0] != "rt-1" {
		t.Errorf("revoked %v, want the refresh token rt-1", revoked)
	}
	u, err := h.store.GetUser(context.Background(), "u-42-oauthcrm")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.AccessToken)+len(u.RefreshToken) != 0 {
		t.Errorf("credentials not erased")
	}
	r = h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	if r.status != 401 {
		t.Errorf("after unAuthorize: %d %s", r.status, r.body)
	}
}

// nestingStore records how many locks are held at once.
type nestingStore struct {
	store.Store
	mu        sync.Mutex
	held, max int
}

func (n *nestingStore) Lock(ctx context.Context, name string) (func(), error) {
	unlock, err := n.Store.Lock(ctx, name)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.held++
	n.max = max(n.max, n.held)
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		n.held--
		n.mu.Unlock()
		unlock()
	}, nil
}

// A due token is refreshed before the conversation lock is taken, so the
// refresh lock is never taken inside it (a store may hold a connection per
// lock; nesting under load could exhaust them).
func TestMessageLogRefreshesBeforeLocking(t *testing.T) {
	t.Parallel()
	ns := &nestingStore{}
	h, fake, clk := oauthHarness(t, func(c *harnessConfig) {
		ns.Store = openStore(t)
		c.store = ns
	})
	jwt := h.do("GET", callbackQuery, nil).json(t)["jwtToken"].(string)
	clk.advance(2 * time.Hour)
	r := h.do("POST", "/messageLog", messageLogBody("conv-1/11/27/2026", 1), bearer(jwt)...)
	if m := r.json(t); m["successful"] != true {
		t.Fatalf("message log: %s", r.body)
	}
	if n := fake.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if ns.max != 1 {
		t.Errorf("%d locks held at once, want 1", ns.max)
	}
}
