package pipedrive

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
)

func TestDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		hhmm string
	}{
		{0, "00:00"},
		{-time.Second, "00:00"},
		{45 * time.Second, "00:01"},
		{time.Minute, "00:01"},
		{65 * time.Second, "00:02"},
		{2*time.Hour + 3*time.Minute + 4*time.Second, "02:04"},
	}
	for _, tt := range tests {
		if got := hhmm(tt.d); got != tt.hhmm {
			t.Errorf("hhmm(%v) = %q, want %q", tt.d, got, tt.hhmm)
		}
	}
}

func TestRateLimitWait(t *testing.T) {
	t.Parallel()
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
		err := statusError(&http.Response{StatusCode: http.StatusTooManyRequests, Header: tt.header}, "")
		rl, ok := errors.AsType[*adapter.RateLimitError](err)
		if !ok || rl.RetryAfter != tt.want {
			t.Errorf("%s: %v, want a wait of %v", tt.name, err, tt.want)
		}
	}
}

func TestPickTypes(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	tests := map[string]int{"+01:00": 60, "-05:30": -330, "+00:00": 0, "": 0, "1:00": 0, "+1a:00": 0, "+15:00": 0}
	for in, want := range tests {
		if got := offsetMinutes(in); got != want {
			t.Errorf("offsetMinutes(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSubmittedDeal(t *testing.T) {
	t.Parallel()
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
