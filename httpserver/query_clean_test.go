package httpserver

import (
	"net/url"
	"testing"
)

// What rawQueryClean calls clean, invalidParam finds clean after parsing;
// and it calls the usual queries clean without parsing them.
func TestRawQueryClean(t *testing.T) {
	for raw, want := range map[string]bool{
		"jwtToken=a.b.c&phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****": true,
		"name=100% Fitness&x=%": true,
		"name=%zz%4":            true,
		"name=%41%7e%7F":        true,
		"name=a%00b":            false,
		"name=%C3%A9":           false, // clean, but only known after parsing
		"name=%FF":              false,
		"name=\x00":             false,
		"name=\xff":             false,
		"":                      true,
		"%":                     true,
		"%%%41":                 true,
		"a=%80":                 false,
	} {
		if got := rawQueryClean(raw); got != want {
			t.Errorf("rawQueryClean(%q) = %v, want %v", raw, got, want)
		}
		if rawQueryClean(raw) && readQuery(raw).invalidParam() != "" {
			t.Errorf("rawQueryClean(%q) but invalidParam finds %q", raw, readQuery(raw).invalidParam())
		}
	}
}

func FuzzRawQueryClean(f *testing.F) {
	for _, s := range []string{"a=%00", "a=%C3%A9", "a=%41&b=+", "%%%", "a=\xff", url.QueryEscape("é\x00")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if rawQueryClean(raw) && readQuery(raw).invalidParam() != "" {
			t.Fatalf("rawQueryClean(%q) but invalidParam finds %q", raw, readQuery(raw).invalidParam())
		}
	})
}
