package httpserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/httpserver"
)

// Every method a client or a probe may send, on every served path and on
// unknown ones, under the harness's mount prefix: a route answers, or the
// answer is 404 text/plain "Not found"; never 405, never a redirect. A
// method that is not upper case ("get") is not GET.
func TestNoRouteAnswers405OrRedirects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	served := map[string]bool{}
	paths := []string{"/no/such", "/metrics", "/Contact", "/contact/", "/isAlive/", "/"}
	for _, p := range httpserver.RoutePatterns(h.handler) {
		served[p] = true
		_, path, _ := strings.Cut(p, " ")
		paths = append(paths, path)
	}
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "get", "Post"} {
		for _, path := range paths {
			req, _ := http.NewRequest(method, h.srv.URL+h.prefix+path, strings.NewReader(`{}`))
			res, err := noRedirects(h).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			route := served[method+" "+path] || method == "HEAD" && served["GET "+path]
			switch {
			case res.StatusCode == http.StatusMethodNotAllowed || res.StatusCode/100 == 3:
				t.Errorf("%s %s: %d %q", method, path, res.StatusCode, b)
			case !route && (res.StatusCode != http.StatusNotFound || method != "HEAD" && string(b) != "Not found"):
				t.Errorf("%s %s (no route): %d %q, want 404 Not found", method, path, res.StatusCode, b)
			case route && res.StatusCode == http.StatusNotFound && string(b) == "Not found":
				t.Errorf("%s %s (a route): answered as unknown", method, path)
			}
		}
	}
}
