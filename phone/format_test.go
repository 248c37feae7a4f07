package phone

import (
	"net/url"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t testing.TB, raw string) Number {
	t.Helper()
	n, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	return n
}

func TestCompileFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		list string
		want []string
	}{
		{"empty list", "", nil},
		{"only commas and spaces", " , ,, ", nil},
		{"one pattern", "(***) ***-****", []string{"(***) ***-****"}},
		{"comma and space separate plain patterns", "(***) ***-****, ***-***-****",
			[]string{"(***) ***-****", "***-***-****"}},
		{"lost plus at the start", " 1**********", []string{"+1**********"}},
		{"lost plus after a comma", "***-***-****, 1**********",
			[]string{"***-***-****", "+1**********"}},
		{"raw plus kept", "+1**********", []string{"+1**********"}},
		{"trunk prefix is not a lost plus", "0## #### ####", []string{"0## #### ####"}},
		{"trailing spaces trimmed", "  ***-****  ,", []string{"***-****"}},
		{"unicode and percent literal", "☎ ***·***·****,100% ***", []string{"☎ ***·***·****", "100% ***"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := CompileFormats(tt.list)
			if diff := cmp.Diff(tt.want, f.Patterns()); diff != "" {
				t.Errorf("CompileFormats(%q).Patterns() mismatch (-want +got):\n%s", tt.list, diff)
			}
			if f.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", f.Len(), len(tt.want))
			}
		})
	}
}

func TestPatternsReturnsACopy(t *testing.T) {
	t.Parallel()
	f := CompileFormats("***-****")
	f.Patterns()[0] = "changed"
	if got := f.Patterns()[0]; got != "***-****" {
		t.Errorf("Patterns()[0] = %q after changing a returned slice", got)
	}
}

// TestOverridingFormatFromQuery feeds CompileFormats what net/url hands the
// server for the two ways the client sends the list: '#' percent-encoded
// (a raw '#' would start the fragment) and a raw '+' that decodes to a space.
func TestOverridingFormatFromQuery(t *testing.T) {
	t.Parallel()
	q, err := url.ParseQuery("phoneNumber=+16505551212&overridingFormat=%23%23%23-%23%23%23-%23%23%23%23,+1**********,(***)+***-****")
	if err != nil {
		t.Fatal(err)
	}
	n := mustParse(t, q.Get("phoneNumber"))
	f := CompileFormats(q.Get("overridingFormat"))
	wantPatterns := []string{"###-###-####", "+1**********", "(***) ***-****"}
	if diff := cmp.Diff(wantPatterns, f.Patterns()); diff != "" {
		t.Errorf("Patterns() mismatch (-want +got):\n%s", diff)
	}
	want := []string{"650-555-1212", "+16505551212", "(650) 555-1212"}
	if diff := cmp.Diff(want, f.Expand(n)); diff != "" {
		t.Errorf("Expand() mismatch (-want +got):\n%s", diff)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		number string
		list   string
		want   []string
	}{
		{"US parentheses", "+16505551212", "(***) ***-****", []string{"(650) 555-1212"}},
		{"US dashes", "+16505551212", "***-***-****", []string{"650-555-1212"}},
		{"country code literal", "+16505551212", "+1**********", []string{"+16505551212"}},
		{"lost plus in pattern", "+16505551212", " 1**********", []string{"+16505551212"}},
		{"GB trunk prefix literal", "+442079460958", "0## #### ####", []string{"020 7946 0958"}},
		{"GB international", "+442079460958", "+44 ** **** ****", []string{"+44 20 7946 0958"}},
		{"Italy keeps the leading zero", "+390212345678", "+39 ** **** ****", []string{"+39 02 1234 5678"}},
		{"too short pattern drops surplus digits", "+16505551212", "***-***", []string{"650-555"}},
		{"too long pattern keeps leftover placeholders", "+16505551212", "(***) ***-****-**#", []string{"(650) 555-1212-**#"}},
		{"hash and star mixed", "+16505551212", "#*#.*#*.#*#*", []string{"650.555.1212"}},
		{"no placeholders", "+16505551212", "call-center", []string{"call-center"}},
		{"zero formats", "+16505551212", "", nil},
		{"three formats", "+16505551212", "(***) ***-****, ***-***-****, 1**********",
			[]string{"(650) 555-1212", "650-555-1212", "+16505551212"}},
		{"unicode literal", "+16505551212", "☎ ***·***·**** ✓", []string{"☎ 650·555·1212 ✓"}},
		{"percent literal", "+16505551212", "%d%s***%%", []string{"%d%s650%%"}},
		{"invalid number expands to nothing", "+10005551212", "***-***-****", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := mustParse(t, tt.number)
			got := CompileFormats(tt.list).Expand(n)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Expand(%q, %q) mismatch (-want +got):\n%s", tt.number, tt.list, diff)
			}
		})
	}
}

func TestAppendExpand(t *testing.T) {
	t.Parallel()
	f := CompileFormats("***-***-****, (***) ***-****")
	dst := []string{"kept"}
	dst = f.AppendExpand(dst, mustParse(t, "+16505551212"))
	dst = f.AppendExpand(dst, mustParse(t, "+10005551212")) // invalid: appends nothing
	dst = f.AppendExpand(dst, Number{})
	want := []string{"kept", "650-555-1212", "(650) 555-1212"}
	if diff := cmp.Diff(want, dst); diff != "" {
		t.Errorf("AppendExpand mismatch (-want +got):\n%s", diff)
	}
}

func TestCandidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		number   string
		list     string
		defaults Defaults
		want     []string
	}{
		{"E.164 only", "+16505551212", "", 0, []string{"+16505551212"}},
		{"formats follow E.164 in order", "+16505551212", "***-***-****, (***) ***-****", 0,
			[]string{"+16505551212", "650-555-1212", "(650) 555-1212"}},
		{"pattern equal to E.164 is dropped", "+16505551212", " 1**********, ***-***-****", 0,
			[]string{"+16505551212", "650-555-1212"}},
		{"duplicate patterns collapse", "+16505551212", "***-***-****,###-###-####", 0,
			[]string{"+16505551212", "650-555-1212"}},
		{"defaults in constant order", "+16505551212", "",
			DefaultInternationalCompact | DefaultNationalFormat | DefaultNationalDigits,
			[]string{"+16505551212", "6505551212", "(650) 555-1212", "+1650-555-1212"}},
		{"defaults after formats, deduplicated", "+16505551212", "(***) ***-****, **********",
			DefaultNationalDigits | DefaultNationalFormat,
			[]string{"+16505551212", "(650) 555-1212", "6505551212"}},
		{"GB defaults equal to earlier candidates are dropped", "+442079460958", "0## #### ####",
			DefaultNationalDigits | DefaultNationalFormat | DefaultInternationalCompact,
			[]string{"+442079460958", "020 7946 0958", "2079460958"}},
		{"invalid number keeps only unformatted candidates", "+10005551212", "***-***-****",
			DefaultNationalDigits | DefaultNationalFormat | DefaultInternationalCompact,
			[]string{"+10005551212", "0005551212"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Candidates(mustParse(t, tt.number), CompileFormats(tt.list), tt.defaults)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Candidates mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := Candidates(Number{}, CompileFormats("***"), DefaultNationalDigits); got != nil {
		t.Errorf("Candidates(zero Number) = %q, want nil", got)
	}
}

// TestExpandConcurrent shares one compiled Formats between goroutines; run
// it with -race.
func TestExpandConcurrent(t *testing.T) {
	t.Parallel()
	f := CompileFormats("(***) ***-****, ***-***-****, 1**********")
	numbers := []Number{mustParse(t, "+16505551212"), mustParse(t, "+14155550123")}
	want := [][]string{
		{"(650) 555-1212", "650-555-1212", "+16505551212"},
		{"(415) 555-0123", "415-555-0123", "+14155550123"},
	}
	const goroutines = 50
	errs := make(chan string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range 100 {
				k := (g + i) % len(numbers)
				if diff := cmp.Diff(want[k], f.Expand(numbers[k])); diff != "" {
					errs <- diff
					return
				}
				Candidates(numbers[k], f, DefaultNationalDigits|DefaultNationalFormat)
			}
		})
	}
	wg.Wait()
	close(errs)
	for diff := range errs {
		t.Errorf("concurrent Expand mismatch (-want +got):\n%s", diff)
	}
}

// TestExpandAllocations pins the cost model Formats promises: one allocation
// per expanded string, none for a pattern without placeholders.
func TestExpandAllocations(t *testing.T) {
	// Not parallel: it counts allocations (testing.AllocsPerRun).
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	n := mustParse(t, "+16505551212")
	f := CompileFormats("(***) ***-****, ***-***-****, 1**********, no digits here")
	dst := make([]string, 0, f.Len())
	tests := []struct {
		name string
		fn   func()
		want float64
	}{
		{"AppendExpand", func() { dst = f.AppendExpand(dst[:0], n) }, 3},
		{"Expand", func() { f.Expand(n) }, 4},
		{"Candidates", func() { Candidates(n, f, DefaultNationalDigits) }, 4},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.fn); got != tt.want {
			t.Errorf("%s: %v allocations per run, want %v", tt.name, got, tt.want)
		}
	}
}
