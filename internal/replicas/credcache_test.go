package replicas

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
)

// sameUserAdapter is an API-key adapter whose CRM user is the same whatever
// the key (a user who replaced the key at the CRM): every login is the one
// user row, and FindContacts calls the fake CRM with the client the server
// hands it, which carries the stored key.
type sameUserAdapter struct {
	*testcrm.Adapter
	crm string
}

const sameUserPlatform = "samekeycrm"

func (a *sameUserAdapter) Platform() string { return sameUserPlatform }

func (a *sameUserAdapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthAPIKey, APIKeyScheme: func(r *http.Request, key string) {
		r.Header.Set("X-Key", key)
	}}
}

func (a *sameUserAdapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	return adapter.UserInfo{ID: "same-user", Name: "Same", Hostname: req.Hostname, Timezone: "UTC"}, nil
}

func (a *sameUserAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	r, err := http.NewRequestWithContext(ctx, "GET", a.crm, nil)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	res, err := req.Client.Do(r)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	res.Body.Close()
	return adapter.FindContactsResult{Contacts: []adapter.Contact{{ID: "c1", Name: "C", Phone: "+16505551212", Type: "Contact"}}}, nil
}

// The credential cache of each replica never lets a replica call the CRM
// with a key the user row no longer holds: after the user replaced the key
// through another replica, and after a logout through another replica, the
// replica that cached the old key's transport uses the new key, or none.
// (User rows are not cached here: a row's staleness within the user-cache
// TTL is the user cache's documented price, not the credential cache's.)
func TestCredentialCacheFollowsTheRowAcrossReplicas(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Key"))
		mu.Unlock()
	}))
	t.Cleanup(crm.Close)
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return ""
		}
		return seen[len(seen)-1]
	}
	c := newCluster(t, func() []adapter.Adapter {
		return []adapter.Adapter{&sameUserAdapter{Adapter: testcrm.New(testcrm.NewCRM()), crm: crm.URL}}
	}, httpserver.WithUserCacheTTL(0), httpserver.WithContactCacheTTL(0))
	login := func(i int, key string) string {
		t.Helper()
		r := c.doOnMust(i, "POST", "/apiKeyLogin", "", map[string]any{"platform": sameUserPlatform, "apiKey": key, "hostname": "h.example"})
		jwt, _ := r.json(t)["jwtToken"].(string)
		if jwt == "" {
			t.Fatalf("login with %s on replica %d: %d %s", key, i, r.status, r.body)
		}
		return jwt
	}
	lookup := func(i int, jwt string) response {
		t.Helper()
		return c.doOnMust(i, "GET", "/contact?phoneNumber=%2B16505551212", jwt, nil)
	}
	jwt := login(0, "key-one")
	for range 3 { // replica 1 opens key-one and keeps its transport
		if r := lookup(1, jwt); r.status != http.StatusOK || last() != "key-one" {
			t.Fatalf("replica 1 with key-one: %d %s, CRM saw %q", r.status, r.body, last())
		}
	}
	for n := range 3 {
		key := fmt.Sprintf("key-new-%d", n)
		jwt = login(0, key)
		if r := lookup(1, jwt); r.status != http.StatusOK || last() != key {
			t.Fatalf("replica 1 after the key became %s on replica 0: %d %s, CRM saw %q", key, r.status, r.body, last())
		}
	}
	mu.Lock()
	calls := len(seen)
	mu.Unlock()
	if r := c.doOnMust(0, "POST", "/unAuthorize", jwt, nil); r.status != http.StatusOK {
		t.Fatalf("logout on replica 0: %d %s", r.status, r.body)
	}
	if r := lookup(1, jwt); r.status == http.StatusOK {
		t.Errorf("replica 1 after the logout on replica 0: %d %s", r.status, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != calls {
		t.Errorf("replica 1 called the CRM after the logout with %q", seen[calls:])
	}
}
