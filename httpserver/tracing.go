package httpserver

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
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
// to CRM calls (default: W3C Trace Context and Baggage). Only used with
// WithTracerProvider.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(o *options) { o.propagator = p }
}

func (s *Server) propagator() propagation.TextMapPropagator {
	if s.opts.propagator != nil {
		return s.opts.propagator
	}
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// traceRequests wraps the whole handler in a server span when tracing is on.
func (s *Server) traceRequests(next http.Handler) http.Handler {
	if s.opts.tracer == nil {
		return next
	}
	return otelhttp.NewHandler(next, "crmbridge",
		otelhttp.WithTracerProvider(s.opts.tracer),
		otelhttp.WithPropagators(s.propagator()),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()), // metrics are Prometheus's job here
		// The pattern is known only once the mux has matched (tagRoute
		// renames the span); until then the method is all that is safe:
		// the raw URL holds the JWT and the phone number.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// tagRoute notes the matched route pattern for the log line, the metrics and
// the CRM calls of the request, and names the server span after it.
func (s *Server) tagRoute(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestInfo(r.Context()).route = pattern
		if s.opts.tracer != nil {
			span := trace.SpanFromContext(r.Context())
			span.SetName(pattern)
			span.SetAttributes(attribute.String("http.route", pattern))
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
		rt = otelhttp.NewTransport(rt,
			otelhttp.WithTracerProvider(s.opts.tracer),
			otelhttp.WithPropagators(s.propagator()),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			// The URL's query may hold a phone number: name spans by
			// method and host only.
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Host }),
		)
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
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
}
