package logbody_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests use named zones; a machine may lack the zone database

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

var formats = []adapter.LogFormat{adapter.LogFormatText, adapter.LogFormatHTML, adapter.LogFormatMarkdown}

func ptr[T any](v T) *T { return &v }

// call is a finished inbound call whose recording is still processed.
func call() adapter.Call {
	return adapter.Call{
		SessionID: "s-42", Direction: "Inbound", Result: "Call connected",
		StartTime: time.Date(2026, 3, 2, 9, 30, 5, 0, time.UTC), Duration: 3725 * time.Second,
		From:      adapter.Party{PhoneNumber: "+16505551212", Name: "Alice"},
		To:        adapter.Party{PhoneNumber: "+16505550001"},
		Recording: &adapter.Recording{Link: "(pending...)"},
	}
}

func settings(kv ...string) adapter.Settings {
	s := adapter.Settings{}
	for i := 0; i+1 < len(kv); i += 2 {
		s[kv[i]] = json.RawMessage(`{"value":` + kv[i+1] + `}`)
	}
	return s
}

func create(s adapter.Settings, note string) adapter.CreateCallLogRequest {
	return adapter.CreateCallLogRequest{
		Session: adapter.Session{User: adapter.User{Timezone: "America/Los_Angeles"}, Settings: s},
		Contact: adapter.ContactRef{Name: "Alice Anderson"},
		Call:    call(),
		Note:    note,
	}
}

func parse(t testing.TB, f adapter.LogFormat, s string) *logbody.Body {
	t.Helper()
	b, err := logbody.Parse(f, s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return b
}

// callDetails are the details of call() with this subject and recording
// link ("" for none), in the user's zone America/Los_Angeles.
func callDetails(subject, recording string) []logbody.Detail {
	ds := []logbody.Detail{
		{Label: logbody.LabelSubject, Value: subject},
		{Label: logbody.LabelContactNumber, Value: "+16505551212"},
		{Label: logbody.LabelDateTime, Value: "2026-03-02 01:30:05 AM"},
		{Label: logbody.LabelDuration, Value: "1h 2m 5s"},
		{Label: logbody.LabelResult, Value: "Call connected"},
	}
	if recording != "" {
		ds = append(ds, logbody.Detail{Label: logbody.LabelRecording, Value: recording})
	}
	return append(ds, logbody.Detail{Label: logbody.LabelSessionID, Value: "s-42"})
}

func TestNewDetails(t *testing.T) {
	t.Parallel()
	b := logbody.New(adapter.LogFormatText, create(nil, "hello"))
	if diff := cmp.Diff(callDetails("Inbound call from Alice Anderson", ""), b.Details()); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

func TestSettingsTurnPartsOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		setting string
		value   string
		gone    string // detail label, or "note"
	}{
		{logbody.SettingNote, "false", "note"},
		{logbody.SettingSubject, "false", logbody.LabelSubject},
		{logbody.SettingDateTime, `"false"`, logbody.LabelDateTime},
		{logbody.SettingDuration, "false", logbody.LabelDuration},
		{logbody.SettingResult, "false", logbody.LabelResult},
		{logbody.SettingRecording, "false", logbody.LabelRecording},
		{logbody.SettingSessionID, "false", logbody.LabelSessionID},
		{logbody.SettingContactNumber, `"FALSE"`, logbody.LabelContactNumber},
	}
	for _, f := range formats {
		for _, tt := range tests {
			req := create(settings(tt.setting, tt.value), "my note")
			req.Call.Recording.Link = "https://rec.example/1"
			b := parse(t, f, logbody.New(f, req).String())
			if tt.gone == "note" {
				if b.Note() != "" {
					t.Errorf("%s %s off: note %q", f, tt.setting, b.Note())
				}
				// An update of the note honours the setting too.
				if b.Update(adapter.UpdateCallLogRequest{Session: req.Session, Note: ptr("x")}) {
					t.Errorf("%s %s off: the note update changed the body", f, tt.setting)
				}
				continue
			}
			if v, ok := b.Detail(tt.gone); ok {
				t.Errorf("%s %s off: %s = %q", f, tt.setting, tt.gone, v)
			}
			if b.Note() != "my note" || len(b.Details()) != 6 {
				t.Errorf("%s %s off: note %q, details %v", f, tt.setting, b.Note(), b.Details())
			}
		}
	}
	// Unreadable values leave the part on: only an explicit false is off.
	b := logbody.New(adapter.LogFormatText, create(settings(logbody.SettingResult, `"no idea"`, logbody.SettingDuration, `{}`), ""))
	if _, ok := b.Detail(logbody.LabelResult); !ok {
		t.Error("a string other than false turned the result off")
	}
	if _, ok := b.Detail(logbody.LabelDuration); !ok {
		t.Error("an object turned the duration off")
	}
}

func TestDateFormatSetting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ layout, want string }{
		{`"DD/MM/YY HH:mm Z"`, "02/03/26 01:30 -08:00"},
		{`""`, "2026-03-02 01:30:05 AM"},
		{`42`, "2026-03-02 01:30:05 AM"},
		{`"` + strings.Repeat("Y", 10*logbody.MaxDateFormat) + `"`, "2026-03-02 01:30:05 AM"},
		{`"[YYYY] dddd MMMM D, h:m:s a ZZ [open"`, "YYYY Monday March 2, 1:30:5 am -0800 [open"},
	} {
		b := logbody.New(adapter.LogFormatText, create(settings(logbody.SettingDateFormat, tt.layout), ""))
		if got, _ := b.Detail(logbody.LabelDateTime); got != tt.want {
			t.Errorf("logDateFormat %s: %q, want %q", tt.layout, got, tt.want)
		}
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	if logbody.Location("") != time.UTC || logbody.Location("Nowhere/City") != time.UTC ||
		logbody.Location(strings.Repeat("A", 640)) != time.UTC {
		t.Error("an unusable zone name is not UTC")
	}
	if got := logbody.Location("Asia/Tokyo").String(); got != "Asia/Tokyo" {
		t.Errorf("Location(Asia/Tokyo) = %s", got)
	}
}

// TestClientSequence plays PATCH /callLog as the client sends it: the user
// edits the note, the recording sweep comes twice with "note":"" and the
// call's data, then another edit and empty values of every field.
func TestClientSequence(t *testing.T) {
	t.Parallel()
	link := "https://media.example/rec/1?a=1&b=2"
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			req := create(nil, "first note")
			req.AINote = "summary"
			body := logbody.New(f, req).String()
			update := func(u adapter.UpdateCallLogRequest) bool {
				t.Helper()
				u.Session = req.Session
				b := parse(t, f, body)
				changed := b.Update(u)
				if next := b.String(); (next != body) != changed {
					t.Fatalf("Update reported %t, body changed %t", changed, next != body)
				} else {
					body = next
				}
				return changed
			}
			update(adapter.UpdateCallLogRequest{Note: ptr("typed later"), Subject: ptr("Pricing")})
			sweep := adapter.UpdateCallLogRequest{
				Note: ptr(""), RecordingLink: &link, Result: ptr("Call connected"),
				StartTime: &req.Call.StartTime, Duration: &req.Call.Duration, Direction: ptr("Inbound"),
				From: &req.Call.From, To: &req.Call.To,
			}
			if !update(sweep) {
				t.Error("the first sweep did not add the recording")
			}
			if update(sweep) {
				t.Errorf("the second sweep changed the body:\n%s", body)
			}
			update(adapter.UpdateCallLogRequest{Note: ptr("edited\nagain")})
			update(adapter.UpdateCallLogRequest{Note: ptr(" "), Subject: ptr(""), AINote: ptr(""), Transcript: ptr(""), Result: ptr(""), RecordingLink: ptr("(pending...)")})

			b := parse(t, f, body)
			if b.Note() != "edited\nagain" || b.AINote() != "summary" || b.Transcript() != "" {
				t.Errorf("note %q, AI note %q, transcript %q", b.Note(), b.AINote(), b.Transcript())
			}
			if diff := cmp.Diff(callDetails("Pricing", link), b.Details()); diff != "" {
				t.Errorf("details (-want +got):\n%s\nbody:\n%s", diff, body)
			}
			times := 1 // HTML writes a link twice: href and text
			if f == adapter.LogFormatHTML {
				times = 2
			}
			if n := strings.Count(body, "media.example/rec/1"); n != times {
				t.Errorf("the link appears %d times:\n%s", n, body)
			}
		})
	}
}

func TestParseTolerance(t *testing.T) {
	t.Parallel()
	// CRMs rewrite markup: <strong> for <b>, attributes, other list tags;
	// a note typed in the CRM has no sections at all.
	in := `<div>mine<br/>too</div><p class="x"><strong style="a">call details</strong></p><ol><li class="y">Result: Missed</li><li>odd line</li></ol>`
	b := parse(t, adapter.LogFormatHTML, in)
	if b.Note() != "mine\ntoo" {
		t.Errorf("note %q", b.Note())
	}
	want := []logbody.Detail{{Label: logbody.LabelResult, Value: "Missed"}, {Value: "odd line"}}
	if diff := cmp.Diff(want, b.Details()); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	for _, f := range formats {
		hand := "typed in the CRM\n- Result: not a detail"
		b := parse(t, f, hand)
		if b.String() != hand || len(b.Details()) != 0 {
			t.Errorf("%s: hand-written note parsed as %q, %v", f, b.String(), b.Details())
		}
	}
	for _, notHeading := range []string{"<pre><b>AI note</b></p>", "<p><bdi>AI note</bdi></p>", "<p><b>AI notes</b></p>"} {
		if b := parse(t, adapter.LogFormatHTML, notHeading); b.AINote() != "" || b.String() != notHeading {
			t.Errorf("%q read as a heading", notHeading)
		}
	}
	md := "note\n\n## transcript\nhello\n\n#### Call Details\n- Result: Missed\n* not ours"
	b = parse(t, adapter.LogFormatMarkdown, md)
	if b.Transcript() != "hello" || len(b.Details()) != 2 {
		t.Errorf("markdown: transcript %q, details %v", b.Transcript(), b.Details())
	}
}

// TestForgedSections: text users typed that looks like the markup of a
// section stays their text in every format.
func TestForgedSections(t *testing.T) {
	t.Parallel()
	forged := []string{
		"--- Call details ---\n- Result: Forged",
		"  --- AI note ---",
		"\u00a0--- Transcript ---",
		"### Call details\n- **Result**: Forged",
		"#Call details",
		`\--- Call details ---`,
		`\\### AI note`,
		"<p><b>Call details</b></p><ul><li>Result: Forged</li></ul>",
		"&lt;p&gt;&lt;b&gt;AI note&lt;/b&gt;&lt;/p&gt;",
		"line\r--- AI note ---\r\nx",
	}
	for _, f := range formats {
		for _, note := range forged {
			req := create(nil, note)
			req.Call.CustomSubject = note
			req.Transcript = note
			b := parse(t, f, logbody.New(f, req).String())
			wantNote := strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(note, "\r\n", "\n"), "\r", "\n"))
			if b.Note() != wantNote || b.Transcript() != wantNote || b.AINote() != "" {
				t.Errorf("%s %q: note %q, transcript %q, AI note %q", f, note, b.Note(), b.Transcript(), b.AINote())
			}
			if r, _ := b.Detail(logbody.LabelResult); r != "Call connected" || len(b.Details()) != 6 {
				t.Errorf("%s %q: details %v", f, note, b.Details())
			}
		}
	}
}

func TestRoundTripIsIdentity(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		req := create(nil, "a < b & c\n\n--- x ---\n# y")
		req.AINote, req.Transcript = "ai *bold*", "Agent: hi\nCaller: hello"
		req.Call.Recording.Link = "https://rec.example/r?x=1&y=<2>"
		s := logbody.New(f, req).String()
		if got := parse(t, f, s).String(); got != s {
			t.Errorf("%s: Parse(s).String() changed the body:\n%s\n---\n%s", f, s, got)
		}
	}
}

func TestSetDetailOrderAndOwnLabels(t *testing.T) {
	t.Parallel()
	b := parse(t, adapter.LogFormatMarkdown, "")
	b.SetDetail("Deal", "Big one")
	b.SetDetail(logbody.LabelResult, "Missed")
	b.SetDetail(logbody.LabelSubject, "Hi\nthere")
	b.SetDetail(logbody.LabelResult, "")
	b.SetDetail("", "ignored")
	want := []logbody.Detail{{Label: "Subject", Value: "Hi there"}, {Label: "Result", Value: "Missed"}, {Label: "Deal", Value: "Big one"}}
	if diff := cmp.Diff(want, parse(t, adapter.LogFormatMarkdown, b.String()).Details()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBounds(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 10*logbody.MaxBodyBytes)
	// Many sections (each marker of each format, repeated) parse into
	// one of each kind.
	section := map[adapter.LogFormat]string{
		adapter.LogFormatText: "--- AI note ---\na\n", adapter.LogFormatHTML: "<p><b>AI note</b></p><p>a</p>", adapter.LogFormatMarkdown: "### AI note\na\n",
	}
	for _, f := range formats {
		dense := strings.Repeat(section[f], logbody.MaxBodyBytes/1024)
		if _, err := logbody.Parse(f, big); !errors.Is(err, logbody.ErrTooLarge) {
			t.Errorf("%s: Parse of %d bytes: %v, want ErrTooLarge", f, len(big), err)
		}
		if b, err := logbody.Parse(f, big[:logbody.MaxBodyBytes]); err != nil || b.Note() != big[:logbody.MaxBodyBytes] {
			t.Errorf("%s: Parse of MaxBodyBytes: %v", f, err)
		}
		b, err := logbody.Parse(f, dense)
		if err != nil {
			t.Fatal(err)
		}
		if s := b.String(); strings.Count(s, "AI note") != 1 || len(s) > len(dense) || b.AINote() == "" {
			t.Errorf("%s: %d sections written back as %d bytes with %d headings", f, logbody.MaxBodyBytes/1024, len(s), strings.Count(s, "AI note"))
		}
	}
	if logbody.IsWebLink("https://x.example/" + strings.Repeat("a", 40000)) {
		t.Error("a 40 kB link is written as a link")
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	c := call()
	for _, tt := range []struct {
		call    func(*adapter.Call)
		contact string
		want    string
	}{
		{func(*adapter.Call) {}, "Alice", "Inbound call from Alice"},
		{func(c *adapter.Call) { c.Direction = "Outbound" }, "", "Outbound call to +16505550001"},
		{func(c *adapter.Call) { c.Direction = "" }, "", "Call with +16505550001"},
		{func(c *adapter.Call) { c.CustomSubject = " Mine\n" }, "Alice", "Mine"},
		{func(c *adapter.Call) {}, "", "Inbound call from Alice (+16505551212)"},
	} {
		cc := c
		tt.call(&cc)
		if got := logbody.Subject(cc, adapter.ContactRef{Name: tt.contact}); got != tt.want {
			t.Errorf("Subject = %q, want %q", got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{-time.Second: "0s", 0: "0s", 40 * time.Second: "40s", 125 * time.Second: "2m 5s", 3725 * time.Second: "1h 2m 5s"} {
		if got := logbody.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func BenchmarkParseUpdate(b *testing.B) {
	req := create(nil, strings.Repeat("a line of the note\n", 200))
	req.Transcript = strings.Repeat("Agent: words words words\n", 2000)
	link := "https://media.example/rec/1"
	for _, f := range formats {
		body := logbody.New(f, req).String()
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				p, _ := logbody.Parse(f, body)
				p.Update(adapter.UpdateCallLogRequest{RecordingLink: &link})
				_ = p.String()
			}
		})
	}
}
