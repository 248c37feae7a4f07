package testcrm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
)

func TestNewCRMSeed(t *testing.T) {
	t.Parallel()
	want := []testcrm.Contact{
		{ID: "1001", Name: "Alice Anderson", Phone: "+16505551212", Type: "Contact", Organization: "Acme Inc",
			Deals: []testcrm.Deal{{ID: "deal-1", Title: "Acme renewal"}}},
		{ID: "1002", Name: "Bob Brown", Phone: "(650) 555-1213", Type: "Contact", Organization: "Globex"},
		{ID: "1003", Name: "Carol Chen", Phone: "+14155550100", Type: "Contact", Organization: "Initech",
			Deals: []testcrm.Deal{{ID: "deal-2", Title: "Initech pilot"}, {ID: "deal-3", Title: "Initech support plan"}}},
		{ID: "1004", Name: "Dave Davis", Phone: "+14155550100", Type: "Lead", Organization: "Hooli"},
		{ID: "1005", Name: "Emma Evans", Phone: "+442079460958", Type: "Contact", Organization: "Evans & Sons"},
	}
	crm := testcrm.NewCRM()
	if diff := cmp.Diff(want, crm.Contacts()); diff != "" {
		t.Errorf("Contacts (-want +got):\n%s", diff)
	}
	if crm.ContactCount() != 5 || crm.CallLogCount() != 0 || crm.MessageLogCount() != 0 {
		t.Errorf("counts = %d/%d/%d, want 5/0/0", crm.ContactCount(), crm.CallLogCount(), crm.MessageLogCount())
	}
	if _, ok := crm.Contact("9999"); ok {
		t.Errorf("Contact(9999) found")
	}
}

func TestAddContact(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	got := crm.AddContact(testcrm.Contact{ID: "ignored", Name: "Fay", Phone: "650.555.1299"})
	want := testcrm.Contact{ID: "1006", Name: "Fay", Phone: "650.555.1299", Type: "Contact"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AddContact (-want +got):\n%s", diff)
	}
	found, err := testcrm.New(crm).FindContacts(context.Background(), adapter.FindContactsRequest{
		Session: session(), Phone: query(t, "+16505551299", "***.***.****"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1006"}, ids(found.Contacts)); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
}

func TestObservationsAreCopies(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	ctx := context.Background()
	id := createCall(t, a, adapter.CreateCallLogRequest{Call: adapter.Call{SessionID: "s-1"}})
	if _, err := a.SetCallDisposition(ctx, adapter.SetCallDispositionRequest{Session: session(), LogID: id, Dispositions: map[string]any{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{Session: session(), Contact: adapter.ContactRef{ID: "1001"}, Message: adapter.Message{ID: "m1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Unauthorize(ctx, adapter.UnauthorizeRequest{Session: session()}); err != nil {
		t.Fatal(err)
	}

	contacts := crm.Contacts()
	contacts[0].Name, contacts[0].Deals[0].Title = "changed", "changed"
	one, _ := crm.Contact("1001")
	one.Deals[0].Title = "changed"
	calls := crm.CallLogs()
	calls[0].Dispositions["k"] = "changed"
	call, _ := crm.CallLog(id)
	call.Dispositions["k"] = "changed"
	msgs := crm.MessageLogs()
	msgs[0].Lines[0], msgs[0].MessageIDs[0] = "changed", "changed"
	msg, _ := crm.MessageLog(msgs[0].ID)
	msg.Lines[0] = "changed"
	crm.Revocations()[0] = "changed"

	if c, _ := crm.Contact("1001"); c.Name != "Alice Anderson" || c.Deals[0].Title != "Acme renewal" {
		t.Errorf("contact changed through a copy: %+v", c)
	}
	if c, _ := crm.CallLog(id); c.Dispositions["k"] != "v" {
		t.Errorf("call changed through a copy: %+v", c)
	}
	if m := crm.MessageLogs()[0]; m.Lines[0] == "changed" || m.MessageIDs[0] != "m1" {
		t.Errorf("message log changed through a copy: %+v", m)
	}
	if r := crm.Revocations(); r[0] != user.ID {
		t.Errorf("revocations changed through a copy: %v", r)
	}
	if _, ok := crm.MessageLog("9999"); ok {
		t.Errorf("MessageLog(9999) found")
	}
	if _, ok := crm.CallLog("9999"); ok {
		t.Errorf("CallLog(9999) found")
	}
}

// every calls each operation once with a valid request and returns its
// error, keyed by Op.
func every(a *testcrm.Adapter, callLogID, messageLogID string) map[testcrm.Op]func(context.Context) error {
	s := session()
	note := "n"
	return map[testcrm.Op]func(context.Context) error{
		testcrm.OpUserInfo: func(ctx context.Context) error {
			_, err := a.GetUserInfo(ctx, adapter.UserInfoRequest{APIKey: "k"})
			return err
		},
		testcrm.OpFind: func(ctx context.Context) error {
			_, err := a.FindContacts(ctx, adapter.FindContactsRequest{Session: s, Phone: adapter.PhoneQuery{Candidates: []string{"+16505551212"}}})
			return err
		},
		testcrm.OpSearch: func(ctx context.Context) error {
			_, err := a.SearchContacts(ctx, adapter.SearchContactsRequest{Session: s, Name: "alice"})
			return err
		},
		testcrm.OpCreateContact: func(ctx context.Context) error {
			_, err := a.CreateContact(ctx, adapter.CreateContactRequest{Session: s, Name: "New", Phone: adapter.PhoneQuery{Raw: "+12125550199"}})
			return err
		},
		testcrm.OpCreateCallLog: func(ctx context.Context) error {
			_, err := a.CreateCallLog(ctx, adapter.CreateCallLogRequest{Session: s, Contact: adapter.ContactRef{ID: "1001"}})
			return err
		},
		testcrm.OpGetCallLog: func(ctx context.Context) error {
			_, err := a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: s, LogID: callLogID})
			return err
		},
		testcrm.OpUpdateCallLog: func(ctx context.Context) error {
			_, err := a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{Session: s, LogID: callLogID, Note: &note})
			return err
		},
		testcrm.OpSetDisposition: func(ctx context.Context) error {
			_, err := a.SetCallDisposition(ctx, adapter.SetCallDispositionRequest{Session: s, LogID: callLogID})
			return err
		},
		testcrm.OpCreateMessageLog: func(ctx context.Context) error {
			_, err := a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{Session: s, Contact: adapter.ContactRef{ID: "1001"}})
			return err
		},
		testcrm.OpUpdateMessageLog: func(ctx context.Context) error {
			_, err := a.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{Session: s, LogID: messageLogID})
			return err
		},
		testcrm.OpUnauthorize: func(ctx context.Context) error {
			_, err := a.Unauthorize(ctx, adapter.UnauthorizeRequest{Session: adapter.Session{User: adapter.User{ID: "u-other"}}})
			return err
		},
		testcrm.OpValidateAuth: func(ctx context.Context) error {
			_, err := a.ValidateAuth(ctx, adapter.ValidateAuthRequest{Session: s})
			return err
		},
	}
}

// fixtures returns an adapter with one call log and one message log.
func fixtures(t *testing.T) (*testcrm.CRM, *testcrm.Adapter, string, string) {
	t.Helper()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	callID := createCall(t, a, adapter.CreateCallLogRequest{Call: adapter.Call{SessionID: "s-1"}})
	msg, err := a.CreateMessageLog(context.Background(), adapter.CreateMessageLogRequest{
		Session: session(), Contact: adapter.ContactRef{ID: "1001"}, Message: adapter.Message{ID: "m1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return crm, a, callID, msg.LogID
}

// snapshot is everything a failed call must leave alone.
type snapshot struct {
	Contacts    []testcrm.Contact
	Calls       []testcrm.CallActivity
	Messages    []testcrm.MessageActivity
	Revocations []string
}

func snap(crm *testcrm.CRM) snapshot {
	return snapshot{crm.Contacts(), crm.CallLogs(), crm.MessageLogs(), crm.Revocations()}
}

func TestFailNextForEveryOp(t *testing.T) {
	t.Parallel()
	errs := []struct {
		name  string
		err   error
		check func(error) bool
	}{
		{"rate limit", &adapter.RateLimitError{RetryAfter: 3 * time.Second}, func(err error) bool {
			var rl *adapter.RateLimitError
			return errors.As(err, &rl) && rl.RetryAfter == 3*time.Second
		}},
		{"user error", &adapter.UserError{Message: "Subject is too long"}, func(err error) bool {
			var ue *adapter.UserError
			return errors.As(err, &ue) && ue.Message == "Subject is too long"
		}},
		{"not found", fmt.Errorf("deal 7: %w", adapter.ErrNotFound), func(err error) bool { return errors.Is(err, adapter.ErrNotFound) }},
		{"unauthorized", adapter.ErrUnauthorized, func(err error) bool { return errors.Is(err, adapter.ErrUnauthorized) }},
		{"plain", errors.New("connection reset"), func(err error) bool { return err != nil && err.Error() == "connection reset" }},
	}
	ops := []testcrm.Op{
		testcrm.OpUserInfo, testcrm.OpFind, testcrm.OpSearch, testcrm.OpCreateContact, testcrm.OpCreateCallLog,
		testcrm.OpGetCallLog, testcrm.OpUpdateCallLog, testcrm.OpSetDisposition, testcrm.OpCreateMessageLog,
		testcrm.OpUpdateMessageLog, testcrm.OpUnauthorize, testcrm.OpValidateAuth,
	}
	for _, op := range ops {
		for _, e := range errs {
			t.Run(string(op)+"/"+e.name, func(t *testing.T) {
				crm, a, callID, msgID := fixtures(t)
				call := every(a, callID, msgID)[op]
				if call == nil {
					t.Fatalf("no call for %s", op)
				}
				before := snap(crm)
				crm.FailNext(op, e.err)
				if err := call(context.Background()); !e.check(err) {
					t.Fatalf("injected call = %v, want %v", err, e.err)
				}
				if diff := cmp.Diff(before, snap(crm)); diff != "" {
					t.Errorf("a failed call changed the CRM (-before +after):\n%s", diff)
				}
				if err := call(context.Background()); err != nil {
					t.Errorf("next call = %v, want nil", err)
				}
				if n := crm.Invocations(op); n < 2 {
					t.Errorf("Invocations(%s) = %d, want at least 2", op, n)
				}
			})
		}
	}
	if n := len(every(nil, "", "")); n != len(ops) {
		t.Errorf("every covers %d ops, the test lists %d", n, len(ops))
	}
}

func TestFailNextQueues(t *testing.T) {
	t.Parallel()
	crm, a, _, _ := fixtures(t)
	first, second := errors.New("first"), errors.New("second")
	crm.FailNext(testcrm.OpFind, first)
	crm.FailNext(testcrm.OpFind, second)
	crm.FailNext(testcrm.OpSearch, errors.New("other op"))
	find := every(a, "", "")[testcrm.OpFind]
	for i, want := range []error{first, second, nil} {
		if err := find(context.Background()); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("call %d = %v, want %v", i, err, want)
		}
	}
	if n := crm.Invocations(testcrm.OpFind); n != 3 {
		t.Errorf("Invocations(find) = %d, want 3", n)
	}
}

func TestSetDelayHonoursContext(t *testing.T) {
	t.Parallel()
	crm, a, _, _ := fixtures(t)
	crm.SetDelay(testcrm.OpCreateCallLog, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.CreateCallLog(ctx, adapter.CreateCallLogRequest{Session: session(), Contact: adapter.ContactRef{ID: "1001"}})
		done <- err
	}()
	// Wait until the call is inside its delay, so the cancellation is what
	// ends it.
	for crm.Invocations(testcrm.OpCreateCallLog) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("delayed call = %v, want context.Canceled", err)
	}
	if n := crm.CallLogCount(); n != 1 {
		t.Errorf("CallLogCount = %d, want only the fixture's 1", n)
	}

	crm.SetDelay(testcrm.OpCreateCallLog, time.Microsecond)
	if _, err := a.CreateCallLog(context.Background(), adapter.CreateCallLogRequest{Session: session(), Contact: adapter.ContactRef{ID: "1001"}}); err != nil {
		t.Fatalf("short delay: %v", err)
	}
	crm.SetDelay(testcrm.OpCreateCallLog, 0)
	if n := crm.CallLogCount(); n != 2 {
		t.Errorf("CallLogCount = %d, want 2", n)
	}
}

func TestDoneContextChangesNothing(t *testing.T) {
	t.Parallel()
	crm, a, callID, msgID := fixtures(t)
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	before := snap(crm)
	for op, call := range every(a, callID, msgID) {
		if err := call(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with an expired context = %v, want DeadlineExceeded", op, err)
		}
	}
	if diff := cmp.Diff(before, snap(crm)); diff != "" {
		t.Errorf("expired calls changed the CRM (-before +after):\n%s", diff)
	}
}

func TestPanicNext(t *testing.T) {
	t.Parallel()
	crm, a, _, _ := fixtures(t)
	crm.PanicNext(testcrm.OpFind)
	find := every(a, "", "")[testcrm.OpFind]
	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), "find") {
				t.Errorf("recover() = %v, want a panic naming find", r)
			}
		}()
		_ = find(context.Background())
		t.Errorf("FindContacts returned instead of panicking")
	}()
	if err := find(context.Background()); err != nil {
		t.Errorf("call after the panic = %v, want nil", err)
	}
	// The panic must not have left the CRM locked.
	if n := crm.ContactCount(); n != 5 {
		t.Errorf("ContactCount = %d", n)
	}
}

func TestConcurrentCreateCallLogs(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	const n = 50
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-ready // start together, so the writers overlap
			res, err := a.CreateCallLog(context.Background(), adapter.CreateCallLogRequest{
				Session: session(), Contact: adapter.ContactRef{ID: "1003"},
				Call: adapter.Call{SessionID: fmt.Sprintf("s-%d", i), Direction: "Inbound"},
			})
			ids[i], errs[i] = res.LogID, err
			// Readers run alongside the writers.
			_ = crm.CallLogs()
			_, _ = a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: session(), Phone: adapter.PhoneQuery{Candidates: []string{"+14155550100"}}})
		})
	}
	close(ready)
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if seen[ids[i]] {
			t.Errorf("id %s handed out twice", ids[i])
		}
		seen[ids[i]] = true
	}
	if len(seen) != n || crm.CallLogCount() != n || crm.Invocations(testcrm.OpCreateCallLog) != n {
		t.Errorf("distinct ids %d, CallLogCount %d, Invocations %d; want %d each",
			len(seen), crm.CallLogCount(), crm.Invocations(testcrm.OpCreateCallLog), n)
	}
}

func BenchmarkFindContacts(b *testing.B) {
	a := testcrm.New(nil)
	req := adapter.FindContactsRequest{Session: session(), Phone: query(b, "+14155550100", "(***) ***-****, ***-***-****")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.FindContacts(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateCallLog(b *testing.B) {
	a := testcrm.New(nil)
	req := adapter.CreateCallLogRequest{Session: session(), Contact: adapter.ContactRef{ID: "1001"}, Call: adapter.Call{Direction: "Inbound"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.CreateCallLog(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
