package phone

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// FuzzParseExpand drives the whole hot path (normalize, parse, compile,
// expand, candidates) with arbitrary client input and checks the invariants
// the adapters rely on.
func FuzzParseExpand(f *testing.F) {
	f.Add("+16505551212", "(***) ***-****, ***-***-****, 1**********")
	f.Add(" 442079460958", "0## #### ####")
	f.Add("+390212345678", "+39 ** **** ****,☎ %d ***")
	f.Add("101", "")
	f.Add("+", ",,,")
	f.Fuzz(func(t *testing.T, raw, list string) {
		if norm := Normalize(raw); Normalize(norm) != norm {
			t.Errorf("Normalize is not idempotent on %q", raw)
		}
		n, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNotE164) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v wraps no sentinel", raw, err)
			}
			if n != (Number{}) {
				t.Fatalf("Parse(%q) returned %#v with an error", raw, n)
			}
			if run := longestDigitRun(err.Error()); run > 4 {
				t.Fatalf("error %q shows %d consecutive digits", err, run)
			}
		} else {
			checkNumber(t, raw, n)
		}

		fs := CompileFormats(list)
		patterns := fs.Patterns()
		if len(patterns) != fs.Len() {
			t.Fatalf("Patterns() has %d entries, Len() = %d", len(patterns), fs.Len())
		}
		for _, p := range patterns {
			if p == "" || strings.TrimSpace(p) != p {
				t.Fatalf("pattern %q is empty or untrimmed", p)
			}
		}
		out := fs.Expand(n)
		if len(out) != 0 && len(out) != fs.Len() {
			t.Fatalf("Expand gave %d strings for %d patterns", len(out), fs.Len())
		}
		if (len(out) == 0) != (!n.Valid() || fs.Len() == 0) {
			t.Fatalf("Expand gave %d strings; Valid()=%v, Len()=%d", len(out), n.Valid(), fs.Len())
		}
		for i, s := range out {
			checkExpansion(t, patterns[i], n.NationalNumber(), s)
		}

		c := Candidates(n, fs, DefaultNationalDigits|DefaultNationalFormat|DefaultInternationalCompact)
		if n.IsZero() {
			if c != nil {
				t.Fatalf("Candidates(zero) = %q", c)
			}
			return
		}
		if len(c) == 0 || c[0] != n.E164() {
			t.Fatalf("Candidates = %q, want E.164 %q first", c, n.E164())
		}
		seen := make(map[string]bool, len(c))
		for _, s := range c {
			if s == "" || seen[s] {
				t.Fatalf("Candidates = %q: empty or duplicate %q", c, s)
			}
			seen[s] = true
		}
	})
}

// checkNumber checks a Number successfully parsed from raw against the
// library's own reading of the same input.
func checkNumber(t *testing.T, raw string, n Number) {
	t.Helper()
	e := n.E164()
	if n.IsZero() || !strings.HasPrefix(e, "+") {
		t.Fatalf("E164() = %q, want a leading '+'", e)
	}
	for i := 1; i < len(e); i++ {
		if !isDigit(e[i]) {
			t.Fatalf("E164() = %q has a non-digit", e)
		}
	}
	if m := n.Masked(); len(m) != len(e) || m[len(m)-min(4, len(m)):] != e[len(e)-min(4, len(e)):] ||
		longestDigitRun(m) > 4 {
		t.Fatalf("Masked() = %q for %q", m, e)
	}
	received := "+" + strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, Normalize(raw))
	if !n.Valid() {
		// A number the library cannot place is searched as received
		// (PROTOCOL.md §5), never refused.
		if e != received {
			t.Fatalf("E164() of invalid %q = %q, want the digits as received %q", raw, e, received)
		}
		if n.CountryCode() == 0 && n.NationalNumber() != "" {
			t.Fatalf("unknown country code but NSN %q", n.NationalNumber())
		}
		return
	}
	if want := "+" + strconv.Itoa(n.CountryCode()) + n.NationalNumber(); e != want {
		t.Fatalf("E164() = %q, want country code + NSN %q", e, want)
	}
	pn, err := phonenumbers.Parse(received, "")
	if err != nil {
		t.Fatalf("library rejects %q that Parse accepted as valid: %v", raw, err)
	}
	if got, want := n.NationalFormat(), phonenumbers.Format(pn, phonenumbers.NATIONAL); got != want && !affectedCallingCodes[int32(n.CountryCode())] {
		t.Fatalf("NationalFormat() = %q, library says %q", got, want)
	}
	if got, want := n.InternationalFormat(), phonenumbers.Format(pn, phonenumbers.INTERNATIONAL); got != want {
		t.Fatalf("InternationalFormat() = %q, library says %q", got, want)
	}
	if n.NationalNumber() != phonenumbers.GetNationalSignificantNumber(pn) || n.Valid() != phonenumbers.IsValidNumber(pn) {
		t.Fatalf("NSN/validity of %q disagree with the library", e)
	}
	again, err := Parse(e)
	if err != nil || again != n {
		t.Fatalf("re-parsing E164() %q gave %#v, %v; want %#v", e, again, err, n)
	}
}

// checkExpansion checks that s is pattern p with its first placeholders
// filled by digits, byte for byte: literals untouched, no placeholder added.
func checkExpansion(t *testing.T, p, digits, s string) {
	t.Helper()
	if len(s) != len(p) {
		t.Fatalf("Expand(%q) = %q: length changed", p, s)
	}
	if utf8.ValidString(p) && !utf8.ValidString(s) {
		t.Fatalf("Expand(%q) = %q: mangled a multi-byte rune", p, s)
	}
	used := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '*' && p[i] != '#' {
			if s[i] != p[i] {
				t.Fatalf("Expand(%q) = %q: literal at byte %d changed", p, s, i)
			}
			continue
		}
		if used < len(digits) {
			if s[i] != digits[used] {
				t.Fatalf("Expand(%q) = %q: placeholder %d is %q, want %q", p, s, used, s[i], digits[used])
			}
			used++
		} else if s[i] != p[i] {
			t.Fatalf("Expand(%q) = %q: leftover placeholder at byte %d changed", p, s, i)
		}
	}
	holes := strings.Count(p, "*") + strings.Count(p, "#")
	if left := strings.Count(s, "*") + strings.Count(s, "#"); left != max(0, holes-len(digits)) {
		t.Fatalf("Expand(%q) = %q: %d placeholders left, want %d", p, s, left, max(0, holes-len(digits)))
	}
}
