package phone

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
)

// TestCandidatesNeverRefuseANumber: numbers the library cannot place (new
// ranges, old dialling forms, wrong lengths, unknown country codes) are
// still searched as received, with the forms a CRM may hold them under
// (PROTOCOL.md §5). Each row lists what a CRM would need to find the
// contact with the user's format "** **** ****".
func TestCandidatesNeverRefuseANumber(t *testing.T) {
	t.Parallel()
	f := CompileFormats("** **** ****")
	tests := []struct {
		name  string
		raw   string
		valid bool
		want  []string
	}{
		// Mexico: mobiles still written with the "1" dropped in 2019, and
		// the current form, which a CRM may hold in the old one.
		{"MX old mobile form", "+5215512345678", false, []string{"+5215512345678", "+525512345678", "55 1234 5678"}},
		{"MX old mobile form, Monterrey", "+5218112345678", false, []string{"+5218112345678", "+528112345678", "81 1234 5678"}},
		{"MX current form", "+525512345678", true, []string{"+525512345678", "+5215512345678", "55 1234 5678"}},
		{"MX lost plus", " 5215512345678", false, []string{"+5215512345678", "+525512345678", "55 1234 5678"}},
		// Argentina: mobiles with and without the "9".
		{"AR mobile", "+5493512345678", true, []string{"+5493512345678", "+543512345678", "93 5123 4567"}},
		{"AR mobile stored without 9", "+543512345678", true, []string{"+543512345678", "+5493512345678", "35 1234 5678"}},
		{"AR mobile outside the metadata", "+5492966123456", false, []string{"+5492966123456", "+542966123456"}},
		// Wrong lengths and ranges the metadata does not know.
		{"US unassigned area code", "+12003456789", false, []string{"+12003456789"}},
		{"US short", "+1650555121", false, []string{"+1650555121"}},
		{"US long", "+165055512123", false, []string{"+165055512123"}},
		{"GB one digit too many", "+4479111234567", false, []string{"+4479111234567"}},
		{"DE long", "+491512345678901", false, []string{"+491512345678901"}},
		{"FR short", "+3361234567", false, []string{"+3361234567"}},
		{"BR old 8-digit mobile", "+551187654321", false, []string{"+551187654321"}},
		{"CN short mobile", "+861381234567", false, []string{"+861381234567"}},
		{"IN short", "+91987654321", false, []string{"+91987654321"}},
		{"AU short", "+6141234567", false, []string{"+6141234567"}},
		{"unknown country code", "+999123456", false, []string{"+999123456"}},
		{"country code only", "+1", false, []string{"+1"}},
		{"separators kept out", "+1 (200) 345-6789", false, []string{"+12003456789"}},
		// Valid numbers are unchanged by the leniency.
		{"US valid", "+16505551212", true, []string{"+16505551212", "65 0555 1212"}},
		{"BR valid mobile", "+5511987654321", true, []string{"+5511987654321", "11 9876 5432"}},
	}
	countries := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v; a number with digits must never be refused", tt.raw, err)
			}
			if n.Valid() != tt.valid {
				t.Errorf("Parse(%q).Valid() = %v, want %v", tt.raw, n.Valid(), tt.valid)
			}
			if diff := cmp.Diff(tt.want, Candidates(n, f, 0)); diff != "" {
				t.Errorf("Candidates(%q) (-want +got):\n%s", tt.raw, diff)
			}
		})
		countries[tt.raw[:min(3, len(tt.raw))]] = true
	}
	if len(tests) < 15 || len(countries) < 6 {
		t.Fatalf("the table must cover at least 15 numbers of 6 countries: %d, %d", len(tests), len(countries))
	}
}

// TestArgentineNationalFormat: the library writes "09 15-234-5678" for an
// Argentine mobile; the national form is area code, "15", number.
func TestArgentineNationalFormat(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"+5493512345678": "0351 15-234-5678",
		"+5491123456789": "011 15-2345-6789",
		"+5492966123456": "02966 15-12-3456",
		"+5492214123456": "0221 15-412-3456",
		"+543512345678":  "0351 234-5678",
		"+541123456789":  "011 2345-6789",
	} {
		n, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.NationalFormat(); got != want {
			t.Errorf("NationalFormat(%s) = %q, want %q", raw, got, want)
		}
		if strings.HasPrefix(raw, "+549") && n.Valid() {
			if got := Candidates(n, Formats{}, DefaultNationalFormat); !cmp.Equal(got[len(got)-1], want) {
				t.Errorf("Candidates(%s) with the national format = %q, want it to end with %q", raw, got, want)
			}
		}
	}
}

// TestAffectedCallingCodes recomputes from the library's metadata which
// calling codes have a national pattern the library formats wrong, so a
// library upgrade that changes the set fails here instead of going unseen.
func TestAffectedCallingCodes(t *testing.T) {
	t.Parallel()
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]bool{}
	for _, md := range coll.GetMetadata() {
		if phonenumbers.GetRegionCodeForCountryCode(int(md.GetCountryCode())) != md.GetId() {
			continue
		}
		for _, nf := range md.GetNumberFormat() {
			if _, ok := fixNational(md, nf); ok {
				got[md.GetCountryCode()] = true
			}
		}
	}
	if diff := cmp.Diff(affectedCallingCodes, got); diff != "" {
		t.Errorf("affectedCallingCodes is out of date (-have +metadata):\n%s", diff)
	}
}

// TestCandidatesLinearAndCancellable: many distinct patterns (far more than
// the server lets through) expand to one candidate each, with no quadratic
// de-duplication, and a done context stops the expansion.
func TestCandidatesLinearAndCancellable(t *testing.T) {
	t.Parallel()
	n, err := Parse("+16505551212")
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for i := range 5000 {
		list = append(list, strconv.Itoa(i)+"-***-***-****")
	}
	list = append(list, list...) // every pattern twice
	f := CompileFormats(strings.Join(list, ","))
	got := Candidates(n, f, 0)
	if len(got) != 5001 || got[1] != "0-650-555-1212" || got[5000] != "4999-650-555-1212" {
		t.Fatalf("Candidates gave %d strings (%q...), want E.164 and 5000 distinct expansions", len(got), got[:min(3, len(got))])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	part, err := CandidatesContext(ctx, n, f, 0)
	if !errors.Is(err, context.Canceled) || len(part) > 8 {
		t.Errorf("CandidatesContext(canceled) = %d strings, %v; want at most 8 and context.Canceled", len(part), err)
	}
}
