package pipedrive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the note shows times in the user's zone, Europe/Berlin

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/logbody"
)

func ptr[T any](v T) *T { return &v }

// callFixture adds a person with an open deal and returns a call log
// request against them.
func callFixture(e *env) (adapter.CreateCallLogRequest, int, int) {
	pid := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	did := e.fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: pid})
	return adapter.CreateCallLogRequest{
		Session: e.sess,
		Contact: adapter.ContactRef{ID: strconv.Itoa(pid), Type: "Person", Name: "Alan Turing"},
		Call: adapter.Call{
			SessionID: "s-1",
			StartTime: time.Date(2025, 3, 4, 23, 30, 0, 0, time.FixedZone("PST", -8*3600)),
			Duration:  65 * time.Second,
			Direction: "Inbound",
			Result:    "Call connected",
			From:      adapter.Party{PhoneNumber: "+16505551212", Name: "Alan"},
			To:        adapter.Party{PhoneNumber: "+16505550000"},
		},
		Note:                 "Asked about <pricing>\nCall back Friday",
		AdditionalSubmission: map[string]any{"deals": strconv.Itoa(did)},
	}, pid, did
}

func TestCallLogLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	req, pid, did := callFixture(e)

	created, err := e.a.CreateCallLog(ctx, req)
	if err != nil {
		t.Fatalf("CreateCallLog: %v", err)
	}
	id, _ := strconv.Atoi(created.LogID)
	act, ok := e.fake.Activity(id)
	if !ok {
		t.Fatalf("activity %q not stored", created.LogID)
	}
	wantAct := fakepipedrive.Activity{
		ID: id, Subject: "Inbound call from Alan Turing", Type: "call",
		DueDate: "2025-03-05", DueTime: "07:30", Duration: "00:02", Done: true,
		DealID: did, OwnerID: e.userID,
		Participants: []fakepipedrive.Participant{{PersonID: pid, Primary: true}},
	}
	if diff := cmp.Diff(wantAct, act, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Note" }, cmp.Ignore())); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Asked about &lt;pricing&gt;<br>Call back Friday", "Result: Call connected",
		"Contact number: +16505551212", "Duration: 1m 5s", "Session ID: s-1", "Subject: Inbound call from Alan Turing"} {
		if !strings.Contains(act.Note, want) {
			t.Errorf("note %q lacks %q", act.Note, want)
		}
	}

	got, err := e.a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: e.sess, LogID: created.LogID})
	if err != nil {
		t.Fatalf("GetCallLog: %v", err)
	}
	want := adapter.GetCallLogResult{Subject: "Inbound call from Alan Turing", Note: "Asked about <pricing>\nCall back Friday"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetCallLog (-want +got):\n%s", diff)
	}

	// Subject and note replace; the call details stay.
	upd, err := e.a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{
		Session: e.sess, LogID: created.LogID, SessionID: "s-1",
		Subject: ptr("Follow-up call"), Note: ptr("Sent the quote"),
	})
	if err != nil {
		t.Fatalf("UpdateCallLog: %v", err)
	}
	if upd.UpdatedNote != "Sent the quote" {
		t.Errorf("UpdatedNote = %q", upd.UpdatedNote)
	}
	got, _ = e.a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: e.sess, LogID: created.LogID})
	if diff := cmp.Diff(adapter.GetCallLogResult{Subject: "Follow-up call", Note: "Sent the quote"}, got); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	act, _ = e.fake.Activity(id)
	if !strings.Contains(act.Note, "Result: Call connected") || strings.Contains(act.Note, "pricing") {
		t.Errorf("note after update = %q", act.Note)
	}

	// The recording link arrives later, maybe more than once: it is added once.
	rec := "https://media.example/rec/1?x=1&y=2"
	for range 2 {
		if _, err := e.a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{
			Session: e.sess, LogID: created.LogID, SessionID: "s-1", RecordingLink: ptr(rec),
		}); err != nil {
			t.Fatalf("UpdateCallLog(recording): %v", err)
		}
	}
	act, _ = e.fake.Activity(id)
	if n := strings.Count(act.Note, `href="https://media.example/rec/1?x=1&amp;y=2"`); n != 1 {
		t.Errorf("recording link appears %d times in %q", n, act.Note)
	}
	if act.Updates != 2 {
		t.Errorf("activity updated %d times, want 2 (the repeated link sends nothing)", act.Updates)
	}

	// Corrections of the call's data.
	if _, err := e.a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{
		Session: e.sess, LogID: created.LogID, SessionID: "s-1",
		Duration: ptr(3*time.Minute + 30*time.Second), Result: ptr("Voicemail"),
		StartTime: ptr(time.Date(2025, 3, 6, 9, 0, 0, 0, time.UTC)),
	}); err != nil {
		t.Fatalf("UpdateCallLog(corrections): %v", err)
	}
	act, _ = e.fake.Activity(id)
	if act.Duration != "00:04" || act.DueDate != "2025-03-06" || act.DueTime != "09:00" ||
		!strings.Contains(act.Note, "Result: Voicemail") || !strings.Contains(act.Note, "Duration: 3m 30s") ||
		strings.Contains(act.Note, "Call connected") || strings.Count(act.Note, "media.example") != 2 {
		t.Errorf("after corrections: %+v", act)
	}
}

func TestCallLogAINoteAndTranscript(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	req, _, _ := callFixture(e)
	req.AINote = "Customer wants a demo"
	req.Transcript = "Hello?"
	req.Call.Recording = &adapter.Recording{Link: "https://media.example/r"}
	req.Call.CustomSubject = "Demo request"
	created, err := e.a.CreateCallLog(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: e.sess, LogID: created.LogID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(adapter.GetCallLogResult{Subject: "Demo request", Note: "Asked about <pricing>\nCall back Friday"}, got); diff != "" {
		t.Errorf("GetCallLog (-want +got):\n%s", diff)
	}
	if _, err := e.a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{
		Session: e.sess, LogID: created.LogID, Transcript: ptr("Hello, Alan speaking"),
	}); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(created.LogID)
	act, _ := e.fake.Activity(id)
	for _, want := range []string{"Customer wants a demo", "Hello, Alan speaking", "Asked about", `href="https://media.example/r"`} {
		if !strings.Contains(act.Note, want) {
			t.Errorf("note %q lacks %q", act.Note, want)
		}
	}
	if strings.Contains(act.Note, "Hello?") {
		t.Errorf("old transcript kept: %q", act.Note)
	}
}

func TestCallLogWithoutDeal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	req, _, _ := callFixture(e)
	req.AdditionalSubmission = nil
	req.Call.StartTime = time.Time{}
	req.Call.Direction = "Outbound"
	created, err := e.a.CreateCallLog(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(created.LogID)
	act, _ := e.fake.Activity(id)
	if act.DealID != 0 || act.DueDate != "" || act.Subject != "Outbound call to Alan Turing" {
		t.Errorf("activity = %+v", act)
	}
}

func TestMessageLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	pid := e.fake.AddPerson(fakepipedrive.Person{Name: "Ada", Phones: []string{"+16505551212"}})
	contact := adapter.ContactRef{ID: strconv.Itoa(pid), Name: "Ada"}
	ada := adapter.Party{PhoneNumber: "+16505551212", Name: "Ada"}
	me := adapter.Party{PhoneNumber: "+16505550000"}
	conv := adapter.Conversation{ID: "c1", LogID: "c1/3/4/2025", Type: "SMS", Correspondents: []adapter.Party{ada}, Self: me}
	at := time.Date(2025, 3, 4, 9, 15, 0, 0, time.UTC) // 10:15 in Berlin

	created, err := e.a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
		Session: e.sess, Contact: contact, Conversation: conv,
		Message: adapter.Message{ID: "1", Direction: "Inbound", Subject: "Hi <there>", CreationTime: at, From: ada, To: []adapter.Party{me}},
	})
	if err != nil {
		t.Fatalf("CreateMessageLog: %v", err)
	}
	_, err = e.a.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{
		Session: e.sess, LogID: created.LogID, Contact: contact, Conversation: conv,
		Message: adapter.Message{ID: "2", Direction: "Outbound", Subject: "Hello Ada", CreationTime: at.Add(time.Minute), From: me, To: []adapter.Party{ada}},
	})
	if err != nil {
		t.Fatalf("UpdateMessageLog: %v", err)
	}
	id, _ := strconv.Atoi(created.LogID)
	act, _ := e.fake.Activity(id)
	wantNote := "<p><b>[2025-03-04 10:15:00 AM] Inbound SMS from Ada (+16505551212) to +16505550000</b><br>Hi &lt;there&gt;</p>" +
		"<p><b>[2025-03-04 10:16:00 AM] Outbound SMS from +16505550000 to Ada (+16505551212)</b><br>Hello Ada</p>"
	if diff := cmp.Diff(wantNote, act.Note); diff != "" {
		t.Errorf("note (-want +got):\n%s", diff)
	}
	if act.Subject != "SMS conversation with Ada on 2025-03-04" || act.Type != "call" || !act.Done ||
		act.DueDate != "2025-03-04" || act.DueTime != "09:15" {
		t.Errorf("activity = %+v", act)
	}
}

func TestMessageLogVoicemailAndFax(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.fake.SetActivityTypes([]fakepipedrive.ActivityType{
		{ID: 1, Name: "Call", KeyString: "call", IconKey: "call", Active: true},
		{ID: 9, Name: "SMS", KeyString: "text_message", IconKey: "sms", Active: true},
	})
	pid := e.fake.AddPerson(fakepipedrive.Person{Name: "Ada", Phones: []string{"+16505551212"}})
	contact := adapter.ContactRef{ID: strconv.Itoa(pid), Name: "Ada"}
	ada := adapter.Party{PhoneNumber: "+16505551212"}
	tests := []struct {
		conv     adapter.Conversation
		msg      adapter.Message
		wantNote []string
	}{
		{
			conv: adapter.Conversation{Type: "VoiceMail", Correspondents: []adapter.Party{ada}},
			msg: adapter.Message{Direction: "Inbound", Subject: "Voice message", From: ada, Attachments: []adapter.Attachment{
				{Type: "AudioRecording", Link: "https://media.example/vm/1", URI: "https://platform.example/vm/1/content"},
			}},
			wantNote: []string{"Inbound voicemail", `Recording: <a href="https://media.example/vm/1"`},
		},
		{
			conv: adapter.Conversation{Type: "Fax", Correspondents: []adapter.Party{ada}},
			msg: adapter.Message{Direction: "Outbound", Subject: "Contract", FaxPageCount: 3, To: []adapter.Party{ada}, Attachments: []adapter.Attachment{
				{Type: "RenderedDocument", Link: "https://media.example/fax/7"},
			}},
			wantNote: []string{"Outbound fax (3 pages)", `Document: <a href="https://media.example/fax/7"`},
		},
	}
	for _, tt := range tests {
		created, err := e.a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
			Session: e.sess, Contact: contact, Conversation: tt.conv, Message: tt.msg, FaxAccessToken: "fax-secret",
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.conv.Type, err)
		}
		id, _ := strconv.Atoi(created.LogID)
		act, _ := e.fake.Activity(id)
		for _, w := range tt.wantNote {
			if !strings.Contains(act.Note, w) {
				t.Errorf("%s note %q lacks %q", tt.conv.Type, act.Note, w)
			}
		}
		if strings.Contains(act.Note, "fax-secret") || strings.Contains(act.Note, "platform.example") {
			t.Errorf("%s note leaks a token or API resource: %q", tt.conv.Type, act.Note)
		}
		if act.Type != "text_message" {
			t.Errorf("%s logged as type %q, want the SMS type", tt.conv.Type, act.Type)
		}
	}
}

func TestConcurrentMessageAppendsKeepEveryMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, []fakepipedrive.Option{fakepipedrive.WithLatency(2 * time.Millisecond)})
	ctx := context.Background()
	pid := e.fake.AddPerson(fakepipedrive.Person{Name: "Ada", Phones: []string{"+16505551212"}})
	contact := adapter.ContactRef{ID: strconv.Itoa(pid)}
	conv := adapter.Conversation{Type: "SMS"}
	created, err := e.a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
		Session: e.sess, Contact: contact, Conversation: conv, Message: adapter.Message{Subject: "first"},
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := e.a.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{
				Session: e.sess, LogID: created.LogID, Contact: contact, Conversation: conv,
				Message: adapter.Message{Subject: fmt.Sprintf("msg-%d", i)},
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	id, _ := strconv.Atoi(created.LogID)
	act, _ := e.fake.Activity(id)
	for i := range n {
		if !strings.Contains(act.Note, fmt.Sprintf("msg-%d<", i)) {
			t.Errorf("message %d lost: %q", i, act.Note)
		}
	}
}

func TestActivityTypesLookedUpOncePerCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	req, _, _ := callFixture(e)
	// A second user of the same company shares the cache.
	other := e.fake.AddUser(fakepipedrive.User{Name: "Other"})
	otherAccess, _ := e.fake.IssueToken(other)
	sessions := []adapter.Session{e.sess, e.login(t, otherAccess)}

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		wg.Go(func() {
			r := req
			r.Session = sessions[i%2]
			_, err := e.a.CreateCallLog(ctx, r)
			errs <- err
		})
		wg.Go(func() {
			_, err := e.a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
				Session: sessions[i%2], Contact: req.Contact, Conversation: adapter.Conversation{Type: "SMS"},
				Message: adapter.Message{Subject: "hi"},
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := e.fake.Stats()
	if st.ActivityTypes != 1 || st.ActivityCreates != 20 {
		t.Errorf("activityTypes requests = %d, activities = %d; want 1 and 20", st.ActivityTypes, st.ActivityCreates)
	}
}

func TestActivityTypesRefetchedAfterRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	req, _, _ := callFixture(e)
	if _, err := e.a.CreateCallLog(ctx, req); err != nil {
		t.Fatal(err)
	}
	// An admin replaces the call type: the cached key is refused once, then
	// looked up again.
	e.fake.SetActivityTypes([]fakepipedrive.ActivityType{{ID: 7, Name: "Phone call", KeyString: "phone_call", IconKey: "call", Active: true}})
	if _, err := e.a.CreateCallLog(ctx, req); err == nil {
		t.Fatal("CreateCallLog with a stale type succeeded")
	}
	created, err := e.a.CreateCallLog(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(created.LogID)
	if act, _ := e.fake.Activity(id); act.Type != "phone_call" || e.fake.Stats().ActivityTypes != 2 {
		t.Errorf("type = %q after %d lookups, want phone_call after 2", act.Type, e.fake.Stats().ActivityTypes)
	}
}

// FindCallLog finds the activity of a call session by the session line the
// call details carry, among the person's activities only, also after the
// user edited the note; an unknown session is no record.
func TestFindCallLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	req, _, _ := callFixture(e)
	req.Call.SessionID = `s-<1>&"x"`
	created, err := e.a.CreateCallLog(ctx, req)
	if err != nil {
		t.Fatalf("CreateCallLog: %v", err)
	}
	other := req
	other.Call.SessionID = "s-2"
	if _, err := e.a.CreateCallLog(ctx, other); err != nil {
		t.Fatalf("CreateCallLog: %v", err)
	}
	if _, err := e.a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{
		Session: e.sess, LogID: created.LogID, SessionID: req.Call.SessionID, Note: ptr("edited"), Subject: ptr("renamed"),
	}); err != nil {
		t.Fatalf("UpdateCallLog: %v", err)
	}
	find := func(contactID, sessionID string) string {
		t.Helper()
		r := adapter.FindCallLogRequest{Session: e.sess, Contact: req.Contact, Call: req.Call}
		r.Contact.ID, r.Call.SessionID = contactID, sessionID
		got, err := e.a.FindCallLog(ctx, r)
		if err != nil {
			t.Fatalf("FindCallLog(%s, %s): %v", contactID, sessionID, err)
		}
		return got.LogID
	}
	if got := find(req.Contact.ID, req.Call.SessionID); got != created.LogID {
		t.Errorf("FindCallLog = %q, want %q", got, created.LogID)
	}
	if got := find(req.Contact.ID, "s-unknown"); got != "" {
		t.Errorf("unknown session found %q", got)
	}
	if got := find(req.Contact.ID, "s-<1>"); got != "" {
		t.Errorf("a prefix of the session id found %q", got)
	}
	otherPerson := e.fake.AddPerson(fakepipedrive.Person{Name: "Grace Hopper"})
	if got := find(strconv.Itoa(otherPerson), req.Call.SessionID); got != "" {
		t.Errorf("another person's search found %q", got)
	}

	// The session id stays in the details when the user turned
	// addCallSessionId off: it is what finds the record.
	hidden := req
	hidden.Call.SessionID = "s-3"
	hidden.Settings = adapter.Settings{logbody.SettingSessionID: json.RawMessage(`{"value":false}`)}
	made, err := e.a.CreateCallLog(ctx, hidden)
	if err != nil {
		t.Fatalf("CreateCallLog: %v", err)
	}
	if got := find(req.Contact.ID, "s-3"); got != made.LogID {
		t.Errorf("FindCallLog with addCallSessionId off = %q, want %q", got, made.LogID)
	}
}
