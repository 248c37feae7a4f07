package adaptertest

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
)

// The usual use is one test in the adapter's package. The fixtures are
// facts about the CRM the adapter talks to (here an in-memory one).
func ExampleRun() {
	_ = func(t *testing.T) { // func TestConformance(t *testing.T)
		crm := newMemCRM(flaws{})
		Run(t, Config{
			Adapter:           memFull{memBasic{crm}},
			APIKey:            memKey,
			ExistingPhone:     "+16505551212", // Alice Anderson
			ExistingContactID: "1",
			AbsentPhone:       "+16505550000", // nobody's
			ReadMessageLog:    crm.readMessageLog,
		})
	}
}

// NewSession calls an adapter directly, without a server: here memOAuth's
// GetUserInfo-like check of the token at a fake CRM that wants
// "Bearer access-1".
func ExampleNewSession() {
	crm := httptest.NewServer(newProvider())
	defer crm.Close()
	a := memOAuth{base: crm.URL}

	s := NewSession(a, adapter.User{ID: "u1"}, "access-1")
	res, err := s.Client.Get(crm.URL + "/me")
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(s.User.Platform, res.StatusCode, s.Settings != nil)
	// Output: memcrm 200 true
}
