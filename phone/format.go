package phone

import "strings"

// Formats is a compiled overridingFormat list: patterns in which each '*' or
// '#' is a placeholder for the next digit of a national significant number.
// It is immutable and safe for concurrent use; the zero value has no patterns.
type Formats struct {
	patterns []pattern
}

// pattern is one compiled pattern: its text and the byte offsets of its
// placeholders, so expanding it is a copy with bytes substituted.
type pattern struct {
	text  string
	holes []int
}

// CompileFormats compiles a comma-separated overridingFormat list. It never
// fails: every string is a pattern.
//
//   - Empty items (after trimming) are ignored.
//   - A space right before a leading digit is a '+' lost in an unencoded
//     query string: " 1**********" is "+1**********".
//   - Other surrounding whitespace is trimmed: "(***) ***-****, ***-***-****"
//     is two patterns, the second without '+'.
//   - Every '*' and '#' is a placeholder; every other character, '%' and
//     multi-byte runes included, is literal.
//
// Compile the list once per request (or once per user) and expand it for
// every number; compiling is the only step that scans the pattern text.
func CompileFormats(list string) Formats {
	ps := make([]pattern, 0, strings.Count(list, ",")+1)
	// One backing array holds the placeholder offsets of every pattern.
	offsets := make([]int, 0, strings.Count(list, "*")+strings.Count(list, "#"))
	for item := range strings.SplitSeq(list, ",") {
		text := Normalize(item)
		if text == "" {
			continue
		}
		start := len(offsets)
		for i := 0; i < len(text); i++ {
			if c := text[i]; c == '*' || c == '#' {
				offsets = append(offsets, i)
			}
		}
		ps = append(ps, pattern{text: text, holes: offsets[start:len(offsets):len(offsets)]})
	}
	if len(ps) == 0 {
		return Formats{}
	}
	return Formats{patterns: ps[:len(ps):len(ps)]}
}

// Len returns the number of patterns.
func (f Formats) Len() int { return len(f.patterns) }

// Patterns returns the patterns after trimming and lost-'+' restoration, in
// order. The slice is a copy; changing it does not change f.
func (f Formats) Patterns() []string {
	if len(f.patterns) == 0 {
		return nil
	}
	out := make([]string, len(f.patterns))
	for i, p := range f.patterns {
		out[i] = p.text
	}
	return out
}

// Expand fills n's national significant digits into every pattern and returns
// one string per pattern, in order. Placeholders are filled left to right;
// surplus digits are dropped and leftover placeholders kept: "(***) ***-****"
// gives "(650) 555-1212" for +16505551212. Expand returns nil when n is not
// [Number.Valid] or f has no patterns.
func (f Formats) Expand(n Number) []string {
	if !n.valid || len(f.patterns) == 0 {
		return nil
	}
	return f.AppendExpand(make([]string, 0, len(f.patterns)), n)
}

// AppendExpand appends the result of [Formats.Expand] to dst and returns the
// extended slice, so a caller can reuse one buffer across numbers. It appends
// nothing when n is not [Number.Valid]. Each expanded string costs at most one
// allocation; a pattern without placeholders costs none.
func (f Formats) AppendExpand(dst []string, n Number) []string {
	if !n.valid {
		return dst
	}
	for i := range f.patterns {
		dst = append(dst, f.patterns[i].expand(n.nsn))
	}
	return dst
}

// expand writes p.text with its first len(digits) placeholders replaced.
func (p *pattern) expand(digits string) string {
	k := min(len(p.holes), len(digits))
	if k == 0 {
		return p.text
	}
	var b strings.Builder
	b.Grow(len(p.text))
	last := 0
	for i, at := range p.holes[:k] {
		b.WriteString(p.text[last:at])
		b.WriteByte(digits[i])
		last = at + 1
	}
	b.WriteString(p.text[last:])
	return b.String()
}

// Defaults is a bit set of optional extra candidates an adapter opts into
// when its CRM stores numbers in a form the client's patterns may not cover.
type Defaults uint8

// The optional candidates, appended by [Candidates] in this order.
const (
	// DefaultNationalDigits adds the national significant number, "6505551212".
	DefaultNationalDigits Defaults = 1 << iota
	// DefaultNationalFormat adds the national format, "(650) 555-1212".
	DefaultNationalFormat
	// DefaultInternationalCompact adds the international format without
	// spaces, "+1650-555-1212".
	DefaultInternationalCompact
)

// Candidates returns the strings to search a CRM for, in order and without
// duplicates: n's E.164 form first, then f.Expand(n), then the defaults chosen
// in d in the order of their constants. A Number that is not [Number.Valid]
// yields no formatted strings: only its E.164 form and, if chosen, its
// national digits. The zero Number yields nil.
func Candidates(n Number, f Formats, d Defaults) []string {
	if n.IsZero() {
		return nil
	}
	out := make([]string, 1, 1+len(f.patterns)+3)
	out[0] = n.e164
	if n.valid {
		for i := range f.patterns {
			out = appendUnique(out, f.patterns[i].expand(n.nsn))
		}
	}
	if d&DefaultNationalDigits != 0 {
		out = appendUnique(out, n.nsn)
	}
	if n.valid && d&DefaultNationalFormat != 0 {
		out = appendUnique(out, n.NationalFormat())
	}
	if n.valid && d&DefaultInternationalCompact != 0 {
		out = appendUnique(out, compact(n.InternationalFormat()))
	}
	return out
}

// appendUnique appends s unless it is empty or already present; the lists are
// a handful of strings, so a linear scan beats a map.
func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

// compact drops the spaces of an international format.
func compact(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	return strings.ReplaceAll(s, " ", "")
}
