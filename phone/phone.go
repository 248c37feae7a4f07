package phone

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Sentinel errors returned (wrapped) by [Parse]; check them with errors.Is.
var (
	// ErrEmpty reports an empty or whitespace-only input.
	ErrEmpty = errors.New("phone: empty number")
	// ErrNotE164 reports an input without a leading '+' after [Normalize],
	// such as the internal extension "101" (see [IsExtension]).
	ErrNotE164 = errors.New("phone: not an E.164 number")
	// ErrInvalid reports an input that is not a phone number at all:
	// letters, a lone "+" or more digits than any number has. (A number
	// the library cannot place is not an error: see [Parse].)
	ErrInvalid = errors.New("phone: not a phone number")
)

// maxDigits is the most digits an E.164 number can have (country code
// included); anything longer is rejected before the library sees it.
const maxDigits = 17

// maxExtensionDigits bounds what [IsExtension] accepts.
const maxExtensionDigits = 8

// Normalize trims surrounding whitespace and restores a '+' lost in transit:
// an unencoded '+' in a query string arrives as a space, so a leading space
// directly followed by a digit means '+'. " 16505551212" becomes
// "+16505551212"; "16505551212" and "101" stay as they are.
func Normalize(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) == len(raw) {
		return s
	}
	if raw[0] == ' ' && isDigit(s[0]) && strings.TrimLeft(raw, " ")[0] == s[0] {
		return "+" + s
	}
	return s
}

// IsExtension reports whether raw, after trimming surrounding whitespace, is
// an internal extension: 1 to 8 ASCII digits and nothing else (no '+').
// A lost '+' is not restored here: " 101" is an extension too.
func IsExtension(raw string) bool {
	s := strings.TrimSpace(raw)
	if len(s) == 0 || len(s) > maxExtensionDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Number is a parsed phone number. It is a small comparable value: two
// Numbers parsed from the same E.164 number are ==. The zero value means "no
// number"; all its methods return zero values.
//
// Parse caches what the hot path needs (E.164, national significant number,
// region, validity); the national and international formats are computed on
// demand from those, without parsing again.
type Number struct {
	e164   string
	nsn    string
	region string
	cc     int32
	valid  bool
}

// Parse normalizes raw (see [Normalize]) and parses it as an E.164 number
// with its own country code. Separators (space, '-', '.', '(', ')', '/')
// between digits are accepted. The error wraps [ErrEmpty], [ErrNotE164] or
// [ErrInvalid]; its message says why and shows at most the last four digits
// of the input.
//
// Parse never refuses an E.164-shaped input that has digits (PROTOCOL.md §5:
// the CRM may hold a number the library's metadata does not know). A number
// that matches no numbering plan (a new area code, a wrong length, an
// unknown country code) is returned without error; [Number.Valid] reports
// false for it, its E.164 form is the digits as received, and when the
// library cannot even tell its country code, [Number.CountryCode] is 0 and
// [Number.NationalNumber] is "".
func Parse(raw string) (Number, error) {
	s := Normalize(raw)
	if s == "" {
		return Number{}, ErrEmpty
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case c == '+' && i == 0:
		case c == ' ', c == '-', c == '.', c == '(', c == ')', c == '/':
		default:
			return Number{}, fmt.Errorf("%w: a character other than a digit or separator%s", ErrInvalid, tail(s))
		}
	}
	if s[0] != '+' {
		return Number{}, fmt.Errorf("%w: no leading '+'%s", ErrNotE164, tail(s))
	}
	if digits == 0 {
		return Number{}, fmt.Errorf("%w: no digits", ErrInvalid)
	}
	if digits > maxDigits {
		return Number{}, fmt.Errorf("%w: more than %d digits%s", ErrInvalid, maxDigits, tail(s))
	}
	received := make([]byte, 1, 1+digits)
	received[0] = '+'
	for i := 1; i < len(s); i++ {
		if isDigit(s[i]) {
			received = append(received, s[i])
		}
	}
	asReceived := string(received)
	pn, err := phonenumbers.Parse(asReceived, "")
	if err != nil {
		// No country code the library knows, or too short to have one.
		return Number{e164: asReceived}, nil
	}
	if pn.GetExtension() != "" {
		// Unreachable with the characters accepted above; kept so a library
		// change cannot smuggle an extension past E164 and the formats.
		return Number{}, fmt.Errorf("%w: has an extension%s", ErrInvalid, tail(s))
	}
	cc := pn.GetCountryCode()
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	region := phonenumbers.GetRegionCodeForNumber(pn)
	n := Number{
		e164:   "+" + strconv.Itoa(int(cc)) + nsn,
		nsn:    nsn,
		region: region,
		cc:     cc,
	}
	switch phonenumbers.IsPossibleNumberWithReason(pn) {
	case phonenumbers.IS_POSSIBLE, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		n.valid = phonenumbers.IsValidNumberForRegion(pn, region)
	}
	if !n.valid {
		// The library may have dropped digits it took for a trunk prefix;
		// a number it cannot place is searched exactly as the client sent it.
		n.e164 = asReceived
	}
	return n, nil
}

// libraryNumber rebuilds the library's value for n from the country code and
// the national significant number, the only fields its formatting reads for a
// number without extension. Leading zeros of the NSN (Italy) are carried the
// way the library's parser records them.
// It reports false for the zero Number.
func (n Number) libraryNumber() (*phonenumbers.PhoneNumber, bool) {
	national, err := strconv.ParseUint(n.nsn, 10, 64)
	if err != nil {
		// Only the zero Number gets here: Parse stores NSNs of at most 17
		// ASCII digits.
		return nil, false
	}
	cc := n.cc
	pn := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &national}
	if len(n.nsn) >= 2 && n.nsn[0] == '0' {
		leadingZero := true
		zeros := int32(1)
		for int(zeros) < len(n.nsn)-1 && n.nsn[zeros] == '0' {
			zeros++
		}
		pn.ItalianLeadingZero = &leadingZero
		if zeros > 1 {
			pn.NumberOfLeadingZeros = &zeros
		}
	}
	return pn, true
}

// tail returns ` (ending NNNN)` with at most the last four digits of s, or ""
// when s has no digits, so error messages never carry a whole number.
func tail(s string) string {
	var buf [4]byte
	n := 0
	for i := len(s) - 1; i >= 0 && n < len(buf); i-- {
		if isDigit(s[i]) {
			n++
			buf[len(buf)-n] = s[i]
		}
	}
	if n == 0 {
		return ""
	}
	return " (ending " + string(buf[len(buf)-n:]) + ")"
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// E164 returns the number in E.164 form, "+16505551212"; "" for the zero Number.
func (n Number) E164() string { return n.e164 }

// NationalNumber returns the national significant number: no country code and
// no trunk prefix. "+16505551212" gives "6505551212", "+442079460958" gives
// "2079460958", and "+390212345678" gives "0212345678" (the Italian leading
// zero belongs to the number).
func (n Number) NationalNumber() string { return n.nsn }

// NationalFormat returns the number as dialled and written inside its country:
// "(650) 555-1212" in the US, "020 7946 0958" in the UK; "" for the zero
// Number. It is computed on each call (a few microseconds): keep the result
// if you need it twice.
func (n Number) NationalFormat() string {
	pn, ok := n.libraryNumber()
	if !ok {
		return ""
	}
	return nationalFormat(n, pn)
}

// InternationalFormat returns the number as written from abroad:
// "+1 650-555-1212"; "" for the zero Number. Like [Number.NationalFormat] it
// is computed on each call.
func (n Number) InternationalFormat() string {
	pn, ok := n.libraryNumber()
	if !ok {
		return ""
	}
	return phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
}

// CountryCode returns the country calling code, 1 for the US; 0 for the zero Number.
func (n Number) CountryCode() int { return int(n.cc) }

// Region returns the ISO 3166-1 region of the number ("US", "GB"), "001" for
// non-geographic numbers, or "" when the number matches no region.
func (n Number) Region() string { return n.region }

// Valid reports whether the number matches a numbering plan of its region.
// Only valid numbers expand into formats (see [Formats.Expand]).
func (n Number) Valid() bool { return n.valid }

// IsZero reports whether n is the zero Number, i.e. no number.
func (n Number) IsZero() bool { return n.e164 == "" }

// Masked returns the E.164 form with every digit but the last four replaced
// by '*', "+*******1212", for logs; "" for the zero Number.
func (n Number) Masked() string {
	if n.e164 == "" {
		return ""
	}
	b := []byte(n.e164)
	for i := 0; i < len(b)-4; i++ {
		if isDigit(b[i]) {
			b[i] = '*'
		}
	}
	return string(b)
}

// String returns [Number.Masked], so a Number printed by accident into a log
// reveals only its last four digits.
func (n Number) String() string { return n.Masked() }

// LogValue makes log/slog record a Number as [Number.Masked].
func (n Number) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// Equivalents returns the other E.164 forms under which a CRM may hold the
// same line, for countries whose dialling plans changed:
//
//   - Mexico (+52): mobiles were written with a "1" after the country code
//     until 2019; "+5215512345678" and "+525512345678" are the same line.
//   - Argentina (+54): mobiles carry a "9" after the country code in
//     international form, and are often stored without it;
//     "+5493512345678" and "+543512345678" are the same line.
//
// Both directions are returned, whether n is valid or not. Other numbers,
// and the zero Number, have none.
func (n Number) Equivalents() []string {
	nsn := n.nsn
	switch n.cc {
	case 52:
		switch {
		case len(nsn) == 11 && nsn[0] == '1':
			return []string{"+52" + nsn[1:]}
		case len(nsn) == 10 && nsn[0] != '1':
			return []string{"+521" + nsn}
		}
	case 54:
		switch {
		case len(nsn) == 11 && nsn[0] == '9':
			return []string{"+54" + nsn[1:]}
		case len(nsn) == 10 && nsn[0] != '9' && nsn[0] != '0':
			return []string{"+549" + nsn}
		}
	}
	return nil
}
