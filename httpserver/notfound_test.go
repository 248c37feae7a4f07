package httpserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestUnknownRoutes404 checks PROTOCOL.md §1: every unknown route, any
// method, answers 404 text/plain "Not found" (never 405 with a toast-worthy
// body), including known paths with a method they do not serve, while
// preflight is still answered for every path.
func TestUnknownRoutes404(t *testing.T) {
	h := newHarness(t)
	for _, method := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		for _, path := range []string{"/no/such/route", "/isAlive/x", "/appointments", "/contact/extra"} {
			checkNotFound(t, h, method, path)
		}
	}
	// Known paths with a method they do not serve.
	for _, mp := range [][2]string{{"DELETE", "/contact"}, {"PUT", "/callLog"}, {"POST", "/isAlive"}, {"PATCH", "/messageLog"}, {"DELETE", "/callDisposition"}} {
		checkNotFound(t, h, mp[0], mp[1])
	}
	req, _ := http.NewRequest("OPTIONS", h.srv.URL+"/no/such/route", nil)
	req.Header.Set("Origin", "chrome-extension://abc")
	req.Header.Set("Access-Control-Request-Method", "GET")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("preflight of an unknown path: %d %v", res.StatusCode, res.Header)
	}
}

func checkNotFound(t *testing.T, h *harness, method, path string) {
	t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+h.prefix+path, strings.NewReader(`{}`))
	res, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || string(b) != "Not found" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("%s %s: %d %q %q, want 404 text/plain \"Not found\"", method, path, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}
