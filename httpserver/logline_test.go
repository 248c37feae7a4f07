package httpserver_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// The request line names the matched route pattern with tracing on too
// (the tracing middleware hands the mux a copy of the request, so the
// pattern the mux notes on it is not the logger's to read), a preflight
// included; an unknown route is "<method> (unmatched)".
func TestRequestLineNamesTheRouteWithTracingOn(t *testing.T) {
	for _, tracing := range []bool{false, true} {
		var logs servertest.LogBuffer
		opts := []httpserver.Option{httpserver.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))}
		if tracing {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))
			opts = append(opts, httpserver.WithTracerProvider(tp))
		}
		srv, err := httpserver.New(httpserver.Config{
			Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
			Store:    openStore(t), JWTIssuer: newSessions(t), SealingKeys: newKeys(t),
		}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		for _, c := range []struct{ method, target, route string }{
			{"GET", "/isAlive", "GET /isAlive"},
			{"OPTIONS", "/contact", "OPTIONS /"},
			{"DELETE", "/contact", "DELETE (unmatched)"},
			{"GET", "/no/such/route", "GET (unmatched)"},
			{"GET", "/contact?name=%00", "GET /contact"},
		} {
			before := len(logs.String())
			srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.target, nil))
			var line struct{ Msg, Route string }
			if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String()[before:])), &line); err != nil || line.Msg != "request" {
				t.Fatalf("tracing %v, %s %s: log %q", tracing, c.method, c.target, logs.String()[before:])
			}
			if line.Route != c.route {
				t.Errorf("tracing %v, %s %s: route %q, want %q", tracing, c.method, c.target, line.Route, c.route)
			}
		}
	}
}

// A query with a NUL byte is refused on a known route (400 naming the
// parameter) and is an unknown route's 404 elsewhere, whatever the method.
func TestInvalidQueryRefusedOnKnownRoutesOnly(t *testing.T) {
	srv, err := httpserver.New(httpserver.Config{
		Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
		Store:    openStore(t), JWTIssuer: newSessions(t), SealingKeys: newKeys(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	for _, c := range []struct {
		method, target string
		status         int
		body           string
	}{
		{"GET", "/isAlive?x=%00", http.StatusBadRequest, "Invalid request: x is not valid text"},
		{"OPTIONS", "/anything?x=%00", http.StatusBadRequest, "Invalid request: x is not valid text"},
		{"GET", "/nothing?x=%00", http.StatusNotFound, "Not found"},
		{"PUT", "/isAlive?x=%00", http.StatusNotFound, "Not found"},
		{"PUT", "/isAlive", http.StatusNotFound, "Not found"},
	} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(c.method, c.target, nil))
		if rec.Code != c.status || !strings.HasPrefix(rec.Body.String(), c.body) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.target, rec.Code, rec.Body, c.status, c.body)
		}
	}
}
