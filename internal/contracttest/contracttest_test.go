package contracttest

import (
	"fmt"
	"net/http"
	"testing"
)

// A documented answer passes our document and, when present, the
// reference; the documents are found from any working directory (here, this
// package's).
func TestCheckAcceptsADocumentedAnswer(t *testing.T) {
	t.Parallel()
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	Check(t, "GET", "/isAlive", 200, h, []byte("OK"))
	j := http.Header{"Content-Type": {"application/json"}}
	Check(t, "GET", "/callLog?sessionIds=a", 200, j, []byte(`{"successful":true,"logs":[{"sessionId":"a","matched":false}]}`))
	Check(t, "GET", "/no/such/route", 404, h, []byte("Not found"))
}

// Our document is exact: an extra field, a missing array, an undocumented
// status or an unknown route answered with anything but 404 fail.
func TestCheckRefusesWhatTheDocumentDoesNotSay(t *testing.T) {
	t.Parallel()
	j := http.Header{"Content-Type": {"application/json"}}
	txt := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	for _, c := range []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
	}{
		{"extra field", "GET", "/callLog?sessionIds=a", 200, j, `{"successful":true,"logs":[],"extra":1}`},
		{"missing array", "GET", "/callLog?sessionIds=a", 200, j, `{"successful":true}`},
		{"legacy danger", "GET", "/authValidation", 200, j, `{"successful":false,"returnMessage":{"message":"x","messageType":"danger","ttl":1}}`},
		{"undocumented status", "GET", "/isAlive", 418, txt, "OK"},
		{"unknown route not 404", "GET", "/no/such/route", 405, txt, "Method Not Allowed"},
		{"JSON where text is due", "GET", "/isAlive", 200, j, `"OK"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			Check(rec, c.method, c.path, c.status, c.header, []byte(c.body))
			if !rec.failed {
				t.Errorf("%s %s -> %d %s passed the check", c.method, c.path, c.status, c.body)
			}
		})
	}
}

// recorder notes a failure instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

// The memory of passed answers stops growing at maxPassed, also when ten
// times as many different answers pass; an answer seen before is skipped.
func TestPassedIsBounded(t *testing.T) {
	p := passedSet{m: map[[32]byte]struct{}{}}
	for i := range 10 * maxPassed {
		p.add(answerKey("GET", "/contact", 200, "application/json", []byte(fmt.Sprint(i))))
	}
	if len(p.m) != maxPassed {
		t.Errorf("%d answers remembered, want the bound %d", len(p.m), maxPassed)
	}
	if !p.has(answerKey("GET", "/contact", 200, "application/json", []byte("0"))) || p.has(answerKey("GET", "/contact", 201, "application/json", []byte("0"))) {
		t.Error("the key does not tell answers apart")
	}
}
