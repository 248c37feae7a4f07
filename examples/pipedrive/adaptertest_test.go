package pipedrive_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/crmbridge/crmbridge/adaptertest"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
)

// TestConformance runs the adapter conformance kit against the Pipedrive
// adapter over the fake Pipedrive: OAuth login through the server's code
// exchange, persons as contacts, activities as logs.
func TestConformance(t *testing.T) {
	t.Parallel()
	fake := fakepipedrive.New()
	t.Cleanup(fake.Close)
	user := fake.AddUser(fakepipedrive.User{Name: "Ada Lovelace", Email: "ada@example.com", Timezone: "Europe/Berlin", TimezoneOffset: "+01:00"})
	org := fake.AddOrganization(fakepipedrive.Organization{Name: "Acme Inc"})
	alice := fake.AddPerson(fakepipedrive.Person{Name: "Alice Anderson", Phones: []string{"+16505551212"}, OrgID: org, OwnerID: user})
	fake.AddDeal(fakepipedrive.Deal{Title: "Acme renewal", PersonID: alice, OrgID: org})
	bob := fake.AddPerson(fakepipedrive.Person{Name: "Bob Brown", Phones: []string{"(650) 555-1213"}, OwnerID: user})

	a, err := pipedrive.New(testConfig(fake))
	if err != nil {
		t.Fatal(err)
	}
	// activity reads an activity straight from the fake: its note holds the
	// call details (recording link) that GetCallLog leaves out.
	activity := func(_ context.Context, logID string) (string, error) {
		id, err := strconv.Atoi(logID)
		if err != nil {
			return "", fmt.Errorf("activity id %q: %w", logID, err)
		}
		act, ok := fake.Activity(id)
		if !ok {
			return "", fmt.Errorf("the fake has no activity %d", id)
		}
		return act.Subject + "\n" + act.Note, nil
	}
	adaptertest.Run(t, adaptertest.Config{
		Adapter:           a,
		AuthorizationCode: func(context.Context) (string, error) { return fake.Authorize(user), nil },
		ExistingPhone:     "+16505551212",
		ExistingContactID: strconv.Itoa(alice),
		AbsentPhone:       "+16505550000",
		FormatPhone:       "+16505551213",
		OverridingFormat:  "(***) ***-****",
		FormatContactID:   strconv.Itoa(bob),
		ReadCallLog:       activity,
		ReadMessageLog:    activity,
	})
}
