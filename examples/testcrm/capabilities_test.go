package testcrm_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
)

// TestCapabilities pins the optional interfaces the server finds in the
// adapter: a capability method whose signature drifts from the interface
// drops out without a compile error, and a new one changes what the client
// is offered.
func TestCapabilities(t *testing.T) {
	a := testcrm.New(testcrm.NewCRM())
	want := []string{
		"ContactCreator",
		"CallLogReader",
		"CallLogUpdater",
		"MessageLogger",
		"Unauthorizer",
		"ContactSearcher",
		"DispositionSetter",
		"CallLogFinder",
		"AuthValidator",
		"LicenseChecker",
		"UserLister",
		"Manifester",
		"SettingsDefaulter",
		"LogFormatter",
	}
	if diff := cmp.Diff(want, adapter.Discover(a).Names()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
}
