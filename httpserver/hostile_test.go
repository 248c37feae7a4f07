package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/store"
)

// The limits of PROTOCOL.md §1, as the server enforces them. Each test sends
// ten times the limit, checks the refusal, and checks that the next ordinary
// request is answered as usual.
const (
	limitPhoneNumber    = 64
	limitPatterns       = 16
	limitPatternBytes   = 64
	limitSessionIDs     = 100
	limitMessages       = 1000
	ordinaryPhoneLookup = "&phoneNumber=+16505551212&overridingFormat=(***) ***-****"
)

// ordinaryLookup checks that the server still answers a plain lookup.
func ordinaryLookup(t *testing.T, h *harness, jwt string) {
	t.Helper()
	r := h.do("GET", "/contact?jwtToken="+jwt+strings.ReplaceAll(ordinaryPhoneLookup, " ", "%20"), nil)
	cs := contacts(t, r)
	if r.status != 200 || len(cs) == 0 || cs[0]["id"] != "1001" {
		t.Fatalf("the ordinary request after a refused one: %d %s", r.status, r.body)
	}
}

// refusedNaming checks a 400 text/plain refusal that names field.
func refusedNaming(t *testing.T, r response, field string) {
	t.Helper()
	if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(string(r.body), field) {
		t.Errorf("want 400 text/plain naming %s, got %d %q %.200s", field, r.status, r.header.Get("Content-Type"), r.body)
	}
	for _, leak := range []string{"httpserver.", "adapter.", "*json", "127.0.0.1", "reflect"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("refusal body leaks %q: %.200s", leak, r.body)
		}
	}
}

func TestLimitPhoneNumberTenTimes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	long := "+1" + strings.Repeat("6", 10*limitPhoneNumber)
	r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber="+long, nil)
	m := r.json(t)
	if r.status != 200 || m["successful"] != false || msg(m) != "Invalid phone number" {
		t.Errorf("phoneNumber of %d bytes: %d %s", len(long), r.status, r.body)
	}
	r = h.do("POST", "/contact", map[string]any{"phoneNumber": long, "newContactName": "Long"}, bearer(jwt)...)
	if m := r.json(t); m["successful"] != false || msg(m) != "Invalid phone number" {
		t.Errorf("POST /contact phoneNumber of %d bytes: %d %s", len(long), r.status, r.body)
	}
	if n := h.crm.Invocations(testcrm.OpFind) + h.crm.Invocations(testcrm.OpCreateContact); n != 0 {
		t.Errorf("the CRM was called %d times for refused numbers", n)
	}
	ordinaryLookup(t, h, jwt)
}

func TestLimitOverridingFormatTenTimes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	many := make([]string, 10*limitPatterns)
	for i := range many {
		many[i] = fmt.Sprintf("%d-***-***-****", i)
	}
	long := strings.Repeat("*", 10*limitPatternBytes)
	for name, list := range map[string]string{
		"patterns":     strings.Join(many, ","),
		"pattern size": "***-***-****," + long,
	} {
		r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212&overridingFormat="+list, nil)
		refusedNaming(t, r, "overridingFormat")
		if t.Failed() {
			t.Logf("case %s", name)
		}
	}
	// At the limit it is served.
	atLimit := make([]string, limitPatterns)
	for i := range atLimit {
		atLimit[i] = fmt.Sprintf("%d%s", i, strings.Repeat("*", limitPatternBytes-len(fmt.Sprint(i))))
	}
	r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212&overridingFormat="+strings.Join(atLimit, ","), nil)
	if r.status != 200 || r.json(t)["successful"] != true {
		t.Errorf("overridingFormat at the limit: %d %s", r.status, r.body)
	}
	if n := h.crm.Invocations(testcrm.OpFind); n != 1 {
		t.Errorf("the CRM was searched %d times, want once (only the request within the limit)", n)
	}
	ordinaryLookup(t, h, jwt)
}

func TestLimitSessionIDsTenTimes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	ids := make([]string, 10*limitSessionIDs)
	for i := range ids {
		ids[i] = fmt.Sprintf("s-%d", i)
	}
	r := h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds="+strings.Join(ids, ","), nil)
	refusedNaming(t, r, "sessionIds")
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds="+strings.Join(ids[:limitSessionIDs], ","), nil)
	if logs, _ := r.json(t)["logs"].([]any); r.status != 200 || len(logs) != limitSessionIDs {
		t.Errorf("sessionIds at the limit: %d %.200s", r.status, r.body)
	}
	ordinaryLookup(t, h, jwt)
}

func TestLimitMessagesTenTimes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	// Messages as small as the client could send them, so the body stays
	// under the body limit and only the count is over.
	msgs := make([]map[string]any, 10*limitMessages)
	for i := range msgs {
		msgs[i] = map[string]any{"id": 900000 + i}
	}
	body := messageLogBody("conv-1/11/27/2026")
	body["logInfo"].(map[string]any)["messages"] = msgs
	r := h.do("POST", "/messageLog", body, bearer(jwt)...)
	refusedNaming(t, r, "logInfo.messages")
	if n := h.crm.Invocations(testcrm.OpCreateMessageLog) + h.crm.Invocations(testcrm.OpUpdateMessageLog); n != 0 {
		t.Errorf("the CRM was called %d times for a refused body", n)
	}
	r = h.do("POST", "/messageLog", messageLogBody("conv-1/11/27/2026", 1, 2), bearer(jwt)...)
	if ids, _ := r.json(t)["logIds"].([]any); r.status != 200 || len(ids) != 2 {
		t.Errorf("the ordinary message log after: %d %s", r.status, r.body)
	}
	ordinaryLookup(t, h, jwt)
}

func TestLimitBodyTenTimes(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	h := newHarness(t, func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithBodyLimit(limit)) })
	jwt := h.login("k1")
	body := callLogBody("s-big", "1001")
	body["note"] = strings.Repeat("x", 10*limit)
	r := h.do("POST", "/callLog", body, bearer(jwt)...)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("body of 10x the limit: %d %.200s", r.status, r.body)
	}
	if n := h.crm.CallLogCount(); n != 0 {
		t.Errorf("%d call logs from a refused body", n)
	}
	r = h.do("POST", "/callLog", callLogBody("s-ok", "1001"), bearer(jwt)...)
	if r.json(t)["successful"] != true {
		t.Errorf("the ordinary call log after: %d %s", r.status, r.body)
	}
	ordinaryLookup(t, h, jwt)
}

// TestNameSearchKeepsPercentAndSemicolon: the client does not encode what
// the user typed; a stray '%' or a ';' must reach the adapter as typed.
func TestNameSearchKeepsPercentAndSemicolon(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.crm.AddContact(testcrm.Contact{Name: "100% Fitness", Phone: "+16505550101", Type: testcrm.TypeContact})
	h.crm.AddContact(testcrm.Contact{Name: "Smith;Jones", Phone: "+16505550102", Type: testcrm.TypeContact})
	jwt := h.login("k1")
	for query, want := range map[string]string{
		"name=100%%20Fitness": "100% Fitness", // as a browser sends "100% Fitness"
		"name=100%":           "100% Fitness",
		"name=Smith;Jones":    "Smith;Jones",
		"name=h;j":            "Smith;Jones",
		"name=Smith%3BJones":  "Smith;Jones",
	} {
		r := h.do("GET", "/custom/contact/search?jwtToken="+jwt+"&"+query, nil)
		cs := contacts(t, r)
		if r.status != 200 || len(cs) != 1 || cs[0]["name"] != want {
			t.Errorf("%s: %d %s", query, r.status, r.body)
		}
	}
}

// TestInvalidNumbersAreSearched: numbers the phone library calls invalid
// are still looked up, with the forms the CRM may hold them under.
func TestInvalidNumbersAreSearched(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	add := func(name, phone string) string {
		return h.crm.AddContact(testcrm.Contact{Name: name, Phone: phone, Type: testcrm.TypeContact}).ID
	}
	cases := []struct{ stored, sent, name string }{
		{"+525512345678", "+5215512345678", "Mexican mobile, old +521 form sent"},
		{"+5215598765432", "+525598765432", "Mexican mobile stored in the old form"},
		{"+543512345678", "+5493512345678", "Argentine mobile stored without 9"},
		{"+5493519876543", "+543519876543", "Argentine mobile sent without 9"},
		{"+12003456789", "+12003456789", "US area code the metadata does not know"},
		{"+4479111234567", "+4479111234567", "UK number of impossible length"},
		{"+999123456", "+999123456", "unknown country code"},
		{"55 9876 1234", "+5215598761234", "Mexican mobile in the user's format, old form sent"},
		// Dial strings with digits the library refuses: searched by their
		// main number, or as received (PROTOCOL.md §5).
		{"+16505550123", "+16505550123x5", "extension after x"},
		{"+16505550124", "+16505550124;ext=7", "extension after ;ext="},
		{"+16505550125", "+16505550125%2312", "extension after #"},
		{"+16505550126", "++16505550126", "doubled plus"},
		{"(650) 555-0127", "+16505550127%20ext.%209", "extension, found through the user's format"},
		{"abc123", "abc123", "letters and digits, as received"},
		{"1*2#3", "1*2%233", "a dial code with * and #, as received"},
		{"+1234567890123456789012", "+1234567890123456789012", "22 digits, as received"},
	}
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = add(c.name, c.stored)
	}
	jwt := h.login("k1")
	for i, c := range cases {
		// Sent raw, as the client does: the '+' arrives as a space.
		format := "**%20****%20****"
		if strings.Contains(c.stored, "(") {
			format = "(***)%20***-****"
		}
		r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber="+c.sent+"&overridingFormat="+format, nil)
		cs := contacts(t, r)
		if m := r.json(t); r.status != 200 || m["successful"] != true || len(cs) != 1 || cs[0]["id"] != ids[i] {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
	for _, bad := range []string{"abc", "+", "()", "x-ext", strings.Repeat("1", 65)} {
		r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber="+bad, nil)
		if m := r.json(t); m["successful"] != false || msg(m) != "Invalid phone number" {
			t.Errorf("no digits or over the bound in %q: %d %s", bad, r.status, r.body)
		}
	}
}

// recordingAdapter is testcrm that keeps the last phone query it got.
type recordingAdapter struct {
	*testcrm.Adapter
	mu   sync.Mutex
	last adapter.PhoneQuery
}

func (a *recordingAdapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	a.mu.Lock()
	a.last = req.Phone
	a.mu.Unlock()
	return a.Adapter.FindContacts(ctx, req)
}

// TestArgentineNumberThroughServer: the adapter gets an Argentine mobile
// with its correct national form and both E.164 forms.
func TestArgentineNumberThroughServer(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	rec := &recordingAdapter{Adapter: testcrm.New(crm)}
	h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{rec} })
	jwt := h.login("k1")
	r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+5493512345678", nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rec.mu.Lock()
	got := rec.last
	rec.mu.Unlock()
	if nat := got.Number.NationalFormat(); nat != "0351 15-234-5678" {
		t.Errorf("national format = %q, want \"0351 15-234-5678\"", nat)
	}
	if len(got.Candidates) < 2 || got.Candidates[0] != "+5493512345678" || got.Candidates[1] != "+543512345678" {
		t.Errorf("candidates = %q", got.Candidates)
	}
}

// validationCases are bodies and queries that must be refused at the edge,
// each naming its field.
var validationCases = []struct {
	name, method, path string
	body               func() any
	field              string
}{
	{"NUL in note", "POST", "/callLog", func() any { b := callLogBody("s-nul", "1001"); b["note"] = "a\x00b"; return b }, "note"},
	{"NUL in sessionId", "POST", "/callLog", func() any {
		b := callLogBody("s-x", "1001")
		b["logInfo"].(map[string]any)["sessionId"] = "s\x00"
		return b
	}, "logInfo.sessionId"},
	{"invalid UTF-8 in contactName", "POST", "/callLog", func() any {
		return strings.Replace(mustJSON(callLogBody("s-utf", "1001")), "Alice Anderson", "Alice \xff\xfe", 1)
	}, "contactName"},
	{"invalid UTF-8 in a party name", "POST", "/callLog", func() any {
		return strings.Replace(mustJSON(callLogBody("s-utf2", "1001")), `"Alice"`, "\"Al\xc3\"", 1)
	}, "logInfo.from.name"},
	{"duration 1e300", "POST", "/callLog", func() any {
		b := callLogBody("s-d1", "1001")
		b["logInfo"].(map[string]any)["duration"] = 1e300
		return b
	}, "logInfo.duration"},
	{"duration NaN", "POST", "/callLog", func() any {
		b := callLogBody("s-d2", "1001")
		b["logInfo"].(map[string]any)["duration"] = "NaN"
		return b
	}, "logInfo.duration"},
	{"duration Infinity", "POST", "/callLog", func() any {
		b := callLogBody("s-d3", "1001")
		b["logInfo"].(map[string]any)["duration"] = "Infinity"
		return b
	}, "logInfo.duration"},
	{"duration over 10 days", "POST", "/callLog", func() any {
		b := callLogBody("s-d4", "1001")
		b["logInfo"].(map[string]any)["duration"] = 10*86400 + 1
		return b
	}, "logInfo.duration"},
	{"startTime 1e300", "POST", "/callLog", func() any {
		b := callLogBody("s-t1", "1001")
		b["logInfo"].(map[string]any)["startTime"] = 1e300
		return b
	}, "logInfo.startTime"},
	{"startTime 1970", "POST", "/callLog", func() any {
		b := callLogBody("s-t2", "1001")
		b["logInfo"].(map[string]any)["startTime"] = 1000
		return b
	}, "logInfo.startTime"},
	{"startTime 2200", "POST", "/callLog", func() any {
		b := callLogBody("s-t3", "1001")
		b["logInfo"].(map[string]any)["startTime"] = "2200-01-01T00:00:00Z"
		return b
	}, "logInfo.startTime"},
	{"NUL in additionalSubmission", "POST", "/callLog", func() any {
		b := callLogBody("s-a", "1001")
		b["additionalSubmission"] = map[string]any{"deals": []any{"x\x00"}}
		return b
	}, "additionalSubmission.deals[0]"},
	{"PATCH duration Inf", "PATCH", "/callLog", func() any { return map[string]any{"sessionId": "s-1", "duration": "-Inf"} }, "duration"},
	{"PATCH NUL note", "PATCH", "/callLog", func() any { return map[string]any{"sessionId": "s-1", "note": "\x00"} }, "note"},
	{"message NUL subject", "POST", "/messageLog", func() any {
		b := messageLogBody("conv-1/11/27/2026", 7)
		b["logInfo"].(map[string]any)["messages"].([]map[string]any)[0]["subject"] = "\x00"
		return b
	}, "logInfo.messages[0].subject"},
	{"message creationTime 1e300", "POST", "/messageLog", func() any {
		b := messageLogBody("conv-1/11/27/2026", 7)
		b["logInfo"].(map[string]any)["messages"].([]map[string]any)[0]["creationTime"] = 1e300
		return b
	}, "logInfo.messages[0].creationTime"},
	{"POST /contact NUL name", "POST", "/contact", func() any {
		return map[string]any{"phoneNumber": "+16505550000", "newContactName": "Z\x00"}
	}, "newContactName"},
	{"apiKeyLogin NUL key", "POST", "/apiKeyLogin", func() any {
		return map[string]any{"platform": "testcrm", "apiKey": "k\x00", "hostname": "h"}
	}, "apiKey"},
	{"apiKeyLogin invalid UTF-8 hostname", "POST", "/apiKeyLogin", func() any {
		return `{"platform":"testcrm","apiKey":"k9","hostname":"h` + "\xff" + `"}`
	}, "hostname"},
	{"settings NUL value", "POST", "/user/settings", func() any {
		return map[string]any{"userSettings": map[string]any{"overridingPhoneNumberFormat": map[string]any{"value": "(***)\x00"}}}
	}, "userSettings.overridingPhoneNumberFormat.value"},
	{"cached note NUL", "POST", "/callLog/cacheNote", func() any { return map[string]any{"sessionId": "s-9", "note": "a\x00"} }, "note"},
	{"query NUL in sessionIds", "GET", "/callLog?sessionIds=a%00b", nil, "sessionIds"},
	{"query invalid UTF-8 in name", "GET", "/custom/contact/search?name=%FF", nil, "name"},
	{"query NUL in phoneNumber", "GET", "/contact?phoneNumber=%2B1650%00", nil, "phoneNumber"},
	{"oauth-callback NUL hostname", "GET", "/oauth-callback?callbackUri=x&state=platform=testcrm&hostname=%00", nil, "hostname"},
}

func mustJSON(v any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// runValidation sends every validation case to h and checks the refusals,
// that nothing reached the CRM, and that the server still serves.
func runValidation(t *testing.T, h *harness) {
	jwt := h.login("k1")
	// A logged call, so PATCH reaches its store lookup if validation lets it.
	if r := h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...); r.json(t)["successful"] != true {
		t.Fatalf("setup: %s", r.body)
	}
	calls := h.crm.CallLogCount()
	for _, c := range validationCases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != nil {
				body = c.body()
			}
			path := c.path
			if strings.Contains(path, "?") {
				path += "&jwtToken=" + jwt
			}
			r := h.do(c.method, path, body, bearer(jwt)...)
			refusedNaming(t, r, c.field)
		})
	}
	if n := h.crm.CallLogCount(); n != calls {
		t.Errorf("refused requests logged %d calls", n-calls)
	}
	if n := h.crm.MessageLogCount(); n != 0 {
		t.Errorf("refused requests logged %d messages", n)
	}
	ordinaryLookup(t, h, jwt)
}

func TestEdgeValidationSQLite(t *testing.T) {
	t.Parallel()
	runValidation(t, newHarness(t))
}

func TestEdgeValidationPostgres(t *testing.T) {
	t.Parallel()
	st := servertest.OpenPostgres(t, "")
	runValidation(t, newHarness(t, func(c *harnessConfig) { c.store = st }))
}

var jsonMarshal = json.Marshal

// faultyStore fails CallLogIDs with a chosen error.
type faultyStore struct {
	store.Store
	mu  sync.Mutex
	err error
}

func (f *faultyStore) CallLogIDs(ctx context.Context, userKey string, ids []string) (map[string]string, error) {
	f.mu.Lock()
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return f.Store.CallLogIDs(ctx, userKey, ids)
}

// TestStoreErrorsAnswer503OnlyWhenUnreachable: PROTOCOL.md §7. A store
// that cannot be reached answers 503; a store failure of a request that ran
// out of time answers the timeout warning; a statement the store refused
// answers the operation's warning. The body never carries the driver's
// text, which goes to the log with the request id.
func TestStoreErrorsAnswer503OnlyWhenUnreachable(t *testing.T) {
	t.Parallel()
	fs := &faultyStore{Store: openStore(t)}
	h := newHarness(t, func(c *harnessConfig) { c.store = fs })
	jwt := h.login("k1")
	const secret = "dial tcp 10.1.2.3:5432: connect: connection refused"
	for _, tc := range []struct {
		name   string
		err    error
		status int
	}{
		{"unreachable", fmt.Errorf("%w: %s", store.ErrUnavailable, secret), 503},
		{"out of time", fmt.Errorf("%w: %s: %w", store.ErrUnavailable, secret, context.DeadlineExceeded), 200},
		{"refused statement", fmt.Errorf("ERROR: invalid byte sequence (SQLSTATE 22021) %s", secret), 200},
	} {
		fs.mu.Lock()
		fs.err = tc.err
		fs.mu.Unlock()
		r := h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-1", nil)
		m := r.json(t)
		if r.status != tc.status || m["successful"] != false {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
		if tc.status == 200 && (msgType(m) != "warning" || msg(m) != "Error getting call log") {
			t.Errorf("%s: want the operation's warning, got %s", tc.name, r.body)
		}
		if strings.Contains(string(r.body), "10.1.2.3") || strings.Contains(string(r.body), "SQLSTATE") {
			t.Errorf("%s: the body leaks the store's error: %s", tc.name, r.body)
		}
		if id := r.header.Get(httpserver.RequestIDHeader); !strings.Contains(h.logs.String(), id) || !strings.Contains(h.logs.String(), "10.1.2.3") {
			t.Errorf("%s: the details are not in the log with request id %s", tc.name, id)
		}
	}
	fs.mu.Lock()
	fs.err = nil
	fs.mu.Unlock()
	ordinaryLookup(t, h, jwt)
}

// brokenBody fails like a connection that timed out mid-body.
type brokenBody struct{ sent bool }

func (b *brokenBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, `{"logInfo": {"sessionId": "s-slow",`), nil
	}
	return 0, &net.OpError{Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6066},
		Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 54321}, Err: os.ErrDeadlineExceeded}
}

func (b *brokenBody) Close() error { return nil }

// TestErrorBodiesAreFixed: error bodies never carry Go type names or socket
// addresses (PROTOCOL.md §7).
func TestErrorBodiesAreFixed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	for _, body := range []string{
		`{"logInfo": "x", "contactId": 1}`,
		`{"logInfo": {"sessionId": {"a": 1}}}`,
		`{"logInfo": {"from": 1, "sessionId": "s", "startTime": true}}`,
		`{"note": 5}`,
		`[1]`,
	} {
		r := h.do("POST", "/callLog", body, bearer(jwt)...)
		if r.status != 400 {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
		for _, leak := range []string{"httpserver.", "flex", "string:", "Go ", "struct", "map["} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("%s: body leaks %q: %s", body, leak, r.body)
			}
		}
	}

	req := httptest.NewRequest("POST", "/callLog", &brokenBody{})
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code != 400 || strings.Contains(rec.Body.String(), "127.0.0.1") || strings.Contains(rec.Body.String(), "tcp") {
		t.Errorf("slow body: %d %s", rec.Code, rec.Body.String())
	}
	ordinaryLookup(t, h, jwt)
}
