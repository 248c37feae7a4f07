package httpserver

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/store"
)

// Metrics are the Prometheus metrics of one or more servers (WithMetrics).
// Label values are drawn from fixed sets only — route patterns, HTTP
// methods, status classes, configured platform names, operation names —
// never a phone number, user id, token or session id.
//
// The metrics (all prefixed crmbridge_):
//
//   - http_request_duration_seconds{route,method,status_class,platform}:
//     histogram of requests served. route is the pattern ("GET /contact") or
//     "unmatched".
//   - crm_request_duration_seconds{platform,operation,outcome}: histogram of
//     HTTP calls to CRMs through the credentialed client adapters receive.
//     operation names the route that made the call ("find_contact",
//     "refresh_token", ...); outcome is ok, rate_limited (429),
//     unauthorized (401/403), client_error, server_error, or error (no
//     answer: timeout, connection refused).
//   - oauth_refreshes_total{platform,outcome}: token refreshes sent to a
//     provider; outcome ok, revoked (invalid_grant) or failed.
//   - dedupe_total{kind,outcome}: dedupe decisions for call_log and message:
//     created (this request claimed the slot), duplicate (already logged),
//     waited (waited for a concurrent request of the same item).
//   - store_operation_duration_seconds{operation,outcome}: histogram of store
//     calls; outcome ok, not_found, unavailable or error.
//   - store_unavailable_total{operation}: store calls that failed with
//     store.ErrUnavailable.
//   - cache_requests_total{cache,result}: lookups in the server's caches
//     (contact_match, phone_candidates, phone_number, phone_format, user),
//     result hit or miss. A phone lookup reads phone_candidates first (a
//     number's expansion with the effective formats); only its misses read
//     phone_number and phone_format.
//
// A nil *Metrics is valid and records nothing, so code paths cost nothing
// when metrics are off.
type Metrics struct {
	reg              *prometheus.Registry
	requests         *prometheus.HistogramVec
	crmCalls         *prometheus.HistogramVec
	refreshes        *prometheus.CounterVec
	dedupe           *prometheus.CounterVec
	storeOps         *prometheus.HistogramVec
	storeUnavailable *prometheus.CounterVec
	cache            *prometheus.CounterVec
	// requestObservers keeps the requests histogram of each requestLabels
	// seen (requestObserver).
	requestObservers sync.Map
}

// NewMetrics creates the metrics in a registry of their own, which also
// holds the Go runtime and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Buckets from 5 ms to 25 s (the adapter timeout): CRM APIs answer in
	// tens to hundreds of milliseconds, and a slow one is what to alert on.
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25}
	storeLatency := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crmbridge_http_request_duration_seconds", Help: "Requests served, by route pattern, method, status class and platform.", Buckets: latency,
		}, []string{"route", "method", "status_class", "platform"}),
		crmCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crmbridge_crm_request_duration_seconds", Help: "HTTP calls to CRMs through the credentialed client, by platform, operation and outcome.", Buckets: latency,
		}, []string{"platform", "operation", "outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmbridge_oauth_refreshes_total", Help: "OAuth token refreshes sent to the provider, by platform and outcome (ok, revoked, failed).",
		}, []string{"platform", "outcome"}),
		dedupe: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmbridge_dedupe_total", Help: "Dedupe decisions of call and message logging, by kind and outcome (created, duplicate, waited).",
		}, []string{"kind", "outcome"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crmbridge_store_operation_duration_seconds", Help: "Store calls, by operation and outcome (ok, not_found, unavailable, error).", Buckets: storeLatency,
		}, []string{"operation", "outcome"}),
		storeUnavailable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmbridge_store_unavailable_total", Help: "Store calls that failed because the database could not be reached, by operation.",
		}, []string{"operation"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmbridge_cache_requests_total", Help: "Cache lookups, by cache and result (hit, miss).",
		}, []string{"cache", "result"}),
	}
	reg.MustRegister(m.requests, m.crmCalls, m.refreshes, m.dedupe, m.storeOps, m.storeUnavailable, m.cache)
	return m
}

// Registry is the registry the metrics live in; register an application's
// own collectors there to serve them on the same handler.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format, typically
// at /metrics. It is not part of the Server's routes: mount it where the
// scraper, not the browser client, reaches it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// WithMetrics records the server's metrics in m (default: none). Several
// servers may share one Metrics.
func WithMetrics(m *Metrics) Option { return func(o *options) { o.metrics = m } }

// observeRequest records one served request.
func (m *Metrics) observeRequest(route, method string, status int, platform string, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route, method = "unmatched", knownMethod(method)
	} else if i := strings.IndexByte(route, ' '); i > 0 {
		method = route[:i] // the pattern's method: a bounded set
	}
	m.requestObserver(requestLabels{route, method, statusClass(status), platformLabel(platform)}).Observe(d.Seconds())
}

// requestLabels are the labels of one request histogram.
type requestLabels struct{ route, method, statusClass, platform string }

// requestObserver is the request histogram of labels: looked up in the
// vector the first time and kept (every label comes from a fixed set, so
// the kept observers are as bounded as the series), because the vector
// hashes and validates every label value again on each lookup.
func (m *Metrics) requestObserver(l requestLabels) prometheus.Observer {
	if o, ok := m.requestObservers.Load(l); ok {
		return o.(prometheus.Observer)
	}
	o := m.requests.WithLabelValues(l.route, l.method, l.statusClass, l.platform)
	m.requestObservers.Store(l, o)
	return o
}

// observeCRMCall records one HTTP call to a CRM.
func (m *Metrics) observeCRMCall(platform, operation string, status int, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.crmCalls.WithLabelValues(platformLabel(platform), operation, crmOutcome(status, err)).Observe(d.Seconds())
}

// observeRefresh records one token refresh sent to a provider.
func (m *Metrics) observeRefresh(platform string, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	switch {
	case errors.Is(err, credential.ErrRevoked):
		outcome = "revoked"
	case err != nil:
		outcome = "failed"
	}
	m.refreshes.WithLabelValues(platformLabel(platform), outcome).Inc()
}

// Dedupe kinds and outcomes.
const (
	dedupeCallLog   = "call_log"
	dedupeMessage   = "message"
	dedupeCreated   = "created"
	dedupeDuplicate = "duplicate"
	dedupeWaited    = "waited"
)

// observeDedupe records one dedupe decision.
func (m *Metrics) observeDedupe(kind, outcome string) {
	if m == nil {
		return
	}
	m.dedupe.WithLabelValues(kind, outcome).Inc()
}

// observeStore records one store call.
func (m *Metrics) observeStore(operation string, err error, d time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		outcome = "not_found"
	case errors.Is(err, store.ErrUnavailable):
		outcome = "unavailable"
		m.storeUnavailable.WithLabelValues(operation).Inc()
	default:
		outcome = "error"
	}
	m.storeOps.WithLabelValues(operation, outcome).Observe(d.Seconds())
}

// cacheStats counts the hits and misses of one cache. The zero value
// (metrics off) counts nothing. Other caches of the server (a contact-match
// cache, say) get theirs from Metrics.cacheStats.
type cacheStats struct{ hits, misses prometheus.Counter }

// cacheStats returns the counters of the named cache.
func (m *Metrics) cacheStats(name string) cacheStats {
	if m == nil {
		return cacheStats{}
	}
	return cacheStats{hits: m.cache.WithLabelValues(name, "hit"), misses: m.cache.WithLabelValues(name, "miss")}
}

func (c cacheStats) hit() {
	if c.hits != nil {
		c.hits.Inc()
	}
}

func (c cacheStats) miss() {
	if c.misses != nil {
		c.misses.Inc()
	}
}

// record counts a lookup's result.
func (c cacheStats) record(hit bool) {
	if hit {
		c.hit()
	} else {
		c.miss()
	}
}

// statusClasses are the status_class label values, by status/100.
var statusClasses = [...]string{1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

func statusClass(status int) string {
	if status >= 100 && status < 600 {
		return statusClasses[status/100]
	}
	return "other"
}

func crmOutcome(status int, err error) string {
	switch {
	case err != nil:
		return "error"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "unauthorized"
	case status >= 500:
		return "server_error"
	case status >= 400:
		return "client_error"
	default:
		return "ok"
	}
}

func platformLabel(p string) string {
	if p == "" {
		return "none"
	}
	return p
}

// knownMethod bounds the method label of unmatched requests: a client can
// send any token as a method.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// crmOperations names, by route pattern, what a route's CRM calls are for.
// Routes not listed (new ones) are "other" until they are.
var crmOperations = map[string]string{
	"GET /oauth-callback":        "login",
	"POST /apiKeyLogin":          "login",
	"GET /hostname":              "hostname",
	"POST /unAuthorize":          "unauthorize",
	"GET /authValidation":        "validate_auth",
	"GET /contact":               "find_contact",
	"POST /contact":              "create_contact",
	"GET /custom/contact/search": "search_contacts",
	"GET /callLog":               "get_call_log",
	"POST /callLog":              "create_call_log",
	"PATCH /callLog":             "update_call_log",
	"PUT /callDisposition":       "set_disposition",
	"POST /messageLog":           "log_messages",
	"GET /user/settings":         "user_settings",
	"POST /user/settings":        "user_settings",
	"POST /admin/userMapping":    "list_users",
	"GET /licenseStatus":         "license_status",
}

// crmOperation is the operation label of a CRM call made while serving the
// route pattern.
func crmOperation(pattern string) string {
	if op, ok := crmOperations[pattern]; ok {
		return op
	}
	return "other"
}

// crmTransport measures every HTTP call an adapter makes through the
// credentialed client (and the token refreshes), under the credentials
// layer, so a retry after a 401 counts as the second call it is.
type crmTransport struct {
	next      http.RoundTripper
	metrics   *Metrics
	operation string // fixed operation, or "" to take it from the request's route
	platform  string // fixed platform, or "" to take it from the request
}

func (t *crmTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := t.next.RoundTrip(req)
	ri := requestInfo(req.Context())
	op := t.operation
	if op == "" {
		op = crmOperation(ri.route)
	}
	status := 0
	if res != nil {
		status = res.StatusCode
	}
	platform := t.platform
	if platform == "" {
		platform = ri.platform
	}
	t.metrics.observeCRMCall(platform, op, status, err, time.Since(start))
	return res, err
}

// dedupeOutcome names a dedupe decision: waiting for a concurrent request
// wins over how it ended.
func dedupeOutcome(won, waited bool) string {
	switch {
	case waited:
		return dedupeWaited
	case won:
		return dedupeCreated
	default:
		return dedupeDuplicate
	}
}
