package httpserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Through the server: a query whose unnamed parameter holds invalid text
// is refused at the edge on every request, like any other parameter.
func TestUnnamedParamRefusedAtTheEdge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := range 20 {
		res, err := noRedirects(h).Get(h.srv.URL + h.prefix + "/isAlive?a=1&b=2&=%ff&c=3")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("request %d: %d %q, want 400 text/plain", i, res.StatusCode, b)
		}
	}
}
