package replicas

import (
	"net/http"
	"testing"
)

// A logout on one replica ends every session of the user on all of them,
// also after the user logs in again on another replica (PROTOCOL.md §4).
func TestLogoutEndsSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	c, _ := testcrmCluster(t)
	old := c.apiKeyLogin("key-logout")
	for i := range replicaCount {
		if r := c.doOnMust(i, "GET", "/hostname", old, nil); r.status != http.StatusOK {
			t.Fatalf("replica %d before logout: %d %s", i, r.status, r.body)
		}
	}
	if r := c.doOnMust(0, "POST", "/unAuthorize", old, nil); r.status != http.StatusOK || !successful(r.json(t)) {
		t.Fatalf("logout on replica 0: %d %s", r.status, r.body)
	}
	// The new login on replica 1 drops its cached row of the user.
	r := c.doOnMust(1, "POST", "/apiKeyLogin", "", map[string]any{"platform": "testcrm", "apiKey": "key-logout", "hostname": "acme.testcrm.local"})
	fresh, _ := r.json(t)["jwtToken"].(string)
	if fresh == "" {
		t.Fatalf("login on replica 1: %d %s", r.status, r.body)
	}
	for i := range replicaCount {
		r := c.doOnMust(i, "GET", "/contact?phoneNumber=%2B16505551212", old, nil)
		if m := r.json(t); r.status != http.StatusUnauthorized || m["errorCode"] != "CRM_SESSION_REVOKED" {
			t.Errorf("replica %d: the token from before the logout: %d %s", i, r.status, r.body)
		}
		if r := c.doOnMust(i, "GET", "/hostname", fresh, nil); r.status != http.StatusOK {
			t.Errorf("replica %d: the new login's token: %d %s", i, r.status, r.body)
		}
	}
}
