package template_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/adaptertest"
	"github.com/crmbridge/crmbridge/examples/template"
)

func newAdapter(t *testing.T, crm *fakeCRM) *template.Adapter {
	t.Helper()
	a, err := template.New(template.Config{BaseURL: crm.URL})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCapabilities pins the optional interfaces the server finds in the
// adapter: a capability method whose signature drifts from the interface
// drops out without a compile error, and a new one changes what the client
// is offered. Drop from the list what your adapter does not implement.
func TestCapabilities(t *testing.T) {
	want := []string{
		"ContactCreator", "CallLogReader", "CallLogUpdater", "MessageLogger",
		"ContactSearcher", "AuthValidator", "Manifester", "LogFormatter",
	}
	if diff := cmp.Diff(want, adapter.Discover(newAdapter(t, newFakeCRM(t, "test-key"))).Names()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
}

// TestConformance runs the adaptertest kit: the adapter, through the real
// server, against the fake CRM.
func TestConformance(t *testing.T) {
	crm := newFakeCRM(t, "test-key")
	adaptertest.Run(t, adaptertest.Config{
		Adapter:           newAdapter(t, crm),
		APIKey:            "test-key",
		ExistingPhone:     "+16505551212", // Alice
		ExistingContactID: "c1",
		AbsentPhone:       "+16505550000",
		FormatPhone:       "+16505551213", // Bob, stored as "(650) 555-1213"
		OverridingFormat:  "(***) ***-****",
		FormatContactID:   "c2",
		ReadCallLog: func(_ context.Context, id string) (string, error) {
			a, ok := crm.activity(id)
			if !ok {
				return "", fmt.Errorf("no activity %s", id)
			}
			return a.Note, nil
		},
		ReadMessageLog: func(_ context.Context, id string) (string, error) {
			a, ok := crm.activity(id)
			if !ok {
				return "", fmt.Errorf("no activity %s", id)
			}
			return a.Note, nil
		},
	})
}

// TestErrors checks that the CRM's error answers become the adapter errors
// the server maps to the client's messages.
func TestErrors(t *testing.T) {
	crm := newFakeCRM(t, "test-key")
	a := newAdapter(t, crm)
	s := adaptertest.NewSession(a, adapter.User{ID: "u7"}, "test-key")
	get := func() error {
		_, err := a.GetCallLog(context.Background(), adapter.GetCallLogRequest{Session: s, LogID: "a404"})
		return err
	}
	for _, tc := range []struct {
		name   string
		status int
		check  func(error) string
	}{
		{"unknown record", 0, func(err error) string {
			if !errors.Is(err, adapter.ErrNotFound) {
				return "want adapter.ErrNotFound"
			}
			return ""
		}},
		{"key refused", http.StatusUnauthorized, func(err error) string {
			if !errors.Is(err, adapter.ErrUnauthorized) {
				return "want adapter.ErrUnauthorized"
			}
			return ""
		}},
		{"rate limited", http.StatusTooManyRequests, func(err error) string {
			rl, ok := errors.AsType[*adapter.RateLimitError](err)
			if !ok {
				return "want *adapter.RateLimitError"
			}
			return cmp.Diff(7*time.Second, rl.RetryAfter)
		}},
		{"validation", http.StatusUnprocessableEntity, func(err error) string {
			ue, ok := errors.AsType[*adapter.UserError](err)
			if !ok {
				return "want *adapter.UserError"
			}
			return cmp.Diff("Subject is too long", ue.Message)
		}},
		{"server error", http.StatusBadGateway, func(err error) string {
			if err == nil || errors.Is(err, adapter.ErrNotFound) || !strings.HasPrefix(err.Error(), "templatecrm: GET /v1/activities/a404: HTTP 502") {
				return "want a plain error naming the route and status"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.status != 0 {
				crm.failNext("GET /v1/activities/a404", tc.status)
			}
			err := get()
			if problem := tc.check(err); problem != "" {
				t.Errorf("err = %v: %s", err, problem)
			}
		})
	}
}

// TestRecordingLinkOnce: a recording link sent twice appears once, and a
// new note keeps it.
func TestRecordingLinkOnce(t *testing.T) {
	crm := newFakeCRM(t, "test-key")
	a := newAdapter(t, crm)
	s := adaptertest.NewSession(a, adapter.User{ID: "u7"}, "test-key")
	ctx := context.Background()
	res, err := a.CreateCallLog(ctx, adapter.CreateCallLogRequest{
		Session: s, Contact: adapter.ContactRef{ID: "c1", Name: "Alice Anderson"},
		Call: adapter.Call{Direction: "Inbound", Recording: &adapter.Recording{Link: "https://rec.example/1"}},
		Note: "first",
	})
	if err != nil {
		t.Fatal(err)
	}
	link, note := "https://rec.example/1", "second"
	for _, req := range []adapter.UpdateCallLogRequest{{RecordingLink: &link}, {Note: &note}} {
		req.Session, req.LogID = s, res.LogID
		if _, err := a.UpdateCallLog(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := crm.activity(res.LogID)
	want := fakeActivity{ID: res.LogID, ContactID: "c1", Kind: "call", Subject: "Inbound call from Alice Anderson", Note: `second

--- Call details ---
- Subject: Inbound call from Alice Anderson
- Duration: 0s
- Recording: https://rec.example/1`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, base := range []string{"", "api.example.com", "ftp://api.example.com"} {
		if _, err := template.New(template.Config{BaseURL: base}); !errors.Is(err, template.ErrConfig) {
			t.Errorf("New(%q): err = %v, want ErrConfig", base, err)
		}
	}
}
