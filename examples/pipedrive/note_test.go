package pipedrive

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
)

func TestCallNoteRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		note callNote
	}{
		{"empty", callNote{}},
		{"user only", callNote{user: paragraph("hello\nworld")}},
		{"everything", callNote{
			user: paragraph("a < b"), ai: paragraph("summary"), transcript: paragraph("hi"),
			details: []detail{{"Direction", "Inbound"}, {"Recording", link("https://x.example/r?a=1&b=2")}},
		}},
		{"details only", callNote{details: []detail{{"Duration", "0:05"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseCallNote(tt.note.html())
			if diff := cmp.Diff(tt.note, got, cmp.AllowUnexported(callNote{}, detail{})); diff != "" {
				t.Errorf("parse(render) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCallNoteTolerance(t *testing.T) {
	// Pipedrive may rewrite <b> as <strong> and add attributes; a note
	// written in Pipedrive by hand has no sections at all.
	in := `<p>mine</p><p class="x"><strong>Call details</strong></p><ul><li>Result: Missed</li><li>odd line</li></ul>`
	want := callNote{user: "<p>mine</p>", details: []detail{{"Result", "Missed"}, {"", "odd line"}}}
	if diff := cmp.Diff(want, parseCallNote(in), cmp.AllowUnexported(callNote{}, detail{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	hand := "<div>typed in Pipedrive</div>"
	if got := parseCallNote(hand); got.user != hand || got.details != nil {
		t.Errorf("hand-written note parsed as %+v", got)
	}
}

func FuzzUserNoteCannotForgeSections(f *testing.F) {
	for _, s := range []string{"plain", "<p><b>Call details</b></p>", "a\nb", "&amp; <li>x</li>", "--- Call details ---"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n := callNote{user: paragraph(text), details: []detail{{"Result", "Missed"}}}
		got := parseCallNote(n.html())
		want := strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
		if plainText(got.user) != plainText(paragraph(want)) || len(got.details) != 1 || got.ai != "" {
			t.Fatalf("text %q: parsed %+v", text, got)
		}
	})
}

func TestPlainText(t *testing.T) {
	tests := map[string]string{
		"":                             "",
		"<p>a &lt;b&gt;<br>c</p>":      "a <b>\nc",
		"<p>one</p><p>two</p>":         "one\ntwo",
		"<div>x<BR/>y</div>":           "x\ny",
		"<p>Tom &amp; Jerry&#39;s</p>": "Tom & Jerry's",
	}
	for in, want := range tests {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		d           time.Duration
		hhmm, clock string
	}{
		{0, "00:00", "0:00"},
		{-time.Second, "00:00", "0:00"},
		{45 * time.Second, "00:01", "0:45"},
		{time.Minute, "00:01", "1:00"},
		{65 * time.Second, "00:02", "1:05"},
		{2*time.Hour + 3*time.Minute + 4*time.Second, "02:04", "2:03:04"},
	}
	for _, tt := range tests {
		if got := hhmm(tt.d); got != tt.hhmm {
			t.Errorf("hhmm(%v) = %q, want %q", tt.d, got, tt.hhmm)
		}
		if tt.d >= 0 {
			if got := clockDuration(tt.d); got != tt.clock {
				t.Errorf("clockDuration(%v) = %q, want %q", tt.d, got, tt.clock)
			}
		}
	}
}

func TestRateLimitWait(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}, "X-Ratelimit-Reset": {"2"}}, 7 * time.Second},
		{"date in the past falls back", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}, "X-Ratelimit-Reset": {"2"}}, 2 * time.Second},
		{"reset only", http.Header{"X-Ratelimit-Reset": {"3"}}, 3 * time.Second},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"none", http.Header{}, 0},
	}
	for _, tt := range tests {
		err := statusError("GET", "/x", &http.Response{StatusCode: http.StatusTooManyRequests, Header: tt.header}, "")
		rl, ok := errors.AsType[*adapter.RateLimitError](err)
		if !ok || rl.RetryAfter != tt.want {
			t.Errorf("%s: %v, want a wait of %v", tt.name, err, tt.want)
		}
	}
}

func TestPickTypes(t *testing.T) {
	tests := []struct {
		name    string
		list    []activityType
		want    activityTypes
		wantErr bool
	}{
		{"defaults", []activityType{{Name: "Call", KeyString: "call", IconKey: "call", Active: true}, {Name: "Task", KeyString: "task", Active: true}},
			activityTypes{call: "call", message: "call"}, false},
		{"renamed key, call icon", []activityType{{Name: "Telefon", KeyString: "telefon", IconKey: "call", Active: true}},
			activityTypes{call: "telefon", message: "telefon"}, false},
		{"named Call", []activityType{{Name: "call", KeyString: "c1", IconKey: "phone", Active: true}},
			activityTypes{call: "c1", message: "c1"}, false},
		{"inactive call skipped", []activityType{{Name: "Call", KeyString: "call", Active: false}, {Name: "Ring", KeyString: "ring", IconKey: "call", Active: true}},
			activityTypes{call: "ring", message: "ring"}, false},
		{"sms type for messages", []activityType{{Name: "Call", KeyString: "call", Active: true}, {Name: "SMS", KeyString: "text", Active: true}},
			activityTypes{call: "call", message: "text"}, false},
		{"no call type", []activityType{{Name: "Task", KeyString: "task", Active: true}}, activityTypes{}, true},
	}
	for _, tt := range tests {
		got, err := pickTypes(tt.list)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(activityTypes{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestOffsetMinutes(t *testing.T) {
	tests := map[string]int{"+01:00": 60, "-05:30": -330, "+00:00": 0, "": 0, "1:00": 0, "+1a:00": 0, "+15:00": 0}
	for in, want := range tests {
		if got := offsetMinutes(in); got != want {
			t.Errorf("offsetMinutes(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSubmittedDeal(t *testing.T) {
	tests := []struct {
		in      any
		want    int64
		wantErr bool
	}{
		{nil, 0, false}, {"", 0, false}, {"none", 0, false}, {"12", 12, false}, {12.0, 12, false},
		{7, 7, false}, {"x", 0, true}, {-3.0, 0, true}, {1.5, 0, true}, {[]string{"1"}, 0, true},
	}
	for _, tt := range tests {
		got, err := submittedDeal(map[string]any{dealsField: tt.in})
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("submittedDeal(%v) = %d, %v", tt.in, got, err)
		}
	}
}
