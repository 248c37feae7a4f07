package adaptertest_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/adaptertest"
)

// The usual use is one test in the adapter's package. The fixtures are
// facts about the CRM the adapter talks to (here an in-memory one).
func ExampleRun() {
	_ = func(t *testing.T) { // func TestConformance(t *testing.T)
		crm := newMemCRM(flaws{})
		adaptertest.Run(t, adaptertest.Config{
			Adapter:           memFull{memBasic{crm}},
			APIKey:            memKey,
			ExistingPhone:     "+16505551212", // Alice Anderson
			ExistingContactID: "1",
			AbsentPhone:       "+16505550000", // nobody's
			ReadMessageLog:    crm.readMessageLog,
		})
	}
}

// RunT with a Report collects the failures instead of failing a test: here
// against an adapter whose UpdateCallLog drops recording links.
func ExampleRunT() {
	crm := newMemCRM(flaws{ignoreRecording: true})
	report := adaptertest.NewReport()
	defer report.Close()

	adaptertest.RunT(report, crm.config(memFull{memBasic{crm}}))

	for _, f := range report.Failures() {
		what, _, _ := strings.Cut(f.Message, ":") // the rest names this run's link
		fmt.Printf("%s: %s\n", f.Test, what)
	}
	// Output:
	// callLog/recordingLink: UpdateCallLog ignored the recording link
}

// A Report is a TB of its own: subtests, failures and logs.
func ExampleReport() {
	r := adaptertest.NewReport()
	defer r.Close()
	r.Run("contact", func(tb adaptertest.TB) {
		tb.Run("existing", func(tb adaptertest.TB) { tb.Errorf("FindContacts did not find contact %q", "42") })
		tb.Logf("looked up one number")
	})
	fmt.Print(r)
	fmt.Println(r.Failed(), r.Logs())
	// Output:
	// contact/existing: FindContacts did not find contact "42"
	// true [contact: looked up one number]
}

// NewSession calls an adapter directly, without a server: here memOAuth's
// GetUserInfo-like check of the token at a fake CRM that wants
// "Bearer access-1".
func ExampleNewSession() {
	crm := httptest.NewServer(newProvider())
	defer crm.Close()
	a := memOAuth{base: crm.URL}

	s := adaptertest.NewSession(a, adapter.User{ID: "u1"}, "access-1")
	res, err := s.Client.Get(crm.URL + "/me")
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(s.User.Platform, res.StatusCode, s.Settings != nil)
	// Output: memcrm 200 true
}
