package mycrm_test

import (
	"net/http/httptest"
	"testing"

	"github.com/crmbridge/crmbridge/adaptertest"

	"github.com/crmbridge/crmbridge/examples/guide/mycrm"
)

func TestConformance(t *testing.T) {
	crm := httptest.NewServer(mycrm.NewFakeCRM("test-key"))
	t.Cleanup(crm.Close)

	adaptertest.Run(t, adaptertest.Config{
		Adapter:           mycrm.New(crm.URL),
		APIKey:            "test-key",
		ExistingPhone:     "+16505551212", // Alice, in the fake
		ExistingContactID: "1",
		AbsentPhone:       "+16505550000", // nobody
	})
}
