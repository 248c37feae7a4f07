package testcrm_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/logbody"
	"github.com/crmbridge/crmbridge/phone"
)

// user is the caller of every test request.
var user = adapter.User{ID: "u-tester", Platform: testcrm.Platform, Hostname: testcrm.DefaultHostname, Timezone: "UTC"}

func session() adapter.Session {
	return adapter.Session{User: user, Client: http.DefaultClient}
}

// query prepares a phone lookup the way the server does: parse raw, expand
// the overridingFormat list.
func query(t testing.TB, raw, formats string) adapter.PhoneQuery {
	t.Helper()
	n, err := phone.Parse(raw)
	if err != nil {
		t.Fatalf("phone.Parse(%q): %v", raw, err)
	}
	return adapter.PhoneQuery{
		Raw:        raw,
		Number:     n,
		Candidates: phone.Candidates(n, phone.CompileFormats(formats), 0),
	}
}

// ids returns the ids of contacts, in order.
func ids(cs []adapter.Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// createCall logs a call against Alice (1001) and returns its id.
func createCall(t testing.TB, a *testcrm.Adapter, req adapter.CreateCallLogRequest) string {
	t.Helper()
	req.Session = session()
	if req.Contact.ID == "" {
		req.Contact = adapter.ContactRef{ID: "1001", Name: "Alice Anderson"}
	}
	res, err := a.CreateCallLog(context.Background(), req)
	if err != nil {
		t.Fatalf("CreateCallLog: %v", err)
	}
	return res.LogID
}

// bodyDigest compares call activities by what these tests assert of the
// body: the user's note, then "Recording: <link>" when the call details
// hold one. logbody's own tests cover the rest of the body;
// TestCallLogBody shows one whole.
var bodyDigest = cmp.Transformer("bodyDigest", func(a testcrm.CallActivity) testcrm.CallActivity {
	b, err := logbody.Parse(adapter.LogFormatText, a.Note)
	if err != nil {
		return a
	}
	a.Note = b.Note()
	if link, ok := b.Detail(logbody.LabelRecording); ok {
		if a.Note != "" {
			a.Note += "\n"
		}
		a.Note += "Recording: " + link
	}
	return a
})
