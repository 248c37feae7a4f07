package phone

import (
	"regexp"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The phone library (nyaruka/phonenumbers) formats a national number wrong
// when the chosen pattern's national-prefix rule ("0$1") applies to a group
// other than the first: it substitutes the rule literally, so "$1" then
// means the pattern's first group instead of the group the rule wraps. For
// an Argentine mobile, "+5493512345678", whose pattern is "$2 15-$3-$4", it
// writes "09 15-234-5678" instead of "0351 15-234-5678". nationalFormat
// rebuilds the affected patterns with the rule applied to the right group
// and formats those numbers with them; every other number is formatted by
// the library as it is.

// affectedCallingCodes are the country calling codes whose metadata has
// such a pattern (TestAffectedCallingCodes recomputes the set from the
// library's metadata, so an upgrade that changes it fails the test).
var affectedCallingCodes = map[int32]bool{54: true}

// fixedFormat is one national pattern of an affected region, compiled.
type fixedFormat struct {
	leading *regexp.Regexp // last leading-digits pattern, anchored; nil if none
	whole   *regexp.Regexp // the pattern, anchored
	// fixed is the pattern with the national-prefix rule applied to the
	// right group; nil when the library formats this pattern correctly.
	fixed *phonenumbers.NumberFormat
}

var (
	fixedOnce    sync.Once
	fixedFormats map[int32][]fixedFormat
)

// loadFixedFormats compiles the national patterns of the affected calling
// codes, once. The library's metadata collection is read here only and
// dropped afterwards, keeping only these few patterns.
func loadFixedFormats() {
	fixedFormats = map[int32][]fixedFormat{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return
	}
	for _, md := range coll.GetMetadata() {
		cc := md.GetCountryCode()
		if !affectedCallingCodes[cc] || phonenumbers.GetRegionCodeForCountryCode(int(cc)) != md.GetId() {
			continue
		}
		fixedFormats[cc] = compileNational(md)
	}
}

// firstGroup matches the first group reference of a format, as the library
// does.
var firstGroup = regexp.MustCompile(`\$\d`)

// compileNational compiles md's national patterns, fixing those the library
// gets wrong.
func compileNational(md *phonenumbers.PhoneMetadata) []fixedFormat {
	out := make([]fixedFormat, 0, len(md.GetNumberFormat()))
	for _, nf := range md.GetNumberFormat() {
		f := fixedFormat{whole: regexp.MustCompile(`^(?:` + nf.GetPattern() + `)$`)}
		if ld := nf.GetLeadingDigitsPattern(); len(ld) > 0 {
			f.leading = regexp.MustCompile(`^(?:` + ld[len(ld)-1] + `)`)
		}
		if fixed, ok := fixNational(md, nf); ok {
			f.fixed = fixed
		}
		out = append(out, f)
	}
	return out
}

// fixNational returns nf with its national-prefix rule applied to the group
// it wraps, when the library would apply it wrong.
func fixNational(md *phonenumbers.PhoneMetadata, nf *phonenumbers.NumberFormat) (*phonenumbers.NumberFormat, bool) {
	rule := nf.GetNationalPrefixFormattingRule()
	format := nf.GetFormat()
	first := firstGroup.FindString(format)
	if rule == "" || first == "" || first == "$1" || md.GetNationalPrefix() == "" {
		return nil, false
	}
	rule = strings.ReplaceAll(rule, "$NP", md.GetNationalPrefix())
	rule = strings.ReplaceAll(rule, "$FG", first)
	rule = strings.ReplaceAll(rule, "$1", first)
	pattern := nf.GetPattern()
	fixedFormat := strings.Replace(format, first, rule, 1)
	return &phonenumbers.NumberFormat{
		Pattern:                              &pattern,
		Format:                               &fixedFormat,
		LeadingDigitsPattern:                 nf.GetLeadingDigitsPattern(),
		NationalPrefixOptionalWhenFormatting: nf.NationalPrefixOptionalWhenFormatting,
	}, true
}

// nationalFormat formats pn (a number of n) in national format, correcting
// the library where it is wrong.
func nationalFormat(n Number, pn *phonenumbers.PhoneNumber) string {
	if !affectedCallingCodes[n.cc] {
		return phonenumbers.Format(pn, phonenumbers.NATIONAL)
	}
	fixedOnce.Do(loadFixedFormats)
	for _, f := range fixedFormats[n.cc] {
		if f.leading != nil && !f.leading.MatchString(n.nsn) || !f.whole.MatchString(n.nsn) {
			continue
		}
		if f.fixed == nil {
			break
		}
		return phonenumbers.FormatByPattern(pn, phonenumbers.NATIONAL, []*phonenumbers.NumberFormat{f.fixed})
	}
	return phonenumbers.Format(pn, phonenumbers.NATIONAL)
}
