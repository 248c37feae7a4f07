package httpserver

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oldReadQuery is the query reader as it was before the performance pass
// (one append per parameter, strings.IndexAny): the reference the faster
// reader must agree with on every input.
func oldReadQuery(raw string) queryValues {
	q := make(queryValues)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key = oldUnescapeLenient(key)
		q[key] = append(q[key], oldUnescapeLenient(value))
	}
	return q
}

func oldUnescapeLenient(s string) string {
	if strings.IndexAny(s, "%+") < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
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

// The reader after the performance pass answers exactly what the one before
// it did, on any input (raw '+', stray '%', ';', repeated keys, empty
// values, invalid UTF-8, NUL); the edge check (rawQueryClean, then
// invalidParam) refuses exactly the queries the old reader's invalidParam
// refused; net/url agrees wherever it accepts the query; and a returned
// query's values do not alias each other (appending to one key's values
// never changes another's).
func FuzzReadQueryMatchesOldReader(f *testing.F) {
	for _, s := range []string{
		"jwtToken=a.b.c&phoneNumber=+16505551212&overridingFormat=%23**-***,+1**********",
		"name=100% Fitness&name=Smith;Jones&name=", "callbackUri=https://x.test/cb?code=1&state=platform=testcrm",
		"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&n=14&o=15&p=16&q=17&a=18",
		"x=%00&y=%C3%A9&z=\xff", "%zz=%4&%=%%&+=+", "sessionIds=1,2,3&sessionIds=4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, want := readQuery(raw), oldReadQuery(raw)
		if diff := cmp.Diff(map[string][]string(want), map[string][]string(got)); diff != "" {
			t.Fatalf("readQuery(%q) differs from the old reader (-old +new):\n%s", raw, diff)
		}
		if nu, err := url.ParseQuery(raw); err == nil {
			if diff := cmp.Diff(map[string][]string(nu), map[string][]string(got)); diff != "" {
				t.Fatalf("readQuery(%q) differs from net/url (-net/url +ours):\n%s", raw, diff)
			}
		}
		refusedOld := want.invalidParam() != ""
		refusedNew := !rawQueryClean(raw) && got.invalidParam() != ""
		if refusedOld != refusedNew {
			t.Fatalf("query %q: old edge check refused %v, new %v", raw, refusedOld, refusedNew)
		}
		// No aliasing between keys: grow every key's values and check the
		// others still read as before.
		for k := range got {
			got[k] = append(got[k], "\x01appended")
		}
		for k, vs := range got {
			if diff := cmp.Diff(append(append([]string(nil), want[k]...), "\x01appended"), vs); diff != "" {
				t.Fatalf("readQuery(%q): key %q after appending to every key (-want +got):\n%s", raw, k, diff)
			}
		}
	})
}

// Well-formed queries of every shape the client sends, percent-encoded by
// net/url: the reader gives back what was encoded.
func TestReadQueryRoundTripsEncodedValues(t *testing.T) {
	t.Parallel()
	vals := url.Values{
		"phoneNumber":      {"+16505551212"},
		"overridingFormat": {"+1 (***) ***-****,#**-***"},
		"name":             {"100% Fitness;Smith&Jones=Co", ""},
		"callbackUri":      {"https://x.test/cb?code=a+b&state=platform=testcrm"},
		"é":                {"ü\u2028", "x"},
		"":                 {"empty key"},
	}
	for i := range 20 {
		vals.Add("k"+strings.Repeat("x", i), strings.Repeat("+", i))
	}
	raw := vals.Encode()
	if diff := cmp.Diff(map[string][]string(vals), map[string][]string(readQuery(raw))); diff != "" {
		t.Errorf("readQuery(%q) (-encoded +read):\n%s", raw, diff)
	}
}
