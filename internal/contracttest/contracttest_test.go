package contracttest

import (
	"net/http"
	"testing"
)

// A documented answer passes; the document is found from any working
// directory (here, this package's).
func TestCheckAcceptsADocumentedAnswer(t *testing.T) {
	if Router(t) == nil {
		t.Skip("contract document not available outside CI")
	}
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	Check(t, "GET", "/isAlive", 200, h, []byte("OK"))
	j := http.Header{"Content-Type": {"application/json"}}
	Check(t, "GET", "/callLog?sessionIds=a", 200, j, []byte(`{"successful":true,"logs":[{"sessionId":"a","matched":false}]}`))
}
