package testcrm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests use named zones; a machine may lack the zone database

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/logbody"
)

func TestPlatformAndAuth(t *testing.T) {
	t.Parallel()
	a := testcrm.New(nil)
	if got := a.Platform(); got != "testcrm" {
		t.Errorf("Platform() = %q, want testcrm", got)
	}
	cfg := a.Auth()
	if cfg.Type != adapter.AuthAPIKey || cfg.OAuth != nil || cfg.APIKeyScheme == nil {
		t.Fatalf("Auth() = %+v, want an API-key config with a scheme", cfg)
	}
	r, err := http.NewRequest(http.MethodGet, "http://testcrm.local/contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.APIKeyScheme(r, "k-123")
	if got := r.Header.Get("X-TestCRM-Key"); got != "k-123" {
		t.Errorf("X-TestCRM-Key = %q, want k-123", got)
	}
	if got := r.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestNewWithNilCRMMakesOne(t *testing.T) {
	t.Parallel()
	a := testcrm.New(nil)
	if a.CRM() == nil || a.CRM().ContactCount() != 5 {
		t.Fatalf("New(nil).CRM() is not a seeded CRM")
	}
	crm := testcrm.NewCRM()
	if testcrm.New(crm).CRM() != crm {
		t.Fatalf("New(crm).CRM() is not crm")
	}
}

func TestGetUserInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     adapter.UserInfoRequest
		want    adapter.UserInfo
		wantMsg string // *adapter.UserError message, when refused
	}{
		{
			name: "default hostname",
			req:  adapter.UserInfoRequest{APIKey: "secret-key"},
			want: adapter.UserInfo{ID: testcrm.UserID("secret-key"), Name: "Test User", Hostname: "testcrm.local", Timezone: "UTC"},
		},
		{
			name: "hostname from the login",
			req:  adapter.UserInfoRequest{APIKey: "secret-key", Hostname: "acme.testcrm.example"},
			want: adapter.UserInfo{ID: testcrm.UserID("secret-key"), Name: "Test User", Hostname: "acme.testcrm.example", Timezone: "UTC"},
		},
		{name: "empty key", req: adapter.UserInfoRequest{}, wantMsg: "API key is required"},
		{name: "blank key", req: adapter.UserInfoRequest{APIKey: "  \t"}, wantMsg: "API key is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testcrm.New(nil).GetUserInfo(context.Background(), tt.req)
			if tt.wantMsg != "" {
				var ue *adapter.UserError
				if !errors.As(err, &ue) || ue.Message != tt.wantMsg {
					t.Fatalf("err = %v, want *adapter.UserError %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("UserInfo (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserID(t *testing.T) {
	t.Parallel()
	a, b := testcrm.UserID("key-a"), testcrm.UserID("key-b")
	if !regexp.MustCompile(`^u-[0-9a-f]{32}$`).MatchString(a) {
		t.Errorf("UserID = %q, want u- and 32 hex digits (128 bits)", a)
	}
	// These two keys' SHA-256 sums share their first 32 bits: with ids of
	// 32 bits they would be one user, reading each other's logs.
	if x, y := testcrm.UserID("key-8337"), testcrm.UserID("key-15029"); x == y {
		t.Errorf("keys with the same first 32 hash bits share user id %q", x)
	}
	if a != testcrm.UserID("key-a") {
		t.Errorf("UserID is not deterministic")
	}
	if a == b {
		t.Errorf("two keys share user id %q", a)
	}
	if strings.Contains(a, "key-a") {
		t.Errorf("UserID %q reveals the key", a)
	}
}

func TestFindContacts(t *testing.T) {
	t.Parallel()
	alice := adapter.Contact{
		ID: "1001", Name: "Alice Anderson", Phone: "+16505551212", Type: "Contact", Organization: "Acme Inc",
		AdditionalInfo: map[string][]adapter.Option{"deals": {{Const: "deal-1", Title: "Acme renewal"}}},
	}
	bob := adapter.Contact{ID: "1002", Name: "Bob Brown", Phone: "(650) 555-1213", Type: "Contact", Organization: "Globex"}
	carol := adapter.Contact{
		ID: "1003", Name: "Carol Chen", Phone: "+14155550100", Type: "Contact", Organization: "Initech",
		AdditionalInfo: map[string][]adapter.Option{"deals": {
			{Const: "deal-2", Title: "Initech pilot"}, {Const: "deal-3", Title: "Initech support plan"},
		}},
	}
	dave := adapter.Contact{ID: "1004", Name: "Dave Davis", Phone: "+14155550100", Type: "Lead", Organization: "Hooli"}
	emma := adapter.Contact{ID: "1005", Name: "Emma Evans", Phone: "+442079460958", Type: "Contact", Organization: "Evans & Sons"}

	tests := []struct {
		name  string
		phone adapter.PhoneQuery
		want  []adapter.Contact
	}{
		{name: "E.164 match", phone: query(t, "+16505551212", ""), want: []adapter.Contact{alice}},
		{name: "stored formatted, no format given", phone: query(t, "+16505551213", ""), want: []adapter.Contact{}},
		{name: "stored formatted, found through overridingFormat", phone: query(t, "+16505551213", "(***) ***-****"), want: []adapter.Contact{bob}},
		{name: "other formats do not match", phone: query(t, "+16505551213", "***-***-****, +1**********"), want: []adapter.Contact{}},
		{name: "two contacts share a number", phone: query(t, "+14155550100", ""), want: []adapter.Contact{carol, dave}},
		{name: "GB number", phone: query(t, "+442079460958", "0## #### ####"), want: []adapter.Contact{emma}},
		{name: "no such number", phone: query(t, "+12125550199", "(***) ***-****"), want: []adapter.Contact{}},
		{
			name:  "extension matches nothing",
			phone: adapter.PhoneQuery{Raw: "1001", IsExtension: true, Candidates: []string{"1001"}},
			want:  []adapter.Contact{},
		},
		{
			name:  "results follow candidate order",
			phone: adapter.PhoneQuery{Raw: "+16505551212", Candidates: []string{"(650) 555-1213", "+442079460958", "+16505551212"}},
			want:  []adapter.Contact{bob, emma, alice},
		},
		{
			name:  "each contact once",
			phone: adapter.PhoneQuery{Raw: "+14155550100", Candidates: []string{"+14155550100", "+16505551212", "+14155550100"}},
			want:  []adapter.Contact{carol, dave, alice},
		},
	}
	a := testcrm.New(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: session(), Phone: tt.phone})
			if err != nil {
				t.Fatal(err)
			}
			if got.Contacts == nil {
				t.Errorf("Contacts is nil, want a non-nil slice")
			}
			if diff := cmp.Diff(tt.want, got.Contacts); diff != "" {
				t.Errorf("Contacts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchContacts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		query   string
		want    []string
		wantErr bool
	}{
		{name: "prefix", query: "ali", want: []string{"1001"}},
		{name: "case-insensitive", query: "CHEN", want: []string{"1003"}},
		{name: "substring in several names", query: "an", want: []string{"1001", "1005"}},
		{name: "surrounding spaces ignored", query: "  dave ", want: []string{"1004"}},
		{name: "no match", query: "zelda", want: []string{}},
		{name: "blank", query: "   ", wantErr: true},
	}
	a := testcrm.New(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.SearchContacts(context.Background(), adapter.SearchContactsRequest{Session: session(), Name: tt.query})
			if tt.wantErr {
				var ue *adapter.UserError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want *adapter.UserError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(got.Contacts)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateContact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     adapter.CreateContactRequest
		want    adapter.Contact
		wantMsg string
	}{
		{
			name: "stored in E.164",
			req:  adapter.CreateContactRequest{Phone: query(t, "+12125550199", "(***) ***-****"), Name: "Zoe Zhang"},
			want: adapter.Contact{ID: "1006", Name: "Zoe Zhang", Phone: "+12125550199", Type: "Contact"},
		},
		{
			name: "lead",
			req:  adapter.CreateContactRequest{Phone: query(t, "+12125550199", ""), Name: " Yan Yu ", Type: "Lead"},
			want: adapter.Contact{ID: "1006", Name: "Yan Yu", Phone: "+12125550199", Type: "Lead"},
		},
		{
			name: "unparsed number stored raw",
			req:  adapter.CreateContactRequest{Phone: adapter.PhoneQuery{Raw: "555-0100", Candidates: []string{"555-0100"}}, Name: "Xavier"},
			want: adapter.Contact{ID: "1006", Name: "Xavier", Phone: "555-0100", Type: "Contact"},
		},
		{name: "blank name", req: adapter.CreateContactRequest{Phone: query(t, "+12125550199", ""), Name: " "}, wantMsg: "Name is required"},
		{name: "no number", req: adapter.CreateContactRequest{Name: "Nobody"}, wantMsg: "Phone number is required"},
		{
			name:    "unknown type",
			req:     adapter.CreateContactRequest{Phone: query(t, "+12125550199", ""), Name: "Wanda", Type: "Account"},
			wantMsg: `Unknown contact type "Account"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := testcrm.NewCRM()
			a := testcrm.New(crm)
			tt.req.Session = session()
			got, err := a.CreateContact(context.Background(), tt.req)
			if tt.wantMsg != "" {
				var ue *adapter.UserError
				if !errors.As(err, &ue) || ue.Message != tt.wantMsg {
					t.Fatalf("err = %v, want *adapter.UserError %q", err, tt.wantMsg)
				}
				if n := crm.ContactCount(); n != 5 {
					t.Errorf("ContactCount = %d after a refusal, want 5", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Contact); diff != "" {
				t.Errorf("Contact (-want +got):\n%s", diff)
			}
			stored, ok := crm.Contact(got.Contact.ID)
			if !ok || stored.Phone != tt.want.Phone {
				t.Errorf("stored contact = %+v, %v", stored, ok)
			}
		})
	}
}

func TestCreatedContactIsFound(t *testing.T) {
	t.Parallel()
	a := testcrm.New(nil)
	ctx := context.Background()
	q := query(t, "+12125550199", "(***) ***-****")
	created, err := a.CreateContact(ctx, adapter.CreateContactRequest{Session: session(), Phone: q, Name: "Zoe Zhang"})
	if err != nil {
		t.Fatal(err)
	}
	found, err := a.FindContacts(ctx, adapter.FindContactsRequest{Session: session(), Phone: q})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]adapter.Contact{created.Contact}, found.Contacts); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
}

var start = time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC)

func TestCreateCallLog(t *testing.T) {
	t.Parallel()
	inbound := adapter.Call{
		SessionID: "s-1", Direction: "Inbound", Result: "Call connected", StartTime: start, Duration: 95 * time.Second,
		From: adapter.Party{PhoneNumber: "+16505551212", Name: "Alice"}, To: adapter.Party{PhoneNumber: "+16505550000", Name: "Me"},
	}
	outbound := inbound
	outbound.Direction = "Outbound"
	outbound.From, outbound.To = inbound.To, inbound.From
	custom := inbound
	custom.CustomSubject = "Renewal chat"
	recorded := inbound
	recorded.Recording = &adapter.Recording{Link: "https://rec.example/1"}
	pending := inbound
	pending.Recording = &adapter.Recording{}

	base := testcrm.CallActivity{
		ID: "1006", OwnerID: "u-tester", ContactID: "1001", SessionID: "s-1",
		Subject: "Inbound call from Alice Anderson", Note: "Talked about pricing",
		Direction: "Inbound", Result: "Call connected", StartTime: start, Duration: 95 * time.Second,
		From: inbound.From, To: inbound.To,
	}
	tests := []struct {
		name string
		req  adapter.CreateCallLogRequest
		want func(testcrm.CallActivity) testcrm.CallActivity
	}{
		{
			name: "inbound",
			req:  adapter.CreateCallLogRequest{Call: inbound, Note: "Talked about pricing"},
			want: func(a testcrm.CallActivity) testcrm.CallActivity { return a },
		},
		{
			name: "outbound",
			req:  adapter.CreateCallLogRequest{Call: outbound, Note: "Talked about pricing"},
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Subject, a.Direction, a.From, a.To = "Outbound call to Alice Anderson", "Outbound", inbound.To, inbound.From
				return a
			},
		},
		{
			name: "custom subject",
			req:  adapter.CreateCallLogRequest{Call: custom, Note: "Talked about pricing"},
			want: func(a testcrm.CallActivity) testcrm.CallActivity { a.Subject = "Renewal chat"; return a },
		},
		{
			name: "deal, AI note and transcript",
			req: adapter.CreateCallLogRequest{
				Call: inbound, Note: "Talked about pricing", AINote: "summary", Transcript: "hello",
				AdditionalSubmission: map[string]any{"deals": "deal-1"},
			},
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.DealID, a.AINote, a.Transcript = "deal-1", "summary", "hello"
				return a
			},
		},
		{
			name: "recording link under the note",
			req:  adapter.CreateCallLogRequest{Call: recorded, Note: "Talked about pricing"},
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.RecordingLink = "https://rec.example/1"
				a.Note = "Talked about pricing\nRecording: https://rec.example/1"
				return a
			},
		},
		{
			name: "recording without link yet",
			req:  adapter.CreateCallLogRequest{Call: pending, Note: "Talked about pricing"},
			want: func(a testcrm.CallActivity) testcrm.CallActivity { return a },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := testcrm.NewCRM()
			id := createCall(t, testcrm.New(crm), tt.req)
			if diff := cmp.Diff([]testcrm.CallActivity{tt.want(base)}, crm.CallLogs(), bodyDigest); diff != "" {
				t.Errorf("CallLogs (-want +got):\n%s", diff)
			}
			if id != "1006" {
				t.Errorf("LogID = %q, want 1006", id)
			}
		})
	}
}

func TestCreateCallLogRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		contact string
		submit  map[string]any
		wantMsg string
	}{
		{name: "unknown contact", contact: "9999", wantMsg: `Contact "9999" does not exist`},
		{name: "deal of another contact", contact: "1001", submit: map[string]any{"deals": "deal-2"}, wantMsg: `Deal "deal-2" is not an open deal of Alice Anderson`},
		{name: "deal as a number", contact: "1001", submit: map[string]any{"deals": 7.0}, wantMsg: `Deal "7" is not an open deal of Alice Anderson`},
		{name: "deal of a wrong kind", contact: "1001", submit: map[string]any{"deals": []any{"deal-1"}}, wantMsg: "Deal must be a deal id, not []interface {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := testcrm.NewCRM()
			_, err := testcrm.New(crm).CreateCallLog(context.Background(), adapter.CreateCallLogRequest{
				Session: session(), Contact: adapter.ContactRef{ID: tt.contact},
				Call: adapter.Call{SessionID: "s-1", Direction: "Inbound"}, AdditionalSubmission: tt.submit,
			})
			var ue *adapter.UserError
			if !errors.As(err, &ue) || ue.Message != tt.wantMsg {
				t.Fatalf("err = %v, want *adapter.UserError %q", err, tt.wantMsg)
			}
			if errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("err is also ErrNotFound; the server must see one class")
			}
			if n := crm.CallLogCount(); n != 0 {
				t.Errorf("CallLogCount = %d after a refusal, want 0", n)
			}
		})
	}
}

func TestGetCallLog(t *testing.T) {
	t.Parallel()
	a := testcrm.New(nil)
	ctx := context.Background()
	id := createCall(t, a, adapter.CreateCallLogRequest{
		Call: adapter.Call{SessionID: "s-1", Direction: "Outbound", CustomSubject: "Follow-up"}, Note: "Send the quote",
	})
	got, err := a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: session(), LogID: id})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(adapter.GetCallLogResult{Subject: "Follow-up", Note: "Send the quote"}, got); diff != "" {
		t.Errorf("GetCallLog (-want +got):\n%s", diff)
	}

	if _, err := a.SetCallDisposition(ctx, adapter.SetCallDispositionRequest{Session: session(), LogID: id, Dispositions: map[string]any{"outcome": "won"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetCallDisposition(ctx, adapter.SetCallDispositionRequest{Session: session(), LogID: id, Dispositions: map[string]any{"category": "sales"}}); err != nil {
		t.Fatal(err)
	}
	got, err = a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: session(), LogID: id})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"outcome": "won", "category": "sales"}, got.Dispositions); diff != "" {
		t.Errorf("Dispositions (-want +got):\n%s", diff)
	}
	got.Dispositions["outcome"] = "changed by the caller"
	again, err := a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: session(), LogID: id})
	if err != nil {
		t.Fatal(err)
	}
	if again.Dispositions["outcome"] != "won" {
		t.Errorf("GetCallLog shares its map with the CRM")
	}
}

func TestUnknownLogIsNotFound(t *testing.T) {
	t.Parallel()
	a := testcrm.New(nil)
	ctx := context.Background()
	id := createCall(t, a, adapter.CreateCallLogRequest{Call: adapter.Call{SessionID: "s-1"}})
	msg, err := a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
		Session: session(), Contact: adapter.ContactRef{ID: "1001"}, Message: adapter.Message{ID: "m1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	note := "x"
	calls := map[string]func(logID string) error{
		"GetCallLog": func(logID string) error {
			_, err := a.GetCallLog(ctx, adapter.GetCallLogRequest{Session: session(), LogID: logID})
			return err
		},
		"UpdateCallLog": func(logID string) error {
			_, err := a.UpdateCallLog(ctx, adapter.UpdateCallLogRequest{Session: session(), LogID: logID, Note: &note})
			return err
		},
		"SetCallDisposition": func(logID string) error {
			_, err := a.SetCallDisposition(ctx, adapter.SetCallDispositionRequest{Session: session(), LogID: logID})
			return err
		},
	}
	for name, call := range calls {
		for _, logID := range []string{"9999", "", msg.LogID} {
			if err := call(logID); !errors.Is(err, adapter.ErrNotFound) {
				t.Errorf("%s(%q) = %v, want ErrNotFound", name, logID, err)
			}
		}
		if err := call(id); err != nil {
			t.Errorf("%s(%q) = %v, want nil", name, id, err)
		}
	}
	for _, logID := range []string{"9999", id} {
		_, err := a.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{Session: session(), LogID: logID, Message: adapter.Message{ID: "m2"}})
		if !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("UpdateMessageLog(%q) = %v, want ErrNotFound", logID, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestCallLogBody shows a whole body: logbody's plain text, with the call
// details the user's settings keep.
func TestCallLogBody(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	s := session()
	s.User.Timezone = "Europe/Berlin"
	s.Settings = adapter.Settings{logbody.SettingSessionID: json.RawMessage(`{"value":false}`)}
	res, err := a.CreateCallLog(context.Background(), adapter.CreateCallLogRequest{
		Session: s, Contact: adapter.ContactRef{ID: "1001"}, Note: "Talked about pricing", Transcript: "Hi",
		Call: adapter.Call{
			SessionID: "s-1", Direction: "Inbound", Result: "Call connected", Duration: 95 * time.Second,
			StartTime: time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC), From: adapter.Party{PhoneNumber: "+16505551212"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	act, _ := crm.CallLog(res.LogID)
	want := `Talked about pricing

--- Transcript ---
Hi

--- Call details ---
- Subject: Inbound call from Alice Anderson
- Contact number: +16505551212
- Date/Time: 2024-05-01 12:15:00 PM
- Duration: 1m 35s
- Result: Call connected`
	if act.Note != want {
		t.Errorf("body:\n%s\nwant:\n%s", act.Note, want)
	}
}

func TestUpdateCallLog(t *testing.T) {
	t.Parallel()
	link := "https://rec.example/1"
	tests := []struct {
		name     string
		create   adapter.CreateCallLogRequest
		updates  []adapter.UpdateCallLogRequest
		wantNote string // UpdatedNote of the last update
		want     func(testcrm.CallActivity) testcrm.CallActivity
	}{
		{
			name:     "subject only",
			updates:  []adapter.UpdateCallLogRequest{{Subject: ptr("New subject")}},
			wantNote: "first note",
			want:     func(a testcrm.CallActivity) testcrm.CallActivity { a.Subject = "New subject"; return a },
		},
		{
			name:     "note replaced",
			updates:  []adapter.UpdateCallLogRequest{{Note: ptr("second note")}},
			wantNote: "second note",
			want:     func(a testcrm.CallActivity) testcrm.CallActivity { a.Note = "second note"; return a },
		},
		{
			name:     "recording appended",
			updates:  []adapter.UpdateCallLogRequest{{RecordingLink: &link}},
			wantNote: "first note",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Note, a.RecordingLink = "first note\nRecording: "+link, link
				return a
			},
		},
		{
			name:     "recording never twice",
			updates:  []adapter.UpdateCallLogRequest{{RecordingLink: &link}, {RecordingLink: &link}},
			wantNote: "first note",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Note, a.RecordingLink = "first note\nRecording: "+link, link
				return a
			},
		},
		{
			name:     "recording known at creation not appended again",
			create:   adapter.CreateCallLogRequest{Call: adapter.Call{Recording: &adapter.Recording{Link: link}}},
			updates:  []adapter.UpdateCallLogRequest{{RecordingLink: &link}},
			wantNote: "first note",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Note, a.RecordingLink = "first note\nRecording: "+link, link
				return a
			},
		},
		{
			name:     "new note and recording together",
			updates:  []adapter.UpdateCallLogRequest{{Note: ptr("edited"), RecordingLink: &link}},
			wantNote: "edited",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Note, a.RecordingLink = "edited\nRecording: "+link, link
				return a
			},
		},
		{
			name: "recording sweep keeps the note",
			updates: []adapter.UpdateCallLogRequest{
				{Note: ptr("typed later")},
				{Note: ptr(""), RecordingLink: &link, Result: ptr("Call connected")},
				{Note: ptr(""), RecordingLink: &link, Result: ptr("Call connected")},
			},
			wantNote: "typed later",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Note, a.RecordingLink, a.Result = "typed later\nRecording: "+link, link, "Call connected"
				return a
			},
		},
		{
			name:     "note replaced after the recording keeps it",
			updates:  []adapter.UpdateCallLogRequest{{RecordingLink: &link}, {Note: ptr("edited")}},
			wantNote: "edited",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Note, a.RecordingLink = "edited\nRecording: "+link, link
				return a
			},
		},
		{
			name:     "empty strings never erase",
			updates:  []adapter.UpdateCallLogRequest{{Subject: ptr(""), Note: ptr(""), AINote: ptr(""), Result: ptr(""), Direction: ptr("")}},
			wantNote: "first note",
			want:     func(a testcrm.CallActivity) testcrm.CallActivity { return a },
		},
		{
			name:     "empty recording link ignored",
			updates:  []adapter.UpdateCallLogRequest{{RecordingLink: ptr("")}},
			wantNote: "first note",
			want:     func(a testcrm.CallActivity) testcrm.CallActivity { return a },
		},
		{
			name: "call data corrected",
			updates: []adapter.UpdateCallLogRequest{{
				Duration: ptr(3 * time.Minute), Result: ptr("Missed"), Direction: ptr("Outbound"),
				StartTime: ptr(start.Add(time.Hour)), From: &adapter.Party{PhoneNumber: "+1"}, To: &adapter.Party{Name: "B"},
				AINote: ptr("ai"), Transcript: ptr("words"), AdditionalSubmission: map[string]any{"deals": "deal-1"},
			}},
			wantNote: "first note",
			want: func(a testcrm.CallActivity) testcrm.CallActivity {
				a.Duration, a.Result, a.Direction, a.StartTime = 3*time.Minute, "Missed", "Outbound", start.Add(time.Hour)
				a.From, a.To, a.AINote, a.Transcript, a.DealID = adapter.Party{PhoneNumber: "+1"}, adapter.Party{Name: "B"}, "ai", "words", "deal-1"
				return a
			},
		},
		{
			name:     "deal cleared",
			create:   adapter.CreateCallLogRequest{AdditionalSubmission: map[string]any{"deals": "deal-1"}},
			updates:  []adapter.UpdateCallLogRequest{{AdditionalSubmission: map[string]any{"deals": ""}}},
			wantNote: "first note",
			want:     func(a testcrm.CallActivity) testcrm.CallActivity { return a },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := testcrm.NewCRM()
			a := testcrm.New(crm)
			create := tt.create
			create.Note = "first note"
			create.Call.SessionID = "s-1"
			create.Call.Direction = "Inbound"
			create.Call.StartTime = start
			id := createCall(t, a, create)
			before, _ := crm.CallLog(id)
			before.Note, before.RecordingLink, before.DealID = "first note", "", ""

			var got adapter.UpdateCallLogResult
			for _, u := range tt.updates {
				u.Session, u.LogID, u.SessionID = session(), id, "s-1"
				var err error
				if got, err = a.UpdateCallLog(context.Background(), u); err != nil {
					t.Fatal(err)
				}
			}
			if got.UpdatedNote != tt.wantNote {
				t.Errorf("UpdatedNote = %q, want %q", got.UpdatedNote, tt.wantNote)
			}
			after, _ := crm.CallLog(id)
			if diff := cmp.Diff(tt.want(before), after, bodyDigest); diff != "" {
				t.Errorf("activity (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateCallLogRefusalChangesNothing(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	id := createCall(t, a, adapter.CreateCallLogRequest{Call: adapter.Call{SessionID: "s-1"}, Note: "keep me"})
	before, _ := crm.CallLog(id)
	_, err := a.UpdateCallLog(context.Background(), adapter.UpdateCallLogRequest{
		Session: session(), LogID: id, Note: ptr("lost"), AdditionalSubmission: map[string]any{"deals": "deal-9"},
	})
	var ue *adapter.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *adapter.UserError", err)
	}
	after, _ := crm.CallLog(id)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("activity changed (-before +after):\n%s", diff)
	}
}

func TestMessageLogs(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	ctx := context.Background()
	alice := adapter.ContactRef{ID: "1001", Name: "Alice Anderson"}
	day := adapter.Conversation{ID: "c-1", LogID: "c-1/5/1/2024", Type: "SMS"}

	created, err := a.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
		Session: session(), Contact: alice, Conversation: day, FaxAccessToken: "never-stored",
		Message: adapter.Message{ID: "m1", Direction: "Inbound", Subject: "Hi, call me back", CreationTime: start},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{
		Session: session(), LogID: created.LogID, Contact: alice, Conversation: day,
		Message: adapter.Message{ID: "m2", Direction: "Outbound", Subject: "Will do", CreationTime: start.Add(2 * time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []testcrm.MessageActivity{{
		ID: "1006", OwnerID: "u-tester", ContactID: "1001", ConversationLogID: "c-1/5/1/2024", Type: "SMS",
		Subject: "SMS conversation with Alice Anderson",
		Lines: []string{
			"[2024-05-01 10:15:00 AM] Inbound SMS: Hi, call me back",
			"[2024-05-01 10:17:00 AM] Outbound SMS: Will do",
		},
		MessageIDs: []string{"m1", "m2"},
	}}
	if diff := cmp.Diff(want, crm.MessageLogs()); diff != "" {
		t.Errorf("MessageLogs (-want +got):\n%s", diff)
	}
	if created.LogID != "1006" {
		t.Errorf("LogID = %q, want 1006", created.LogID)
	}
	for _, act := range crm.MessageLogs() {
		if strings.Contains(strings.Join(act.Lines, "\n")+act.Subject, "never-stored") {
			t.Errorf("the fax access token was stored")
		}
	}
}

func TestMessageLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typ     string
		message adapter.Message
		want    string
	}{
		{
			name: "voicemail with recording",
			typ:  "VoiceMail",
			message: adapter.Message{ID: "v1", Direction: "Inbound", Subject: "Voicemail from Alice", CreationTime: start,
				Attachments: []adapter.Attachment{{Type: "AudioRecording", Link: "https://media.example/v1", URI: "https://api.example/v1"}}},
			want: "[2024-05-01 10:15:00 AM] Inbound voicemail: Voicemail from Alice | Recording: https://media.example/v1",
		},
		{
			name: "fax with document",
			typ:  "Fax",
			message: adapter.Message{ID: "f1", Direction: "Outbound", CreationTime: start, FaxPageCount: 3,
				Attachments: []adapter.Attachment{{Type: "RenderedDocument", Link: "https://media.example/f1"}}},
			want: "[2024-05-01 10:15:00 AM] Outbound fax (3 pages) | Document: https://media.example/f1",
		},
		{
			name:    "one-page fax",
			typ:     "Fax",
			message: adapter.Message{ID: "f2", Direction: "Inbound", CreationTime: start, FaxPageCount: 1},
			want:    "[2024-05-01 10:15:00 AM] Inbound fax (1 page)",
		},
		{
			name: "MMS picture, attachment without link skipped",
			typ:  "SMS",
			message: adapter.Message{ID: "s1", Direction: "Inbound", Subject: "Look", CreationTime: start.In(time.FixedZone("X", 3600)),
				Attachments: []adapter.Attachment{{Type: "MmsAttachment", Link: "https://media.example/p1"}, {Type: "MmsAttachment", URI: "https://api.example/p2"}}},
			want: "[2024-05-01 10:15:00 AM] Inbound SMS: Look | Attachment: https://media.example/p1",
		},
		{
			name:    "no type means SMS",
			message: adapter.Message{ID: "s2", Subject: "hello", CreationTime: start},
			want:    "[2024-05-01 10:15:00 AM] SMS: hello",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := testcrm.NewCRM()
			_, err := testcrm.New(crm).CreateMessageLog(context.Background(), adapter.CreateMessageLogRequest{
				Session: session(), Contact: adapter.ContactRef{ID: "1005"},
				Conversation: adapter.Conversation{LogID: "c/5/1/2024", Type: tt.typ}, Message: tt.message,
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want}, crm.MessageLogs()[0].Lines); diff != "" {
				t.Errorf("Lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateMessageLogUnknownContact(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	_, err := testcrm.New(crm).CreateMessageLog(context.Background(), adapter.CreateMessageLogRequest{
		Session: session(), Contact: adapter.ContactRef{ID: "42"}, Message: adapter.Message{ID: "m1"},
	})
	var ue *adapter.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *adapter.UserError", err)
	}
	if n := crm.MessageLogCount(); n != 0 {
		t.Errorf("MessageLogCount = %d, want 0", n)
	}
}

func TestUnauthorize(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	a := testcrm.New(crm)
	ctx := context.Background()
	info, err := a.GetUserInfo(ctx, adapter.UserInfoRequest{APIKey: "key-1"})
	if err != nil {
		t.Fatal(err)
	}
	s := adapter.Session{User: adapter.User{ID: info.ID, Platform: testcrm.Platform}, Client: http.DefaultClient}
	if _, err := a.ValidateAuth(ctx, adapter.ValidateAuthRequest{Session: s}); err != nil {
		t.Fatalf("ValidateAuth before revocation = %v", err)
	}

	for range 2 {
		if _, err := a.Unauthorize(ctx, adapter.UnauthorizeRequest{Session: s}); err != nil {
			t.Fatalf("Unauthorize = %v", err)
		}
	}
	if diff := cmp.Diff([]string{info.ID, info.ID}, crm.Revocations()); diff != "" {
		t.Errorf("Revocations (-want +got):\n%s", diff)
	}
	if !crm.Revoked(info.ID) {
		t.Errorf("Revoked(%q) = false", info.ID)
	}
	if _, err := a.ValidateAuth(ctx, adapter.ValidateAuthRequest{Session: s}); !errors.Is(err, adapter.ErrUnauthorized) {
		t.Errorf("ValidateAuth after revocation = %v, want ErrUnauthorized", err)
	}
	_, err = a.FindContacts(ctx, adapter.FindContactsRequest{Session: s, Phone: query(t, "+16505551212", "")})
	if !errors.Is(err, adapter.ErrUnauthorized) {
		t.Errorf("FindContacts after revocation = %v, want ErrUnauthorized", err)
	}
	if _, err := a.FindContacts(ctx, adapter.FindContactsRequest{Session: session(), Phone: query(t, "+16505551212", "")}); err != nil {
		t.Errorf("another user's FindContacts = %v, want nil", err)
	}

	if _, err := a.GetUserInfo(ctx, adapter.UserInfoRequest{APIKey: "key-1"}); err != nil {
		t.Fatal(err)
	}
	if crm.Revoked(info.ID) {
		t.Errorf("still revoked after logging in again")
	}
	if _, err := a.ValidateAuth(ctx, adapter.ValidateAuthRequest{Session: s}); err != nil {
		t.Errorf("ValidateAuth after new login = %v", err)
	}
}

func TestManifest(t *testing.T) {
	t.Parallel()
	a := testcrm.New(nil)
	raw := a.Manifest()
	var m struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
		Auth        struct {
			Type   string `json:"type"`
			APIKey struct {
				Page struct {
					Title   string           `json:"title"`
					Content []map[string]any `json:"content"`
				} `json:"page"`
			} `json:"apiKey"`
		} `json:"auth"`
		ContactTypes []map[string]string `json:"contactTypes"`
		Page         struct {
			CallLog struct {
				AdditionalFields []map[string]any `json:"additionalFields"`
			} `json:"callLog"`
			MessageLog map[string]any `json:"messageLog"`
		} `json:"page"`
		RequestConfig struct {
			Timeout float64 `json:"timeout"`
		} `json:"requestConfig"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	if m.Name != a.Platform() || m.DisplayName != "Test CRM" || m.Auth.Type != string(a.Auth().Type) {
		t.Errorf("name/displayName/auth.type = %q/%q/%q", m.Name, m.DisplayName, m.Auth.Type)
	}
	wantLogin := []map[string]any{{"const": "apiKey", "title": "API key", "type": "inputField", "required": true}}
	if diff := cmp.Diff(wantLogin, m.Auth.APIKey.Page.Content); diff != "" || m.Auth.APIKey.Page.Title != "Test CRM" {
		t.Errorf("login page (-want +got):\n%s", diff)
	}
	wantTypes := []map[string]string{{"display": "Contact", "value": "Contact"}, {"display": "Lead", "value": "Lead"}}
	if diff := cmp.Diff(wantTypes, m.ContactTypes); diff != "" {
		t.Errorf("contactTypes (-want +got):\n%s", diff)
	}
	wantFields := []map[string]any{{"const": testcrm.DealsField, "title": "Deal", "type": "selection", "contactDependent": true}}
	if diff := cmp.Diff(wantFields, m.Page.CallLog.AdditionalFields); diff != "" {
		t.Errorf("callLog.additionalFields (-want +got):\n%s", diff)
	}
	if m.Page.MessageLog == nil || m.RequestConfig.Timeout <= 0 {
		t.Errorf("messageLog = %v, requestConfig.timeout = %v", m.Page.MessageLog, m.RequestConfig.Timeout)
	}
	for _, word := range []string{"secret", "clientSecret", "password", "token"} {
		if strings.Contains(strings.ToLower(string(raw)), strings.ToLower(word)) {
			t.Errorf("manifest mentions %q", word)
		}
	}
	raw[0] = 'X'
	if a.Manifest()[0] != '{' {
		t.Errorf("Manifest shares its bytes with the caller")
	}
}
