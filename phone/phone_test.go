package phone

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string
	}{
		{"+16505551212", "+16505551212"},
		{" 16505551212", "+16505551212"},      // '+' decoded to a space
		{"   16505551212  ", "+16505551212"},  // several spaces still mean a lost '+'
		{" +16505551212 ", "+16505551212"},    // plain surrounding spaces
		{"16505551212", "16505551212"},        // no space: nothing was lost
		{"\t16505551212", "16505551212"},      // a tab is not a decoded '+'
		{" \t16505551212", "16505551212"},     // the space is not right before the digit
		{" (650) 555-1212", "(650) 555-1212"}, // space before a non-digit
		{"101", "101"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.raw); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// view exposes a Number's accessors for cmp.Diff.
type view struct {
	E164, NSN, National, International, Region, Masked string
	CountryCode                                        int
	Valid, Zero                                        bool
}

func viewOf(n Number) view {
	return view{
		E164: n.E164(), NSN: n.NationalNumber(), National: n.NationalFormat(),
		International: n.InternationalFormat(), Region: n.Region(), Masked: n.Masked(),
		CountryCode: n.CountryCode(), Valid: n.Valid(), Zero: n.IsZero(),
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	us := view{
		E164: "+16505551212", NSN: "6505551212", National: "(650) 555-1212",
		International: "+1 650-555-1212", Region: "US", Masked: "+*******1212",
		CountryCode: 1, Valid: true,
	}
	tests := []struct {
		name string
		raw  string
		want view
	}{
		{"E.164", "+16505551212", us},
		{"lost plus", " 16505551212", us},
		{"separators", "+1 (650) 555-1212", us},
		{"dots and slash", "+1.650.555/1212", us},
		{"GB", "+442079460958", view{
			E164: "+442079460958", NSN: "2079460958", National: "020 7946 0958",
			International: "+44 20 7946 0958", Region: "GB", Masked: "+********0958",
			CountryCode: 44, Valid: true,
		}},
		{"Italy keeps its leading zero", "+390212345678", view{
			E164: "+390212345678", NSN: "0212345678", National: "02 1234 5678",
			International: "+39 02 1234 5678", Region: "IT", Masked: "+********5678",
			CountryCode: 39, Valid: true,
		}},
		{"shared country code picks the region", "+12423570000", view{
			E164: "+12423570000", NSN: "2423570000", National: "(242) 357-0000",
			International: "+1 242-357-0000", Region: "BS", Masked: "+*******0000",
			CountryCode: 1, Valid: true,
		}},
		{"non-geographic", "+80012345678", view{
			E164: "+80012345678", NSN: "12345678", National: "1234 5678",
			International: "+800 1234 5678", Region: "001", Masked: "+*******5678",
			CountryCode: 800, Valid: true,
		}},
		{"possible but invalid", "+10005551212", view{
			E164: "+10005551212", NSN: "0005551212", National: "0005551212",
			International: "+1 0005551212", Masked: "+*******1212", CountryCode: 1,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if diff := cmp.Diff(tt.want, viewOf(n)); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.raw, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"empty", "", ErrEmpty},
		{"spaces", "   ", ErrEmpty},
		{"tabs and newline", "\t\n", ErrEmpty},
		{"extension", "101", ErrNotE164},
		{"national number", "6505551212", ErrNotE164},
		{"formatted national", "(650) 555-1212", ErrNotE164},
		{"letters", "abc", ErrInvalid},
		{"vanity letters", "+1800FLOWERS", ErrInvalid},
		{"letters without plus", "call me", ErrInvalid},
		{"lone plus", "+", ErrInvalid},
		{"lone plus with spaces", " + ", ErrInvalid},
		{"plus and separators", "+() -", ErrInvalid},
		{"second plus", "+1650+5551212", ErrInvalid},
		{"40 digits", "+" + strings.Repeat("1234567890", 4), ErrInvalid},
		{"40 digits lost plus", " " + strings.Repeat("9876543210", 4), ErrInvalid},
		{"extension suffix", "+16505551212;ext=12", ErrInvalid},
		{"full-width digits", "+１６５０５５５１２１２", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.raw)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.raw, err, tt.want)
			}
			if n != (Number{}) {
				t.Errorf("Parse(%q) = %#v with an error, want the zero Number", tt.raw, n)
			}
			if run := longestDigitRun(err.Error()); run > 4 {
				t.Errorf("error %q shows %d consecutive digits, at most 4 allowed", err, run)
			}
		})
	}
}

func TestParseErrorShowsOnlyLastFourDigits(t *testing.T) {
	t.Parallel()
	_, err := Parse("+1650555121234567890123")
	if err == nil {
		t.Fatal("Parse accepted a 22-digit number")
	}
	if msg := err.Error(); !strings.Contains(msg, "0123") || strings.Contains(msg, "90123") {
		t.Errorf("error %q: want the last four digits 0123 and nothing before them", msg)
	}
}

// longestDigitRun returns the length of the longest run of ASCII digits in s.
func longestDigitRun(s string) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func TestNumberIsComparable(t *testing.T) {
	t.Parallel()
	a, errA := Parse("+16505551212")
	b, errB := Parse(" 1 (650) 555-1212 ")
	c, errC := Parse("+16505551213")
	if err := errors.Join(errA, errB, errC); err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("same number parsed from two spellings differs: %#v != %#v", a, b)
	}
	if a == c {
		t.Errorf("different numbers compare equal: %#v", a)
	}
}

func TestZeroNumber(t *testing.T) {
	t.Parallel()
	var n Number
	want := view{Zero: true}
	if diff := cmp.Diff(want, viewOf(n)); diff != "" {
		t.Errorf("zero Number mismatch (-want +got):\n%s", diff)
	}
	if got := (Formats{}).Expand(n); got != nil {
		t.Errorf("Expand(zero) = %q, want nil", got)
	}
}

func TestIsExtension(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want bool
	}{
		{"101", true},
		{"1", true},
		{"12345678", true},
		{" 101 ", true},
		{"123456789", false},
		{"", false},
		{"+101", false},
		{"10 1", false},
		{"10a", false},
		{"+16505551212", false},
		{"１０１", false},
	}
	for _, tt := range tests {
		if got := IsExtension(tt.raw); got != tt.want {
			t.Errorf("IsExtension(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

func TestExtensionIsNotE164(t *testing.T) {
	t.Parallel()
	if !IsExtension("101") {
		t.Error(`IsExtension("101") = false`)
	}
	if _, err := Parse("101"); !errors.Is(err, ErrNotE164) {
		t.Errorf(`Parse("101") error = %v, want ErrNotE164`, err)
	}
}

func TestLoggingMasksTheNumber(t *testing.T) {
	t.Parallel()
	n, err := Parse("+442079460958")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("lookup", "number", n)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("lookup", "number", n)
	out := buf.String()
	if strings.Contains(out, "2079") || strings.Count(out, "+********0958") != 2 {
		t.Errorf("log output %q: want the masked number twice and no other digits of it", out)
	}
	if got := n.String(); got != "+********0958" {
		t.Errorf("String() = %q, want the masked number", got)
	}
}
