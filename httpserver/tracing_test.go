package httpserver_test

import (
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/crmbridge/crmbridge/httpserver"
)

// A lookup makes a server span named by its route and, under it, a client
// span for the CRM call, in the same trace, whose context reached the CRM
// in the traceparent header. An incoming traceparent is continued.
func TestTracingServerSpanAndCRMChild(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })
	h, crm, _ := activityHarness(t, httpserver.WithTracerProvider(tp))

	r := h.do("GET", callbackQuery, nil)
	jwt, _ := r.json(t)["jwtToken"].(string)
	if jwt == "" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	const incoming = "4bf92f3577b34da6a3ce929d0e0e4736"
	r = h.do("GET", "/contact?phoneNumber=+16505551212", nil, "Authorization", "Bearer "+jwt,
		"traceparent", "00-"+incoming+"-00f067aa0ba902b7-01")
	if len(contacts(t, r)) != 1 {
		t.Fatalf("lookup: %s", r.body)
	}

	var server, client sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch {
		case s.SpanKind() == trace.SpanKindServer && s.Name() == "GET /contact":
			server = s
		case s.SpanKind() == trace.SpanKindClient && s.SpanContext().TraceID().String() == incoming:
			client = s
		}
	}
	if server == nil || client == nil {
		var names []string
		for _, s := range rec.Ended() {
			names = append(names, s.SpanKind().String()+" "+s.Name()+" "+s.SpanContext().TraceID().String())
		}
		t.Fatalf("want a server span GET /contact and a client span in trace %s; got %v", incoming, names)
	}
	if got := server.SpanContext().TraceID().String(); got != incoming {
		t.Errorf("server span trace %s, want the incoming %s", got, incoming)
	}
	attrs := map[string]string{}
	for _, a := range server.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["http.route"] != "GET /contact" || attrs["http.response.status_code"] != "200" || attrs["http.request.method"] != "GET" || attrs["crmbridge.request_id"] != r.header.Get("X-Request-Id") {
		t.Errorf("server span attributes %v", attrs)
	}
	if client.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("client span's parent %s is not the server span %s", client.Parent().SpanID(), server.SpanContext().SpanID())
	}
	tpHeader, _ := crm.traceparent.Load().(string)
	if !strings.Contains(tpHeader, incoming) || !strings.Contains(tpHeader, client.SpanContext().SpanID().String()) {
		t.Errorf("the CRM saw traceparent %q; want trace %s and the client span %s", tpHeader, incoming, client.SpanContext().SpanID())
	}
	// Span names and attributes never carry the phone number or the JWT.
	for _, s := range rec.Ended() {
		all := s.Name()
		for _, a := range s.Attributes() {
			all += " " + a.Value.Emit()
		}
		if strings.Contains(all, "6505551212") || strings.Contains(all, jwt) {
			t.Errorf("span %q carries a phone number or the JWT: %s", s.Name(), all)
		}
	}
}
