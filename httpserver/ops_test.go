package httpserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/apidoc"
)

// notYetServed are routes the document describes ahead of the handler (the
// settings and admin routes of PROTOCOL.md §3 built on another branch).
// When one of them is served, the test below fails until it is removed
// from this list, so the list can only shrink.
var notYetServed = []string{}

// documentedRoutes lists the document's operations as "METHOD /path".
func documentedRoutes(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(apidoc.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// A route added to the handler without being in the document fails, and so
// does a documented route nobody serves.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	served := httpserver.RoutePatterns(h.handler)
	documented := documentedRoutes(t)
	if len(served) == 0 {
		t.Fatal("the route table is empty")
	}
	for _, p := range served {
		if !slices.Contains(documented, p) {
			t.Errorf("route %q is served but not in internal/apidoc/openapi.json", p)
		}
		if slices.Contains(notYetServed, p) {
			t.Errorf("route %q is served now: remove it from notYetServed", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(served, p) && !slices.Contains(notYetServed, p) {
			t.Errorf("route %q is documented but not served", p)
		}
	}
}

// GET /openapi.json serves the document byte for byte, and it validates
// against itself.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("GET", "/openapi.json", nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, apidoc.JSON) {
		t.Fatalf("GET /openapi.json: %d, %d bytes; want 200 and the embedded document (%d bytes)", r.status, len(r.body), len(apidoc.JSON))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

// /readyz answers 200 while the store answers and 503 once it is closed;
// /isAlive does not look at the store.
func TestReadinessFollowsTheStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.do("GET", "/readyz", nil); r.status != http.StatusOK || string(r.body) != "OK" {
		t.Fatalf("ready store: %d %q", r.status, r.body)
	}
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	r := h.do("GET", "/readyz", nil)
	if r.status != http.StatusServiceUnavailable || string(r.body) != "Store unavailable" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("closed store: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r := h.do("GET", "/isAlive", nil); r.status != http.StatusOK {
		t.Fatalf("isAlive with the store closed: %d", r.status)
	}
}
