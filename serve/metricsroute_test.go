package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Only GET and HEAD of exactly /metrics reach the metrics; every other
// request, /metrics with another method included, is the handler's.
func TestWithMetricsRouteDispatch(t *testing.T) {
	tagged := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Served-By", name) })
	}
	h := withMetricsRoute(tagged("handler"), tagged("metrics"))
	for _, c := range []struct{ method, target, want string }{
		{"GET", "/metrics", "metrics"},
		{"HEAD", "/metrics", "metrics"},
		{"GET", "/metrics?x=1", "metrics"},
		{"POST", "/metrics", "handler"},
		{"GET", "/metrics/", "handler"},
		{"GET", "//metrics", "handler"},
		{"GET", "/contact", "handler"},
		{"OPTIONS", "/metrics", "handler"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.target, nil))
		if got := rec.Header().Get("X-Served-By"); got != c.want {
			t.Errorf("%s %s: served by %q, want %q", c.method, c.target, got, c.want)
		}
	}
}
