package testcrm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/phone"
)

// A contact stored as "(650) 555-1213" is found only when the user's
// overridingFormat turns the E.164 number into that exact string.
func Example() {
	a := testcrm.New(testcrm.NewCRM())
	n, err := phone.Parse("+16505551213")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, formats := range []string{"", "(***) ***-****"} {
		res, err := a.FindContacts(context.Background(), adapter.FindContactsRequest{
			Session: adapter.Session{Client: http.DefaultClient},
			Phone:   adapter.PhoneQuery{Raw: "+16505551213", Number: n, Candidates: phone.Candidates(n, phone.CompileFormats(formats), 0)},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("formats %q: %d match(es)", formats, len(res.Contacts))
		for _, c := range res.Contacts {
			fmt.Printf(", %s %s stored as %q", c.ID, c.Name, c.Phone)
		}
		fmt.Println()
	}
	// Output:
	// formats "": 0 match(es)
	// formats "(***) ***-****": 1 match(es), 1002 Bob Brown stored as "(650) 555-1213"
}

// A test makes the CRM throttle the next call log, then sees the retry
// succeed and counts the activities.
func ExampleCRM_FailNext() {
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	crm.FailNext(testcrm.OpCreateCallLog, &adapter.RateLimitError{RetryAfter: 30 * time.Second})

	req := adapter.CreateCallLogRequest{
		Contact: adapter.ContactRef{ID: "1001"},
		Call:    adapter.Call{SessionID: "s-1", Direction: "Inbound"},
	}
	_, err := a.CreateCallLog(context.Background(), req)
	var rl *adapter.RateLimitError
	fmt.Println("throttled:", errors.As(err, &rl), rl.RetryAfter)

	res, err := a.CreateCallLog(context.Background(), req)
	fmt.Println("retry:", res.LogID, err)
	fmt.Println("activities:", crm.CallLogCount(), "attempts:", crm.Invocations(testcrm.OpCreateCallLog))
	fmt.Println("subject:", crm.CallLogs()[0].Subject)
	// Output:
	// throttled: true 30s
	// retry: 1006 <nil>
	// activities: 1 attempts: 2
	// subject: Inbound call from Alice Anderson
}

// A recording link that arrives after the call is added to the activity's
// call details once (logbody composes the body); the note the client reads
// back stays the user's own.
func ExampleAdapter_UpdateCallLog() {
	a := testcrm.New(nil)
	ctx := context.Background()
	created, err := a.CreateCallLog(ctx, adapter.CreateCallLogRequest{
		Contact: adapter.ContactRef{ID: "1003"},
		Call:    adapter.Call{SessionID: "s-1", Direction: "Outbound"},
		Note:    "Sent the quote",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	link := "https://media.example/rec/1"
	for range 2 {
		res, err := a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{LogID: created.LogID, SessionID: "s-1", RecordingLink: &link})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q\n", res.UpdatedNote)
	}
	act, _ := a.CRM().CallLog(created.LogID)
	fmt.Println(act.Note)
	// Output:
	// "Sent the quote"
	// "Sent the quote"
	// Sent the quote
	//
	// --- Call details ---
	// - Subject: Outbound call to Carol Chen
	// - Duration: 0s
	// - Recording: https://media.example/rec/1
	// - Session ID: s-1
}
