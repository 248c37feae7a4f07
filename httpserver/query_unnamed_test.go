package httpserver

import "testing"

// A parameter with an empty name and a value that is not valid text is
// found every time, whatever order the map's keys come in: "" as its name
// read as "none", so such a query was refused or let through at random
// (found by FuzzReadQueryMatchesOldReader).
func TestInvalidParamUnnamed(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"=%FF",
		"=a%00",
		"=Cb%a8001199001711&181\xb1B0",
		"a=1&b=2&c=3&=%ff&d=4&e=5&f=6&g=7&h=8",
	} {
		for range 50 { // map order differs between calls
			if got := readQuery(raw).invalidParam(); got == "" {
				t.Fatalf("invalidParam(%q) found nothing", raw)
			}
		}
	}
	if got := readQuery("=%FF").invalidParam(); got != unnamedParam {
		t.Errorf("invalidParam(=%%FF) = %q, want %q", got, unnamedParam)
	}
	if got := readQuery("=ok&a=1").invalidParam(); got != "" {
		t.Errorf("invalidParam of a clean unnamed parameter = %q", got)
	}
}
