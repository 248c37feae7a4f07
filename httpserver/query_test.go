package httpserver

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want queryValues
	}{
		{"name=100% Fitness", queryValues{"name": {"100% Fitness"}}},
		{"name=100%25 Fitness", queryValues{"name": {"100% Fitness"}}},
		{"name=Smith;Jones&x=1", queryValues{"name": {"Smith;Jones"}, "x": {"1"}}},
		{"name=a%2", queryValues{"name": {"a%2"}}},
		{"name=%zz%41", queryValues{"name": {"%zzA"}}},
		{"phoneNumber=+16505551212", queryValues{"phoneNumber": {" 16505551212"}}},
		{"overridingFormat=%2B1**********,(***)%20***-****", queryValues{"overridingFormat": {"+1**********,(***) ***-****"}}},
		{"overridingFormat=#**-***", queryValues{"overridingFormat": {"#**-***"}}},
		{"a=1&a=2&&b&=c", queryValues{"a": {"1", "2"}, "b": {""}, "": {"c"}}},
		{"state=platform=testcrm", queryValues{"state": {"platform=testcrm"}}},
		{"", queryValues{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, readQuery(tt.raw)); diff != "" {
			t.Errorf("readQuery(%q) (-want +got):\n%s", tt.raw, diff)
		}
	}
}

func TestInvalidParam(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"name=ok&x=%C3%A9":  "",
		"name=a%00b":        "name",
		"hostname=%FF":      "hostname",
		"%00=1":             "(parameter name)",
		"sessionIds=1,2%00": "sessionIds",
	} {
		if got := readQuery(raw).invalidParam(); got != want {
			t.Errorf("invalidParam(%q) = %q, want %q", raw, got, want)
		}
	}
}

// FuzzReadQuery checks that the lenient reader agrees with net/url wherever
// net/url accepts the query, and that on any other query it keeps every
// parameter: one value per non-empty '&'-separated pair, under its key.
func FuzzReadQuery(f *testing.F) {
	for _, s := range []string{
		"jwtToken=a.b.c&phoneNumber=+16505551212&overridingFormat=(***) ***-****,+1**********",
		"name=100% Fitness", "name=Smith;Jones", "a=%zz&b=%4", "x=%41%2b+y", "&&=&a", "k=v=w", "%=%%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := readQuery(raw)
		if want, err := url.ParseQuery(raw); err == nil {
			if diff := cmp.Diff(map[string][]string(want), map[string][]string(got)); diff != "" {
				t.Fatalf("readQuery(%q) disagrees with url.ParseQuery (-net/url +ours):\n%s", raw, diff)
			}
		}
		pairs := 0
		for pair := range strings.SplitSeq(raw, "&") {
			if pair == "" {
				continue
			}
			pairs++
			key, _, _ := strings.Cut(pair, "=")
			if !got.Has(unescapeLenient(key)) {
				t.Fatalf("readQuery(%q) dropped the parameter %q", raw, key)
			}
		}
		values := 0
		for _, vs := range got {
			values += len(vs)
		}
		if values != pairs {
			t.Fatalf("readQuery(%q) kept %d values of %d pairs", raw, values, pairs)
		}
	})
}

// TestMessagesLimitTag: the `max` tag that enforces maxMessages says the
// same number.
func TestMessagesLimitTag(t *testing.T) {
	t.Parallel()
	f, ok := reflect.TypeFor[conversationInfo]().FieldByName("Messages")
	if !ok || f.Tag.Get("max") != strconv.Itoa(maxMessages) {
		t.Errorf("conversationInfo.Messages max tag = %q, want %d", f.Tag.Get("max"), maxMessages)
	}
}

// TestEveryRouteReadsTheQueryLeniently: no code of the package parses a
// query string with net/url, which drops parameters holding a stray '%' or
// a ';' (PROTOCOL.md §1). Routes use clientQuery / readQuery.
func TestEveryRouteReadsTheQueryLeniently(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "query.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); strings.Contains(code, ".Query()") ||
				strings.Contains(code, "ParseQuery(") || strings.Contains(code, "FormValue(") || strings.Contains(code, "ParseForm(") {
				t.Errorf("%s:%d parses a query with net/url; use clientQuery or readQuery: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// TestFlexTimeAndDurationRanges: what the edge validation accepts and
// refuses in times and durations (PROTOCOL.md §1).
func TestFlexTimeAndDurationRanges(t *testing.T) {
	t.Parallel()
	for in, bad := range map[string]bool{
		`1764300000000`: false, `"1764300000000"`: false, `"2026-11-28T10:00:00Z"`: false,
		`0`: false, `""`: false, `null`: false,
		`1000`: true, `1e300`: true, `"NaN"`: true, `"Infinity"`: true, `"2200-01-01T00:00:00Z"`: true,
		`"1999-12-31T23:59:59Z"`: true, `"yesterday"`: true, `-1e400`: true,
	} {
		var v flexTime
		if err := v.UnmarshalJSON([]byte(in)); err != nil {
			t.Errorf("flexTime(%s): error %v; refusals are for the edge validation", in, err)
		}
		if (v.check() != "") != bad {
			t.Errorf("flexTime(%s).check() = %q, want refused=%v", in, v.check(), bad)
		}
	}
	for in, bad := range map[string]bool{
		`95`: false, `"95"`: false, `"pending"`: false, `0`: false, `864000`: false, `12.5`: false,
		`864001`: true, `1e300`: true, `"NaN"`: true, `"-Inf"`: true, `-1`: true, `"long"`: true,
	} {
		var v flexDuration
		if err := v.UnmarshalJSON([]byte(in)); err != nil {
			t.Errorf("flexDuration(%s): error %v", in, err)
		}
		if (v.check() != "") != bad {
			t.Errorf("flexDuration(%s).check() = %q, want refused=%v", in, v.check(), bad)
		}
	}
}

// TestBoundFormatList: stored formats are cut to the bounds, keeping the
// first patterns that fit (and a lost '+' in them).
func TestBoundFormatList(t *testing.T) {
	t.Parallel()
	var many []string
	for i := range 10 * maxFormatPatterns {
		many = append(many, strconv.Itoa(i)+"-***-****")
	}
	got := boundFormatList(" 1**********," + strings.Repeat("*", 10*maxFormatPatternBytes) + "," + strings.Join(many, ","))
	if formatListProblem(got) != "" {
		t.Fatalf("boundFormatList left %q over the bounds", got)
	}
	items := strings.Split(got, ",")
	if len(items) != maxFormatPatterns || items[0] != " 1**********" || items[1] != "0-***-****" {
		t.Errorf("boundFormatList kept %q", items)
	}
	if ok := "(***) ***-****"; boundFormatList(ok) != ok {
		t.Errorf("a list within the bounds changed")
	}
}
