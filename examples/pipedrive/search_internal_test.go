package pipedrive

import (
	"strings"
	"testing"
)

func TestCommonTerm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		candidates []string
		want       string
	}{
		{[]string{"+16505551212", "(650) 555-1212", "650-555-1212", "650.555.1212"}, "1212"},
		{[]string{"+442079460958", "020 7946 0958", "+44 20 7946 0958"}, "0958"},
		// A Mexican mobile: its old "+521" E.164, the new one, a format.
		{[]string{"+5215512345678", "+525512345678", "55 1234 5678"}, "5678"},
		{[]string{"+16505551212", "+16505551212 x12"}, "+16505551212"},
		{[]string{"Ext 101", "EXT 101"}, "ext 101"}, // compared case-insensitively
		{[]string{" 12 ", "x 12 y"}, "12"},          // no space at either end
		{[]string{"abc", "xyz"}, ""},
		{[]string{"caf\u00e9", "\u00e9t\u00e9"}, "\u00e9"}, // whole runes only
	}
	for _, tt := range tests {
		got := commonTerm(tt.candidates)
		if got != tt.want {
			t.Errorf("commonTerm(%q) = %q, want %q", tt.candidates, got, tt.want)
		}
		for _, c := range tt.candidates {
			if !strings.Contains(strings.ToLower(c), got) {
				t.Errorf("%q does not contain %q", c, got)
			}
		}
	}
}

// TestCommonTermBounded: the worst case within the bounds (no common term,
// so every substring of the shortest candidate is tried) finishes, and 10x
// the bounds is refused without a scan.
func TestCommonTermBounded(t *testing.T) {
	t.Parallel()
	// Every substring is found in all candidates but the last.
	worst := make([]string, maxBroadCandidates)
	for i := range worst {
		worst[i] = strings.Repeat("0123456789abcdef", maxBroadCandidateLen/16)
	}
	worst[len(worst)-1] = strings.Repeat("z", maxBroadCandidateLen)
	if got := commonTerm(worst); got != "" {
		t.Errorf("commonTerm(worst case) = %q, want none", got)
	}
	many := make([]string, 10*maxBroadCandidates)
	for i := range many {
		many[i] = "+16505551212"
	}
	if got := commonTerm(many); got != "" {
		t.Errorf("%d candidates: %q, want none (too many to scan)", len(many), got)
	}
	long := []string{"+16505551212", strings.Repeat("1212", 10*maxBroadCandidateLen/4)}
	if got := commonTerm(long); got != "" {
		t.Errorf("a %d-byte candidate: %q, want none (too long to scan)", len(long[1]), got)
	}
}

func BenchmarkCommonTermWorst(b *testing.B) {
	worst := make([]string, maxBroadCandidates)
	for i := range worst {
		worst[i] = strings.Repeat("0123456789abcdef", maxBroadCandidateLen/16)
	}
	worst[len(worst)-1] = strings.Repeat("z", maxBroadCandidateLen)
	for b.Loop() {
		commonTerm(worst)
	}
}
