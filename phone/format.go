package phone

import (
	"context"
	"strings"
)

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
// duplicates: n's E.164 form first, then its [Number.Equivalents], then the
// patterns of f expanded, then the defaults chosen in d in the order of their
// constants. Patterns are expanded with n when it is [Number.Valid],
// otherwise with its first valid equivalent (a Mexican mobile still written
// "+521..." expands as the "+52..." number it now is); a number with no valid
// form yields no formatted strings: only its E.164 forms and, if chosen, its
// national digits. The zero Number yields nil.
//
// The work is linear in the number and size of the patterns.
func Candidates(n Number, f Formats, d Defaults) []string {
	out, _ := CandidatesContext(context.Background(), n, f, d)
	return out
}

// CandidatesContext is [Candidates] that stops when ctx is done, returning
// ctx's error (and the candidates so far).
func CandidatesContext(ctx context.Context, n Number, f Formats, d Defaults) ([]string, error) {
	if n.IsZero() {
		return nil, nil
	}
	eq := n.Equivalents()
	c := newCandidateList(1 + len(eq) + len(f.patterns) + 3)
	c.add(n.e164)
	formatted := n
	for _, e := range eq {
		c.add(e)
		if !formatted.valid {
			if m, err := Parse(e); err == nil && m.valid {
				formatted = m
			}
		}
	}
	if formatted.valid {
		for i := range f.patterns {
			if i%8 == 7 {
				if err := ctx.Err(); err != nil {
					return c.list, err
				}
			}
			c.add(f.patterns[i].expand(formatted.nsn))
		}
	}
	if d&DefaultNationalDigits != 0 {
		c.add(n.nsn)
	}
	if formatted.valid && d&DefaultNationalFormat != 0 {
		c.add(formatted.NationalFormat())
	}
	if formatted.valid && d&DefaultInternationalCompact != 0 {
		c.add(compact(formatted.InternationalFormat()))
	}
	return c.list, ctx.Err()
}

// candidateList is an ordered list without duplicates or empty strings. A
// short list is searched linearly (no allocation); past linearLimit entries
// a set keeps each addition O(1), so the whole expansion stays linear.
type candidateList struct {
	list []string
	set  map[string]struct{}
}

const linearLimit = 8

func newCandidateList(capacity int) candidateList {
	return candidateList{list: make([]string, 0, capacity)}
}

func (c *candidateList) add(s string) {
	if s == "" {
		return
	}
	if c.set == nil {
		for _, have := range c.list {
			if have == s {
				return
			}
		}
		c.list = append(c.list, s)
		if len(c.list) > linearLimit {
			c.set = make(map[string]struct{}, cap(c.list))
			for _, have := range c.list {
				c.set[have] = struct{}{}
			}
		}
		return
	}
	if _, dup := c.set[s]; dup {
		return
	}
	c.set[s] = struct{}{}
	c.list = append(c.list, s)
}

// compact drops the spaces of an international format.
func compact(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	return strings.ReplaceAll(s, " ", "")
}
