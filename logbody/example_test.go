package logbody_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

func Example() {
	session := adapter.Session{
		User: adapter.User{Timezone: "Europe/Berlin"},
		Settings: adapter.Settings{
			logbody.SettingSessionID:  json.RawMessage(`{"value":false}`),
			logbody.SettingDateFormat: json.RawMessage(`{"value":"YYYY-MM-DD HH:mm"}`),
		},
	}
	// CreateCallLog: the recording is still being processed.
	body := logbody.New(adapter.LogFormatText, adapter.CreateCallLogRequest{
		Session: session,
		Contact: adapter.ContactRef{Name: "Alice Anderson"},
		Call: adapter.Call{
			SessionID: "s-1", Direction: "Inbound", Result: "Call connected",
			StartTime: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
			Duration:  95 * time.Second,
			From:      adapter.Party{PhoneNumber: "+16505551212"},
			Recording: &adapter.Recording{Link: "(pending...)"},
		},
		Note: "Wants a quote",
	}).String()

	// UpdateCallLog: the client's recording sweep sends "note":"" with the
	// link; then the user edits the note.
	for _, note := range []string{"", "Sent the quote"} {
		b, err := logbody.Parse(adapter.LogFormatText, body)
		if err != nil {
			panic(err)
		}
		link := "https://media.example/rec/1"
		if b.Update(adapter.UpdateCallLogRequest{Session: session, Note: &note, RecordingLink: &link}) {
			body = b.String()
		}
	}
	fmt.Println(body)

	b, _ := logbody.Parse(adapter.LogFormatText, body)
	fmt.Printf("GET /callLog note: %q\n", b.Note())
	// Output:
	// Sent the quote
	//
	// --- Call details ---
	// - Subject: Inbound call from Alice Anderson
	// - Contact number: +16505551212
	// - Date/Time: 2026-03-02 10:30
	// - Duration: 1m 35s
	// - Result: Call connected
	// - Recording: https://media.example/rec/1
	// GET /callLog note: "Sent the quote"
}

func ExampleNew_html() {
	fmt.Println(logbody.New(adapter.LogFormatHTML, adapter.CreateCallLogRequest{
		Call:   adapter.Call{Direction: "Outbound", To: adapter.Party{PhoneNumber: "+442079460958"}},
		Note:   "<b>not bold</b>",
		AINote: "Short call",
	}).String())
	// Output:
	// <p>&lt;b&gt;not bold&lt;/b&gt;</p><p><b>AI note</b></p><p>Short call</p><p><b>Call details</b></p><ul><li>Subject: Outbound call to +442079460958</li><li>Contact number: +442079460958</li><li>Duration: 0s</li></ul>
}

func ExampleFormatDate() {
	t := time.Date(2026, 11, 30, 17, 5, 9, 0, time.UTC)
	fmt.Println(logbody.FormatDate(t, logbody.Location("America/New_York"), "ddd, MMM D YYYY h:mm A [at] z"))
	fmt.Println(logbody.FormatDate(t, time.UTC, ""))
	// Output:
	// Mon, Nov 30 2026 12:05 PM at EST
	// 2026-11-30 05:05:09 PM
}
