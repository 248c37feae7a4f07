package pipedrive_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
)

// TestCapabilities pins the optional interfaces the server finds in the
// adapter: a capability method whose signature drifts from the interface
// drops out without a compile error, and a new one changes what the client
// is offered.
func TestCapabilities(t *testing.T) {
	a, err := pipedrive.New(pipedrive.Config{OAuth: auth.Provider{ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ContactCreator",
		"CallLogReader",
		"CallLogUpdater",
		"MessageLogger",
		"CallLogFinder",
		"AuthValidator",
		"Manifester",
		"LogFormatter",
	}
	if diff := cmp.Diff(want, adapter.Discover(a).Names()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
}
