package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
)

// capAdapter has four optional interfaces.
type capAdapter struct{ adapter.Adapter }

func (capAdapter) Auth() adapter.AuthConfig { return adapter.AuthConfig{Type: adapter.AuthAPIKey} }
func (capAdapter) SearchContacts(context.Context, adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	return adapter.FindContactsResult{}, nil
}
func (capAdapter) SetCallDisposition(context.Context, adapter.SetCallDispositionRequest) (adapter.SetCallDispositionResult, error) {
	return adapter.SetCallDispositionResult{}, nil
}
func (capAdapter) Manifest() json.RawMessage { return json.RawMessage(`{}`) }
func (capAdapter) ValidateAuth(context.Context, adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	return adapter.ValidateAuthResult{}, nil
}

// bareAdapter has none.
type bareAdapter struct{ adapter.Adapter }

func (bareAdapter) Auth() adapter.AuthConfig { return adapter.AuthConfig{Type: adapter.AuthOAuth} }

// TestRecorderKeepsCapabilities: the server, discovering the recorder,
// sees exactly the capabilities of the adapter under test, served by the
// recorder so that their calls are filed.
func TestRecorderKeepsCapabilities(t *testing.T) {
	t.Parallel()
	for _, a := range []adapter.Adapter{capAdapter{}, bareAdapter{}} {
		r := newRecorder(a)
		got, want := adapter.Discover(r), adapter.Discover(a)
		if diff := cmp.Diff(want.ImplementedInterfaces(), got.ImplementedInterfaces()); diff != "" {
			t.Errorf("%T: (-want +got):\n%s", a, diff)
		}
		if got.ContactSearcher != nil && got.ContactSearcher != adapter.ContactSearcher(r) {
			t.Errorf("%T: SearchContacts is served by %T, want the recorder", a, got.ContactSearcher)
		}
		if (got.Manifester != nil) != (want.Manifester != nil) {
			t.Errorf("%T: Manifester %v, want %v", a, got.Manifester != nil, want.Manifester != nil)
		}
	}
}

// panicky panics in FindContacts and fails in CreateContact.
type panicky struct{ adapter.Adapter }

func (panicky) Auth() adapter.AuthConfig { return adapter.AuthConfig{Type: adapter.AuthAPIKey} }

func (panicky) FindContacts(context.Context, adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	panic("boom")
}

func (panicky) CreateContact(context.Context, adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	return adapter.CreateContactResult{}, errors.New("refused")
}

// TestRecorderFilesCalls: calls are filed with request, result and error;
// a panic becomes an error wrapping errPanicked.
func TestRecorderFilesCalls(t *testing.T) {
	t.Parallel()
	r := newRecorder(panicky{})
	mark := r.mark()
	_, err := r.FindContacts(context.Background(), adapter.FindContactsRequest{Phone: adapter.PhoneQuery{Raw: "+1"}})
	if !errors.Is(err, errPanicked) {
		t.Fatalf("FindContacts error = %v, want errPanicked", err)
	}
	_, err = r.CreateContact(context.Background(), adapter.CreateContactRequest{Name: "N"})
	if err == nil || err.Error() != "refused" {
		t.Fatalf("CreateContact error = %v", err)
	}
	calls := r.since(mark)
	var got []string
	for _, c := range calls {
		got = append(got, failureOf(c))
	}
	want := []string{"FindContacts panicked: boom", "CreateContact returned an error: refused"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fc := callsOf[adapter.FindContactsRequest, adapter.FindContactsResult](calls, mFind)
	if len(fc) != 1 || fc[0].req.Phone.Raw != "+1" || fmt.Sprint(fc[0].panicked) != "boom" {
		t.Errorf("FindContacts call = %+v", fc)
	}
}

// A run that crosses midnight UTC posts the same conversation day each
// time; otherwise the append check would see a new day and a new record.
func TestConversationDayIsFixedForTheRun(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 3, 4, 23, 59, 59, 0, time.UTC)
	s := &suite{runID: "r", messageIDBase: 1_000_000_000_000, now: func() time.Time { return clock }}
	first := s.messageLogBody(s.conversation()[:1])["logInfo"].(map[string]any)["conversationLogId"]
	clock = clock.Add(2 * time.Second)
	msgs := s.conversation()
	again := s.messageLogBody(msgs)["logInfo"].(map[string]any)["conversationLogId"]
	if first != again {
		t.Errorf("conversationLogId changed within one run: %v, then %v", first, again)
	}
	if !msgs[0].at.Before(msgs[1].at) || msgs[0].at.Day() != 4 {
		t.Errorf("messages at %v and %v; want both on the run's first day, in order", msgs[0].at, msgs[1].at)
	}
}
