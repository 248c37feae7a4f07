package httpserver

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// RequestIDHeader carries the request id: taken from the request when the
// caller (a proxy) sent a sane one, generated otherwise, and always echoed
// in the response and the log line.
const RequestIDHeader = "X-Request-Id"

// reqInfo is the per-request state the log line is made of. Handlers fill in
// what only they know (the platform) through requestInfo.
type reqInfo struct {
	id       string
	platform string
	route    string // the matched pattern, set by tagRoute
	err      error

	// The client's query, parsed once by clientQuery and read (never
	// written) by every later step of the same request; queryRaw is the
	// raw query it was parsed from, so a request whose URL changed is
	// parsed again.
	query    queryValues
	queryRaw string

	// timed is the adapter-timeout context of a data route (withSession),
	// kept here so that it comes with the request's one allocation.
	timed lazyDeadline
}

type reqInfoKey struct{}

func requestInfo(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// statusWriter records the status code for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// requestState is what logRequests keeps of a request, in one allocation:
// with the request's id as a header value, and room for the server span's
// closing attributes (requestTracer.finish).
type requestState struct {
	ri       reqInfo
	sw       statusWriter
	idHeader [1]string
	attrs    [3]attribute.KeyValue
}

// logRequests assigns the request id and writes one structured line per
// request: the route pattern (never the raw URL, which holds the JWT and the
// phone number), status, duration and platform. With tracing on it also
// makes the request's server span (requestTracer): one middleware, so the
// request is copied once for both.
//
// The line is made as a slog.Record handed to the logger's handler, not
// through Logger.LogAttrs: that one asks the runtime for the caller's
// program counter on every call (for a source attribute this line never
// carries) and builds the attributes in a slice of its own.
func (s *Server) logRequests(next http.Handler) http.Handler {
	tracer := s.newRequestTracer()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		st := &requestState{ri: reqInfo{id: id}, sw: statusWriter{ResponseWriter: w}}
		ri, sw := &st.ri, &st.sw
		st.idHeader[0] = id
		w.Header()[RequestIDHeader] = st.idHeader[:1:1] // canonical; full, so an Add copies
		ctx := context.WithValue(r.Context(), reqInfoKey{}, ri)
		if tracer != nil {
			var span trace.Span
			ctx, span = tracer.start(ctx, r)
			defer span.End()
			defer func() { tracer.finish(span, ri, cmp.Or(sw.status, http.StatusOK), &st.attrs) }()
		}
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)

		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		end := time.Now()
		took := end.Sub(start)
		s.opts.metrics.observeRequest(ri.route, r.Method, sw.status, ri.platform, took)
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		h := s.log.Handler()
		if !h.Enabled(ctx, level) {
			return
		}
		// The route tagRoute noted: r.Pattern is set on the request the
		// mux is given, which need not be this one.
		route := ri.route
		if route == "" {
			route = r.Method + " (unmatched)"
		}
		rec := slog.NewRecord(end, level, "request", 0)
		rec.AddAttrs(
			slog.String("request_id", id),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Duration("duration", took),
		)
		if ri.platform != "" {
			rec.AddAttrs(slog.String("platform", ri.platform))
		}
		if ri.err != nil {
			rec.AddAttrs(slog.String("error", logSafe(ri.err)))
		}
		_ = h.Handle(ctx, rec) // a log that cannot be written has nowhere to report it
	})
}

// recoverPanics turns a panic (typically in an adapter) into a 500 that
// tells the client nothing but the request id; the stack goes to the log.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			ri := requestInfo(r.Context())
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("request_id", ri.id),
				slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
			writeJSON(w, http.StatusInternalServerError, failure(msgError("Internal server error (request "+ri.id+")")))
		}()
		next.ServeHTTP(w, r)
	})
}

// CORS: the extension has no host permissions, so the browser asks first.
const (
	corsMethods       = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
	corsHeaders       = "Content-Type, Authorization, rc-extension-id, rc-account-id, developer-author-name, is-debug, X-RC-Access-Token"
	corsExposeHeaders = refreshedTokenHeader + ", " + RequestIDHeader
)

// Shared header values of cors (see headerJSON for why sharing is safe).
var (
	headerAnyOrigin     = []string{"*"}[:1:1]
	headerExposeHeaders = []string{corsExposeHeaders}[:1:1]
)

func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		switch {
		case len(s.opts.origins) == 0:
			h["Access-Control-Allow-Origin"] = headerAnyOrigin
		case origin != "" && slices.Contains(s.opts.origins, origin):
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		default:
			h.Add("Vary", "Origin")
		}
		h["Access-Control-Expose-Headers"] = headerExposeHeaders
		next.ServeHTTP(w, r)
	})
}

func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// limitBody caps every request body; decodeJSON turns the overflow into 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.opts.bodyLimit)
		}
		next.ServeHTTP(w, r)
	})
}
