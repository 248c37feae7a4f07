package hubspot_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/hubspot"
)

// TestAuth pins what Config.OAuth becomes: HubSpot's endpoints and scopes
// where it leaves them empty, the client credentials in the form body
// whatever AuthStyle says, and a copy the caller may change.
func TestAuth(t *testing.T) {
	t.Parallel()
	a, err := hubspot.New(hubspot.Config{OAuth: auth.Provider{
		ClientID: "cid", ClientSecret: "top-secret", RedirectURL: "https://app.example/cb",
		AuthStyle: auth.AuthInHeader, // ignored
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &auth.Provider{
		AuthURL:      hubspot.DefaultAuthURL,
		TokenURL:     hubspot.DefaultTokenURL,
		RevokeURL:    hubspot.DefaultRevokeURL,
		ClientID:     "cid",
		ClientSecret: "top-secret",
		RedirectURL:  "https://app.example/cb",
		Scopes:       hubspot.DefaultScopes,
		AuthStyle:    auth.AuthInBody,
	}}
	got := a.Auth()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Auth (-want +got):\n%s", diff)
	}
	got.OAuth.Scopes[0] = "changed"
	got.OAuth.ClientID = "changed"
	if diff := cmp.Diff(want, a.Auth()); diff != "" {
		t.Errorf("Auth after changing an earlier result (-want +got):\n%s", diff)
	}
}
