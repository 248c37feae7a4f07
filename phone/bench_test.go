package phone

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

const benchNumber = "+16505551212"

var (
	sinkNumber  Number
	sinkStrings []string
	sinkPN      *phonenumbers.PhoneNumber
)

// BenchmarkParse measures our Parse: library parse plus everything cached
// in Number (NSN, region, validity, national and international formats).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		n, err := Parse(benchNumber)
		if err != nil {
			b.Fatal(err)
		}
		sinkNumber = n
	}
}

// BenchmarkPhonenumbersParse is the yardstick: the bare library parse of the
// same number. BenchmarkExpand3 should cost at most 1.5x of it.
func BenchmarkPhonenumbersParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		pn, err := phonenumbers.Parse(benchNumber, "")
		if err != nil {
			b.Fatal(err)
		}
		sinkPN = pn
	}
}

// BenchmarkExpand3 expands three patterns for one pre-parsed number.
func BenchmarkExpand3(b *testing.B) {
	n := mustParse(b, benchNumber)
	f := CompileFormats("(***) ***-****, ***-***-****, 1**********")
	b.ReportAllocs()
	for b.Loop() {
		sinkStrings = f.Expand(n)
	}
}

// BenchmarkCandidates builds the candidate list: with the cheap defaults
// only, and with every default (two library formatting calls).
func BenchmarkCandidates(b *testing.B) {
	n := mustParse(b, benchNumber)
	f := CompileFormats("(***) ***-****, ***-***-****, 1**********")
	for _, bc := range []struct {
		name string
		d    Defaults
	}{
		{"digits", DefaultNationalDigits},
		{"all", DefaultNationalDigits | DefaultNationalFormat | DefaultInternationalCompact},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkStrings = Candidates(n, f, bc.d)
			}
		})
	}
}

// BenchmarkCompileFormats measures compiling a three-pattern list, the
// per-request cost when the list is not cached.
func BenchmarkCompileFormats(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkStrings = CompileFormats("(***) ***-****, ***-***-****, 1**********").Patterns()
	}
}
