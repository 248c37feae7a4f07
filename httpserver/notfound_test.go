package httpserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/httpserver"
)

// TestUnknownRoutes404 checks PROTOCOL.md §1: every unknown route, any
// method, answers 404 text/plain "Not found" (never 405 with a toast-worthy
// body), including known paths with a method they do not serve, while
// preflight is still answered for every path.
func TestUnknownRoutes404(t *testing.T) {
	t.Parallel()
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
	res, err := noRedirects(h).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || string(b) != "Not found" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("%s %s: %d %q %q, want 404 text/plain \"Not found\"", method, path, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}

// TestUncleanPaths404 checks that a path ServeMux would redirect ("//x",
// "/a/../x", "/./x") is an unknown route too: 404 for every method, never a
// 307 whose Location loses the prefix the handler is mounted under (the
// harness mounts it under one), while its preflight is still answered.
func TestUncleanPaths404(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, method := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		for _, path := range []string{"//contact", "//callLog", "/contact/../isAlive", "/./isAlive", "/isAlive/.", "//"} {
			checkNotFound(t, h, method, path)
		}
	}
	req, _ := http.NewRequest("OPTIONS", h.srv.URL+h.prefix+"//contact", nil)
	req.Header.Set("Origin", "chrome-extension://abc")
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err := noRedirects(h).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("preflight of //contact: %d %v", res.StatusCode, res.Header)
	}
}

// TestEveryRouteRefusesInvalidQueryText sends a NUL byte and invalid UTF-8
// in a query parameter to every route the server has: each answers 400
// text/plain naming the parameter (PROTOCOL.md §1), whether or not the route
// reads that parameter or needs a session.
func TestEveryRouteRefusesInvalidQueryText(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("query-text-key")
	for _, pattern := range httpserver.RoutePatterns(h.handler) {
		method, path, _ := strings.Cut(pattern, " ")
		for _, bad := range []string{"%00", "%ff", "a%C3%28"} {
			req, _ := http.NewRequest(method, h.srv.URL+h.prefix+path+"?jwtToken="+jwt+"&extensionId="+bad, strings.NewReader(`{}`))
			res, err := noRedirects(h).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "extensionId") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("%s?extensionId=%s: %d %q, want 400 text/plain naming extensionId", pattern, bad, res.StatusCode, b)
			}
		}
	}
}

// noRedirects is the harness's client without following redirects, so a
// 3xx is seen as the answer it is.
func noRedirects(h *harness) *http.Client {
	c := *h.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
