package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/httpserver"
)

// activityCRM is the CRM API of the metrics and tracing tests: contacts
// (rate-limited on demand) and call activities. It records the trace
// context the server propagated to it.
type activityCRM struct {
	srv         *httptest.Server
	limitNext   atomic.Bool
	activities  atomic.Int32
	traceparent atomic.Value // string: the last traceparent header seen
}

func newActivityCRM(t *testing.T) *activityCRM {
	c := &activityCRM{}
	c.traceparent.Store("")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /contacts", func(w http.ResponseWriter, r *http.Request) {
		c.traceparent.Store(r.Header.Get("traceparent"))
		if c.limitNext.Swap(false) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		json.NewEncoder(w).Encode([]map[string]any{{"id": 7, "name": "Pat", "phone": r.URL.Query().Get("phone")}})
	})
	mux.HandleFunc("POST /activities", func(w http.ResponseWriter, r *http.Request) {
		n := c.activities.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"id": fmt.Sprintf("act-%d", n)})
	})
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

// activityAdapter is the OAuth adapter of oauth_test.go whose contacts and
// call logs live in an activityCRM.
type activityAdapter struct {
	*oauthAdapter
	crm *activityCRM
}

func (a *activityAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	hr, _ := http.NewRequestWithContext(ctx, "GET", a.crm.srv.URL+"/contacts?phone="+req.Phone.Number.E164(), nil)
	res, err := req.Client.Do(hr)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		return adapter.FindContactsResult{}, &adapter.RateLimitError{RetryAfter: time.Duration(secs) * time.Second}
	}
	var found []struct {
		ID          int
		Name, Phone string
	}
	if err := json.NewDecoder(res.Body).Decode(&found); err != nil {
		return adapter.FindContactsResult{}, err
	}
	var out adapter.FindContactsResult
	for _, c := range found {
		out.Contacts = append(out.Contacts, adapter.Contact{ID: fmt.Sprint(c.ID), Name: c.Name, Phone: c.Phone})
	}
	return out, nil
}

func (a *activityAdapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	hr, _ := http.NewRequestWithContext(ctx, "POST", a.crm.srv.URL+"/activities", strings.NewReader(`{}`))
	res, err := req.Client.Do(hr)
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	defer res.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	return adapter.CreateCallLogResult{LogID: out.ID}, nil
}

// activityHarness is an OAuth server over fakeOAuthCRM (login, tokens) and
// an activityCRM (contacts, call logs), with the given options.
func activityHarness(t *testing.T, opts ...httpserver.Option) (*harness, *activityCRM, *clock) {
	crm := newActivityCRM(t)
	h, _, clk := oauthHarness(t, func(c *harnessConfig) {
		oa := c.adapters[0].(*oauthAdapter)
		c.adapters = []adapter.Adapter{&activityAdapter{oauthAdapter: oa, crm: crm}}
		c.opts = append(c.opts, opts...)
	})
	return h, crm, clk
}

// scrape reads the metrics as Prometheus does.
func scrape(t *testing.T, m *httpserver.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", res.StatusCode, err)
	}
	return string(b)
}

// samples returns the value of every sample of the metric name in the
// exposition text, keyed by its labels rendered as a=b,c=d (sorted).
func samples(text, name string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		rest := line[len(name):]
		labels := ""
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			var pairs []string
			for _, kv := range strings.Split(rest[1:end], ",") {
				k, v, _ := strings.Cut(kv, "=")
				pairs = append(pairs, k+"="+strings.Trim(v, `"`))
			}
			sort.Strings(pairs)
			labels, rest = strings.Join(pairs, ","), rest[end+1:]
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err == nil {
			out[labels] = v
		}
	}
	return out
}

// After a scripted run — an OAuth login, a lookup, a lookup the CRM
// rate-limits, a lookup that needs a token refresh, one the contact-match
// cache answers, a call log and its duplicate — the scraped counters are
// exactly what happened, and no label
// carries a phone number, user id, token or session id.
func TestMetricsAfterAScriptedRun(t *testing.T) {
	t.Parallel()
	m := httpserver.NewMetrics()
	h, crm, clk := activityHarness(t, httpserver.WithMetrics(m))

	r := h.do("GET", callbackQuery, nil)
	jwt, _ := r.json(t)["jwtToken"].(string)
	if r.status != 200 || jwt == "" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	lookup := "/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212"
	if r := h.do("GET", lookup, nil); len(contacts(t, r)) != 1 {
		t.Fatalf("lookup: %s", r.body)
	}
	// Another number (the first one's matches are cached): the CRM says 429.
	crm.limitNext.Store(true)
	if r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551299", nil); !strings.Contains(string(r.body), "Rate limit exceeded") {
		t.Fatalf("rate-limited lookup: %s", r.body)
	}
	clk.advance(59 * time.Minute) // the hour-long token is now due, the cached matches expired
	if r := h.do("GET", lookup, nil); len(contacts(t, r)) != 1 {
		t.Fatalf("lookup after refresh: %s", r.body)
	}
	if r := h.do("GET", lookup, nil); len(contacts(t, r)) != 1 { // from the contact-match cache
		t.Fatalf("cached lookup: %s", r.body)
	}
	body := callLogBody("s-metrics-1", "7")
	if r := h.do("POST", "/callLog", body, bearer(jwt)...); r.json(t)["logId"] != "act-1" {
		t.Fatalf("call log: %s", r.body)
	}
	if r := h.do("POST", "/callLog", body, bearer(jwt)...); r.json(t)["successful"] != false || r.json(t)["logId"] != "act-1" {
		t.Fatalf("duplicate call log: %s", r.body)
	}
	if n := crm.activities.Load(); n != 1 {
		t.Fatalf("CRM activities: %d, want 1", n)
	}

	text := scrape(t, m)
	for _, c := range []struct {
		metric string
		want   map[string]float64
	}{
		{"crmbridge_http_request_duration_seconds_count", map[string]float64{
			"method=GET,platform=oauthcrm,route=GET /oauth-callback,status_class=2xx": 1,
			"method=GET,platform=oauthcrm,route=GET /contact,status_class=2xx":        4,
			"method=POST,platform=oauthcrm,route=POST /callLog,status_class=2xx":      2,
		}},
		{"crmbridge_crm_request_duration_seconds_count", map[string]float64{
			"operation=login,outcome=ok,platform=oauthcrm":                  1,
			"operation=find_contact,outcome=ok,platform=oauthcrm":           2,
			"operation=find_contact,outcome=rate_limited,platform=oauthcrm": 1,
			"operation=refresh_token,outcome=ok,platform=oauthcrm":          1,
			"operation=create_call_log,outcome=ok,platform=oauthcrm":        1,
		}},
		{"crmbridge_oauth_refreshes_total", map[string]float64{
			"outcome=ok,platform=oauthcrm": 1,
		}},
		{"crmbridge_dedupe_total", map[string]float64{
			"kind=call_log,outcome=created":   1,
			"kind=call_log,outcome=duplicate": 1,
		}},
		{"crmbridge_cache_requests_total", map[string]float64{
			// Four lookups of two numbers with one (empty) format list;
			// the last one's matches come from the contact-match cache.
			// The first lookup of each number expands it (a
			// phone_candidates miss, which reads the number and format
			// caches); the two repeats of the first number are
			// phone_candidates hits and read neither. The call log
			// parses its contact's number too: written "+1650..." in
			// JSON, not " 1650..." as the unencoded query arrives, so it
			// is a key of its own (the cache is keyed by the raw text).
			"cache=contact_match,result=miss":    3,
			"cache=contact_match,result=hit":     1,
			"cache=phone_candidates,result=miss": 2,
			"cache=phone_candidates,result=hit":  2,
			"cache=phone_number,result=miss":     3,
			"cache=phone_number,result=hit":      0,
			"cache=phone_format,result=miss":     1,
			"cache=phone_format,result=hit":      1,
			// Six session requests: the first after the login's write
			// misses, the second hits, the third misses (the clock moved
			// 59 minutes past the 1 s TTL) and its refresh rewrites the
			// user, so the fourth misses too; both call logs hit.
			"cache=user,result=miss": 3,
			"cache=user,result=hit":  3,
		}},
		{"crmbridge_store_unavailable_total", map[string]float64{}},
	} {
		got := samples(text, c.metric)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.metric, got, c.want)
		}
	}
	if ops := samples(text, "crmbridge_store_operation_duration_seconds_count"); ops["operation=reserve_call_log,outcome=ok"] != 2 || ops["operation=confirm_call_log,outcome=ok"] != 1 {
		t.Errorf("store operations: %v", ops)
	}
	for _, secret := range []string{"6505551212", "6505551299", "u-42", "at-1", "at-2", "rt-1", "s-metrics-1", jwt} {
		if strings.Contains(text, secret) {
			t.Errorf("the metrics mention %q", secret)
		}
	}
}

// Store unavailability is counted per operation, and readiness reports it.
func TestMetricsCountStoreUnavailability(t *testing.T) {
	t.Parallel()
	m := httpserver.NewMetrics()
	h := newHarness(t, func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithMetrics(m)) })
	h.store.Close()
	if r := h.do("GET", "/readyz", nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz: %d", r.status)
	}
	text := scrape(t, m)
	if got := samples(text, "crmbridge_store_unavailable_total"); got["operation=ping"] != 1 {
		t.Errorf("store_unavailable_total: %v", got)
	}
	if got := samples(text, "crmbridge_http_request_duration_seconds_count"); got["method=GET,platform=none,route=GET /readyz,status_class=5xx"] != 1 {
		t.Errorf("requests: %v", got)
	}
}

// An unknown route or method is counted under one bounded label set.
func TestMetricsBoundUnmatchedRequests(t *testing.T) {
	t.Parallel()
	m := httpserver.NewMetrics()
	h := newHarness(t, func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithMetrics(m)) })
	for i := range 20 {
		req, _ := http.NewRequest(fmt.Sprintf("X%d", i), h.srv.URL+fmt.Sprintf("/nope/%d", i), nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	got := samples(scrape(t, m), "crmbridge_http_request_duration_seconds_count")
	if len(got) != 1 {
		t.Errorf("20 unknown routes and methods made %d series: %v", len(got), got)
	}
	for labels := range got {
		if !strings.Contains(labels, "method=OTHER") || !strings.Contains(labels, "route=unmatched") {
			t.Errorf("labels %q", labels)
		}
	}
}

// Concurrent identical call logs: one is created, every other one is a
// duplicate or waited for the first; the decisions add up to the requests.
func TestMetricsDedupeUnderConcurrency(t *testing.T) {
	t.Parallel()
	const n = 8
	m := httpserver.NewMetrics()
	h := newHarness(t, func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithMetrics(m)) })
	jwt := h.login("key-1")
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { h.do("POST", "/callLog", callLogBody("s-concurrent", "1001"), bearer(jwt)...) })
	}
	wg.Wait()
	got := samples(scrape(t, m), "crmbridge_dedupe_total")
	created, others := got["kind=call_log,outcome=created"], got["kind=call_log,outcome=duplicate"]+got["kind=call_log,outcome=waited"]
	if created != 1 || others != n-1 {
		t.Errorf("dedupe decisions %v: want 1 created and %d duplicate or waited", got, n-1)
	}
}
