package hubspot_test

import (
	"context"
	"fmt"
	"github.com/crmbridge/crmbridge/auth"
	"strconv"
	"testing"

	"github.com/crmbridge/crmbridge/adaptertest"
	"github.com/crmbridge/crmbridge/examples/hubspot"
	"github.com/crmbridge/crmbridge/examples/hubspot/fakehubspot"
)

const redirectURL = "https://app.example/oauth-callback"

func testConfig(fake *fakehubspot.Server) hubspot.Config {
	return hubspot.Config{
		OAuth: auth.Provider{
			ClientID:     fakehubspot.DefaultClientID,
			ClientSecret: fakehubspot.DefaultClientSecret,
			RedirectURL:  redirectURL,
			AuthURL:      fake.AuthURL(),
			TokenURL:     fake.TokenURL(),
			RevokeURL:    fake.RevokeURL(),
		},
		APIBase: fake.URL(),
	}
}

// TestConformance runs the adapter conformance kit against the HubSpot
// adapter over the fake HubSpot: OAuth login through the server's code
// exchange, contacts, calls and notes.
func TestConformance(t *testing.T) {
	t.Parallel()
	fake := fakehubspot.New(fakehubspot.WithClient(fakehubspot.DefaultClientID, fakehubspot.DefaultClientSecret, redirectURL))
	t.Cleanup(fake.Close)
	ada := fake.AddOwner(fakehubspot.Owner{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"})
	alice := fake.AddContact(map[string]string{"firstname": "Alice", "lastname": "Anderson", "phone": "+16505551212", "company": "Acme Inc"})
	bob := fake.AddContact(map[string]string{"firstname": "Bob", "lastname": "Brown", "mobilephone": "(650) 555-1213"})

	a, err := hubspot.New(testConfig(fake))
	if err != nil {
		t.Fatal(err)
	}
	read := func(get func(int) (fakehubspot.Object, bool), prop string) func(context.Context, string) (string, error) {
		return func(_ context.Context, logID string) (string, error) {
			id, err := strconv.Atoi(logID)
			if err != nil {
				return "", fmt.Errorf("record id %q: %w", logID, err)
			}
			o, ok := get(id)
			if !ok {
				return "", fmt.Errorf("the fake has no record %d", id)
			}
			return o.Properties["hs_call_title"] + "\n" + o.Properties[prop], nil
		}
	}
	adaptertest.Run(t, adaptertest.Config{
		Adapter:           a,
		AuthorizationCode: func(context.Context) (string, error) { return fake.Authorize(ada.UserID), nil },
		ExistingPhone:     "+16505551212",
		ExistingContactID: strconv.Itoa(alice),
		AbsentPhone:       "+16505550000",
		FormatPhone:       "+16505551213",
		OverridingFormat:  "(***) ***-****",
		FormatContactID:   strconv.Itoa(bob),
		ReadCallLog:       read(fake.Call, "hs_call_body"),
		ReadMessageLog:    read(fake.Note, "hs_note_body"),
	})
}
