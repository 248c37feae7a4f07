package mycrm_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/crmbridge/crmbridge/adaptertest"

	"github.com/crmbridge/crmbridge/examples/guide/mycrm"
)

func TestConformance(t *testing.T) {
	fake := mycrm.NewFakeCRM("test-key")
	crm := httptest.NewServer(fake)
	t.Cleanup(crm.Close)

	adaptertest.Run(t, adaptertest.Config{
		Adapter:           mycrm.New(crm.URL),
		APIKey:            "test-key",
		ExistingPhone:     "+16505551212", // Alice, in the fake
		ExistingContactID: "1",
		AbsentPhone:       "+16505550000", // nobody
		ReadCallLog: func(_ context.Context, id string) (string, error) {
			a, ok := fake.Activity(id)
			if !ok {
				return "", errors.New("no such activity")
			}
			return a.Note, nil
		},
		ReadMessageLog: func(_ context.Context, id string) (string, error) {
			a, ok := fake.Activity(id)
			if !ok {
				return "", errors.New("no such activity")
			}
			return a.Note, nil
		},
	})
}
