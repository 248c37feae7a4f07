package httpserver

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// WithTracerProvider turns on OpenTelemetry tracing (default: off, and then
// nothing is wrapped, so it costs nothing): a server span per request, named
// by its route pattern ("GET /contact"), and a client span per HTTP call an
// adapter makes through its session's *http.Client (and per token refresh),
// with the trace context propagated to the CRM in the request headers.
// Incoming trace context (traceparent) is honoured. The server never reads
// OTEL_* variables itself; a main builds tp from them (see examples/server).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracer = tp }
}

// WithPropagator sets how trace context is read from requests and written
// to CRM calls (default: W3C Trace Context only: baggage a caller sent is
// not forwarded to a third party's CRM unless the program asks for it).
// Only used with WithTracerProvider.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(o *options) { o.propagator = p }
}

func (s *Server) propagator() propagation.TextMapPropagator {
	if s.opts.propagator != nil {
		return s.opts.propagator
	}
	return propagation.TraceContext{}
}

// instrumentationName names the tracer of this package's spans.
const instrumentationName = "github.com/crmbridge/crmbridge/httpserver"

// requestTracer makes the server span of each request when tracing is on,
// continuing the caller's trace context. logRequests calls it, so that the
// request is copied once for both (r.WithContext), and tells it the status
// and, through tagRoute, the route. It is a few lines of the OpenTelemetry
// API rather than otelhttp's handler, which cost about 30% of the handler's
// CPU time per GET /contact in process (a response-writer wrapper and
// metric attributes computed even for a no-op meter); span names and
// attributes follow the same HTTP semantic conventions.
type requestTracer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	// byMethod holds the start options of each method (server kind, the
	// method attribute): made once, not boxed or gathered per request.
	byMethod map[string][]trace.SpanStartOption
}

// newRequestTracer is nil when tracing is off: nothing is made per request.
func (s *Server) newRequestTracer() *requestTracer {
	if s.opts.tracer == nil {
		return nil
	}
	t := &requestTracer{
		tracer:   s.opts.tracer.Tracer(instrumentationName),
		prop:     s.propagator(),
		byMethod: map[string][]trace.SpanStartOption{},
	}
	server := trace.WithSpanKind(trace.SpanKindServer)
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "OTHER"} {
		t.byMethod[m] = []trace.SpanStartOption{server, trace.WithAttributes(attribute.String("http.request.method", m))}
	}
	return t
}

// start starts the server span of r under ctx.
func (t *requestTracer) start(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	ctx = t.prop.Extract(ctx, requestCarrier(r.Header))
	// Named by the method until the mux has matched; the raw URL holds
	// the JWT and the phone number.
	method := knownMethod(r.Method)
	return t.tracer.Start(ctx, method, t.byMethod[method]...)
}

// requestCarrier is propagation.HeaderCarrier for reading a request's
// trace context, finding the W3C headers by their canonical names:
// http.Header.Get makes a canonical copy of a lower-case name such as
// "traceparent" on every call.
type requestCarrier http.Header

func (c requestCarrier) Get(key string) string {
	var v []string
	switch key {
	case "traceparent":
		v = c["Traceparent"]
	case "tracestate":
		v = c["Tracestate"]
	default:
		return http.Header(c).Get(key)
	}
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (c requestCarrier) Set(key, value string) { http.Header(c).Set(key, value) }

func (c requestCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }

// finish adds what is known only once the request was served, in one call:
// each SetAttributes of the SDK de-duplicates the span's attributes again.
// The caller ends the span.
// attrs is room for them that the caller keeps with the request (the SDK
// copies them): an array of finish's own would escape, one per request.
func (t *requestTracer) finish(span trace.Span, ri *reqInfo, status int, attrs *[3]attribute.KeyValue) {
	attrs[0] = attribute.Int("http.response.status_code", status)
	attrs[1] = attribute.String("crmbridge.request_id", ri.id)
	n := 2
	if ri.route != "" {
		span.SetName(ri.route)
		attrs[n] = attribute.String("http.route", ri.route)
		n++
	}
	span.SetAttributes(attrs[:n]...)
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// tagRoute notes the matched route pattern for the log line, the metrics,
// the server span's name and the CRM calls of the request. It is also the
// one place that refuses a query string holding a NUL byte or invalid
// UTF-8 (400 text/plain naming the parameter, PROTOCOL.md §1), so no route
// can forget to; an unknown route answers 404 whatever its query.
func (s *Server) tagRoute(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestInfo(r.Context()).route = pattern
		if !rawQueryClean(r.URL.RawQuery) {
			if name := clientQuery(r).invalidParam(); name != "" {
				refuseField(w, r, name, "is not valid text (a NUL byte or invalid UTF-8)")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// instrumentTransport layers tracing and metrics over base (nil means
// http.DefaultTransport) for clients that reach CRMs. operation and platform
// fix the metric labels; "" takes them from the request being served.
func (s *Server) instrumentTransport(base http.RoundTripper, operation, platform string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	rt := base
	if s.opts.tracer != nil {
		rt = &tracedTransport{
			next:      rt,
			tracer:    s.opts.tracer.Tracer(instrumentationName),
			prop:      s.propagator(),
			operation: operation,
		}
	}
	if s.opts.metrics != nil {
		rt = &crmTransport{next: rt, metrics: s.opts.metrics, operation: operation, platform: platform}
	}
	return rt
}

// tokenClient is the client a platform's refresher calls the token
// endpoint with: the configured client, instrumented.
func (s *Server) tokenClient(platform string) *http.Client {
	base := s.opts.httpClient
	if s.opts.metrics == nil && s.opts.tracer == nil {
		return base
	}
	return &http.Client{
		Transport:     s.instrumentTransport(base.Transport, "refresh_token", platform),
		CheckRedirect: base.CheckRedirect,
		Timeout:       base.Timeout,
	}
}

// tracedTransport makes a client span per CRM call and propagates its
// context in the request headers. It is ours rather than otelhttp's client
// transport because that one records the full URL, query included, and
// adapters put phone numbers (and some CRMs API keys) in the query: the span
// carries the method, the host, the operation and the status only.
type tracedTransport struct {
	next      http.RoundTripper
	tracer    trace.Tracer
	prop      propagation.TextMapPropagator
	operation string // fixed operation, or "" to take it from the request's route
}

func (t *tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := t.operation
	if op == "" {
		op = crmOperation(requestInfo(req.Context()).route)
	}
	ctx, span := t.tracer.Start(req.Context(), req.Method+" "+req.URL.Host,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", req.Method),
			attribute.String("server.address", req.URL.Hostname()),
			attribute.String("url.scheme", req.URL.Scheme),
			attribute.String("crmbridge.operation", op),
		))
	defer span.End()
	// A RoundTripper must not change the caller's request.
	req = req.Clone(ctx)
	t.prop.Inject(ctx, propagation.HeaderCarrier(req.Header))
	res, err := t.next.RoundTrip(req)
	if err != nil {
		// The error's text may quote the URL; the log has the details.
		span.SetStatus(codes.Error, "no response from the CRM")
		return res, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	if res.StatusCode >= 400 {
		span.SetStatus(codes.Error, http.StatusText(res.StatusCode))
	}
	return res, err
}
