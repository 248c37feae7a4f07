package httpserver

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// queryValues is a query string read the way the client writes it
// (PROTOCOL.md §1): mostly not URL-encoded. It differs from url.ParseQuery
// in the two places where Go's parser would lose what the user typed:
//
//   - a '%' not followed by two hex digits is a literal '%'
//     ("name=100% Fitness"), where url.ParseQuery drops the parameter;
//   - ';' is an ordinary character ("name=Smith;Jones"), never a separator,
//     where url.ParseQuery drops the parameter.
//
// Everything else is as url.ParseQuery does it: pairs are separated by '&',
// the first '=' separates key and value, valid %XX escapes are decoded and
// '+' is a space (a '+' the client did not encode therefore arrives as a
// space; phone.Normalize and phone.CompileFormats restore it). On a query
// url.ParseQuery accepts without error, the result is the same.
//
// Reading is one pass over the raw query, linear in its length; the raw
// query's size is bounded by the HTTP server's header limit. Every route
// reads the client's parameters through clientQuery or readQuery; never url.ParseQuery or r.URL.Query().
type queryValues map[string][]string

// readQuery parses a raw query string (r.URL.RawQuery) leniently.
func readQuery(raw string) queryValues {
	n := min(strings.Count(raw, "&")+1, 16)
	q := make(queryValues, n)
	// The first value of every key shares one backing array (each key's
	// slice capped at its one element, so a key's second value copies it
	// out): one allocation for the values instead of one per parameter.
	firsts := make([]string, 0, n)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, value = unescapeLenient(key), unescapeLenient(value)
		if vs, ok := q[key]; ok {
			q[key] = append(vs, value)
			continue
		}
		if len(firsts) == cap(firsts) {
			firsts = make([]string, 0, n)
		}
		firsts = append(firsts, value)
		q[key] = firsts[len(firsts)-1 : len(firsts) : len(firsts)]
	}
	return q
}

// Get returns the first value of key, or "".
func (q queryValues) Get(key string) string {
	if vs := q[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Has reports whether key is present, even with an empty value.
func (q queryValues) Has(key string) bool {
	_, ok := q[key]
	return ok
}

// invalidParam returns the name of a parameter whose key or value holds a
// NUL byte or is not valid UTF-8 after decoding, or "" when there is none.
// Such values never come from a real client and would make a store fail
// (PostgreSQL refuses both), so routes refuse them at the edge.
//
// The parameter with the empty name ("=%FF") is named unnamedParam: ""
// would read as "none", and whether the query was refused would then
// depend on the order the map's keys come in.
func (q queryValues) invalidParam() string {
	for k, vs := range q {
		if !cleanText(k) {
			return "(parameter name)"
		}
		for _, v := range vs {
			if !cleanText(v) {
				if k == "" {
					return unnamedParam
				}
				return k
			}
		}
	}
	return ""
}

// unnamedParam is how invalidParam names the parameter whose name is
// empty.
const unnamedParam = "(unnamed parameter)"

// rawQueryClean reports, without parsing raw, that no parameter readQuery
// makes of it can hold a NUL byte or invalid UTF-8 (invalidParam would
// find none): raw itself is valid UTF-8 without NUL bytes and each of its
// %XX escapes decodes to an ASCII byte other than NUL. Decoding then only
// replaces ASCII bytes by ASCII bytes, and splitting at '&' and '=' cuts
// at ASCII bytes, so every key and value stays valid UTF-8. A query with
// an escape of a byte of 0x80 or above (say an accented letter, "%C3%A9")
// is not known clean by this and must be checked after parsing.
func rawQueryClean(raw string) bool {
	for i := strings.IndexByte(raw, '%'); i >= 0; {
		if i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			if b := unhex(raw[i+1])<<4 | unhex(raw[i+2]); b == 0 || b >= utf8.RuneSelf {
				return false
			}
		}
		j := strings.IndexByte(raw[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return cleanText(raw)
}

// cleanText reports whether s is valid UTF-8 without NUL bytes.
func cleanText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// unescapeLenient decodes %XX escapes and '+' (a space); any other byte,
// including a '%' that does not start a valid escape, is kept as it is.
func unescapeLenient(s string) string {
	// Two byte searches rather than strings.IndexAny: a JWT value is
	// hundreds of bytes, which IndexByte scans several at a time and
	// IndexAny one by one.
	i := strings.IndexByte(s, '%')
	if j := strings.IndexByte(s, '+'); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// clientQuery is the one place the client's query parameters are read,
// leniently (see queryValues). A query holding a NUL byte or invalid UTF-8
// never reaches a route: tagRoute refuses it first.
//
// The parsed query is kept in the request's reqInfo, so the edge check, the
// session and the route share one parse; callers only read it.
func clientQuery(r *http.Request) queryValues {
	raw := r.URL.RawQuery
	ri, ok := r.Context().Value(reqInfoKey{}).(*reqInfo)
	if !ok {
		return readQuery(raw)
	}
	if ri.query == nil || ri.queryRaw != raw {
		ri.query, ri.queryRaw = readQuery(raw), raw
	}
	return ri.query
}
