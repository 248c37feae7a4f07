package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
)

const textAuthorize = "Please go to Settings and authorize CRM platform"

func TestIsAlive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("GET", "/isAlive", nil)
	if r.status != 200 || string(r.body) != "OK" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("got %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
}

func TestImplementedInterfaces(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		query  string
		status int
		text   string
	}{
		{"", 400, "Please provide platform."},
		{"?platform=nope", 400, "Unknown platform"},
	} {
		r := h.do("GET", "/implementedInterfaces"+tc.query, nil)
		if r.status != tc.status || string(r.body) != tc.text {
			t.Errorf("%q: got %d %q, want %d %q", tc.query, r.status, r.body, tc.status, tc.text)
		}
	}
	r := h.do("GET", "/implementedInterfaces?platform=testcrm", nil)
	m := r.json(t)
	for _, k := range []string{"findContact", "createCallLog", "findContactWithName", "upsertCallDisposition", "getBasicAuth"} {
		if m[k] != true {
			t.Errorf("%s = %v, want true (testcrm implements every capability)", k, m[k])
		}
	}
	if m["getOauthInfo"] != false {
		t.Errorf("getOauthInfo = %v for an API-key adapter", m["getOauthInfo"])
	}
	if m["getLogFormatType"] != true || m["logFormat"] != "text/plain" {
		t.Errorf("getLogFormatType = %v, logFormat = %v; testcrm's LogFormatter says text/plain", m["getLogFormatType"], m["logFormat"])
	}

	// Without adapter.LogFormatter: not reported, and the reference
	// server's default format.
	plain := newHarness(t, func(c *harnessConfig) {
		c.adapters = []adapter.Adapter{renamed{testcrm.New(nil), "bare"}}
	})
	m = plain.do("GET", "/implementedInterfaces?platform=bare", nil).json(t)
	if m["getLogFormatType"] != false || m["logFormat"] != "text/plain" {
		t.Errorf("without LogFormatter: getLogFormatType = %v, logFormat = %v", m["getLogFormatType"], m["logFormat"])
	}
	html := newHarness(t, func(c *harnessConfig) {
		c.adapters = []adapter.Adapter{formatted{testcrm.New(nil), adapter.LogFormatHTML}}
	})
	if m := html.do("GET", "/implementedInterfaces?platform=testcrm", nil).json(t); m["logFormat"] != "text/html" {
		t.Errorf("logFormat = %v, want text/html", m["logFormat"])
	}
}

// formatted is an adapter with the given log format.
type formatted struct {
	adapter.Adapter
	format adapter.LogFormat
}

func (f formatted) LogFormat() adapter.LogFormat { return f.format }

func TestCRMManifest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithServerURL("https://crm.example.test/"))
	})
	r := h.do("GET", "/crmManifest?platformName=testcrm", nil)
	m := r.json(t)
	if m["serverUrl"] != "https://crm.example.test" {
		t.Errorf("serverUrl = %v", m["serverUrl"])
	}
	platforms, _ := m["platforms"].(map[string]any)
	block, _ := platforms["testcrm"].(map[string]any)
	if block == nil || block["name"] != "testcrm" {
		t.Fatalf("no testcrm block in %s", r.body)
	}
	r = h.do("GET", "/crmManifest?platformName=nope", nil)
	if r.status != 400 || string(r.body) != "Platform not found" {
		t.Errorf("unknown platform: %d %q", r.status, r.body)
	}
}

func TestAPIKeyLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("POST", "/apiKeyLogin", map[string]any{"platform": "testcrm", "apiKey": "secret-key-1", "hostname": "acme.testcrm.local"})
	m := r.json(t)
	if r.status != 200 || m["name"] != "Test User" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	claims, err := h.sessions.Verify(m["jwtToken"].(string))
	if err != nil {
		t.Fatal(err)
	}
	want := testcrm.UserID("secret-key-1") + "-testcrm"
	if claims.ID != want || claims.Platform != "testcrm" {
		t.Errorf("claims = %+v, want id %s", claims, want)
	}
	u, err := h.store.GetUser(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.APIKey) == 0 || strings.Contains(string(u.APIKey), "secret-key-1") {
		t.Errorf("API key must be stored sealed, got %q", u.APIKey)
	}

	// Platform through the client's unencoded state parameter.
	r = h.do("POST", "/apiKeyLogin?state=platform=testcrm", map[string]any{"apiKey": "k2"})
	if r.status != 200 {
		t.Errorf("platform from state: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
		text   string
	}{
		{"missing platform", "/apiKeyLogin", map[string]any{"apiKey": "k"}, 400, "Missing platform name"},
		{"unknown platform", "/apiKeyLogin", map[string]any{"platform": "nope", "apiKey": "k"}, 400, "Unknown platform"},
		{"missing key", "/apiKeyLogin", map[string]any{"platform": "testcrm", "apiKey": "  "}, 400, "Missing api key"},
	} {
		r := h.do("POST", tc.path, tc.body)
		if r.status != tc.status || string(r.body) != tc.text {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, r.status, r.body, tc.status, tc.text)
		}
	}

	// A key the CRM refuses: 400 with a returnMessage.
	h.crm.FailNext(testcrm.OpUserInfo, &adapter.UserError{Message: "That API key is not valid"})
	r = h.do("POST", "/apiKeyLogin", map[string]any{"platform": "testcrm", "apiKey": "bad"})
	if r.status != 400 || msg(r.json(t)) != "That API key is not valid" {
		t.Errorf("refused key: %d %s", r.status, r.body)
	}
}

// msg returns returnMessage.message of a decoded body.
func msg(m map[string]any) string {
	rm, _ := m["returnMessage"].(map[string]any)
	s, _ := rm["message"].(string)
	return s
}

func msgType(m map[string]any) string {
	rm, _ := m["returnMessage"].(map[string]any)
	s, _ := rm["messageType"].(string)
	return s
}

func TestSessionJWTRejections(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	good := h.login("k1")
	other, _ := auth.NewJWTIssuer([]byte("another-secret-another-secret-another-secret"))
	forged, _ := other.Issue(testcrm.UserID("k1")+"-testcrm", "testcrm")
	old := newSessions(t, auth.WithJWTClock(func() time.Time { return time.Now().Add(-15 * 24 * time.Hour) }))
	expired, _ := old.Issue(testcrm.UserID("k1")+"-testcrm", "testcrm")
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(good, ".")[1] + "."
	unknownPlatform, _ := h.sessions.Issue("x-nope", "nope")

	for _, tc := range []struct{ name, query string }{
		{"missing", ""},
		{"garbage", "&jwtToken=not-a-jwt"},
		{"forged", "&jwtToken=" + forged},
		{"expired", "&jwtToken=" + expired},
		{"alg none", "&jwtToken=" + none},
		{"unknown platform", "&jwtToken=" + unknownPlatform},
	} {
		r := h.do("GET", "/contact?phoneNumber=+16505551212"+tc.query, nil)
		if r.status != 400 || string(r.body) != textAuthorize || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: got %d %q %q", tc.name, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	// The header wins over the query parameter.
	r := h.do("GET", "/contact?phoneNumber=+16505551212&jwtToken=garbage", nil, bearer(good)...)
	if r.status != 200 {
		t.Errorf("header should win: %d %s", r.status, r.body)
	}
	// Query alone works (the real client).
	r = h.do("GET", "/contact?phoneNumber=+16505551212&jwtToken="+good, nil)
	if r.status != 200 {
		t.Errorf("query token: %d %s", r.status, r.body)
	}
	// The log says why, the client does not learn it.
	if !strings.Contains(h.logs.String(), "expired") {
		t.Errorf("log should name the rejection reason")
	}
}

func TestSlidingRenewal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fresh := h.login("k1")
	r := h.do("GET", "/hostname?jwtToken="+fresh, nil)
	if r.header.Get("X-Refreshed-JWT-Token") != "" {
		t.Errorf("fresh token must not be renewed")
	}
	eightDaysOld := newSessions(t, auth.WithJWTClock(func() time.Time { return time.Now().Add(-8 * 24 * time.Hour) }))
	aging, _ := eightDaysOld.Issue(testcrm.UserID("k1")+"-testcrm", "testcrm")
	r = h.do("GET", "/hostname?jwtToken="+aging, nil)
	if r.status != 200 || string(r.body) != "acme.testcrm.local" {
		t.Fatalf("hostname: %d %q", r.status, r.body)
	}
	renewed := r.header.Get("X-Refreshed-JWT-Token")
	c, err := h.sessions.Verify(renewed)
	if err != nil {
		t.Fatalf("renewed token does not verify: %v", err)
	}
	if time.Until(c.ExpiresAt) < 13*24*time.Hour {
		t.Errorf("renewed token expires %v", c.ExpiresAt)
	}
}

func contacts(t *testing.T, r response) []map[string]any {
	t.Helper()
	m := r.json(t)
	raw, ok := m["contact"].([]any)
	if !ok {
		t.Fatalf("contact is not an array: %s", r.body)
	}
	out := make([]map[string]any, len(raw))
	for i, c := range raw {
		out[i] = c.(map[string]any)
	}
	return out
}

func ids(cs []map[string]any) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprint(c["id"]))
	}
	return out
}

func TestFindContact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	for _, tc := range []struct {
		name  string
		query string // appended raw, as the client sends it
		want  []string
		warn  bool
	}{
		{"lost plus restored", "phoneNumber=+16505551212", []string{"1001"}, false},
		{"encoded plus", "phoneNumber=%2B16505551212", []string{"1001"}, false},
		{"only a format matches", "phoneNumber=+16505551213&overridingFormat=***-***-****,(***)%20***-****", []string{"1002"}, false},
		{"format with encoded hash", "phoneNumber=%2B16505551213&overridingFormat=%28%23%23%23%29%20%23%23%23-%23%23%23%23", []string{"1002"}, false},
		{"two contacts share a number", "phoneNumber=+14155550100", []string{"1003", "1004"}, false},
		{"GB", "phoneNumber=+442079460958", []string{"1005"}, false},
		{"not found", "phoneNumber=+16505550000", []string{"createNewContact"}, true},
		{"extension", "phoneNumber=101&isExtension=true", []string{"createNewContact"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("GET", "/contact?jwtToken="+jwt+"&"+tc.query, nil)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			cs := contacts(t, r)
			if diff := cmp.Diff(tc.want, ids(cs)); diff != "" {
				t.Errorf("ids (-want +got):\n%s\n%s", diff, r.body)
			}
			m := r.json(t)
			if m["successful"] != true {
				t.Errorf("successful = %v", m["successful"])
			}
			if tc.warn {
				if msg(m) != "Contact not found" || msgType(m) != "warning" {
					t.Errorf("want the not-found warning, got %s", r.body)
				}
				if cs[0]["isNewContact"] != true || cs[0]["name"] != "Create new contact..." {
					t.Errorf("placeholder: %v", cs[0])
				}
			}
		})
	}
	r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	c := contacts(t, r)[0]
	deals := c["additionalInfo"].(map[string]any)["deals"].([]any)
	if diff := cmp.Diff(map[string]any{"const": "deal-1", "title": "Acme renewal"}, deals[0]); diff != "" {
		t.Errorf("deal option: %s", diff)
	}

	for _, bad := range []string{"", "abc", "+", strings.Repeat("1", 65)} {
		r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber="+bad, nil)
		m := r.json(t)
		if r.status != 200 || m["successful"] != false || msgType(m) != "warning" {
			t.Errorf("invalid number %q: %d %s", bad, r.status, r.body)
		}
		if _, ok := m["contact"].([]any); !ok {
			t.Errorf("invalid number %q: contact must still be an array: %s", bad, r.body)
		}
	}
}

func TestCreateContact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	r := h.do("POST", "/contact", map[string]any{"phoneNumber": "+16505550000", "newContactName": "Zed Zulu", "newContactType": "Lead"}, bearer(jwt)...)
	m := r.json(t)
	c, _ := m["contact"].(map[string]any)
	if m["successful"] != true || c["id"] == nil || c["id"] == "" || c["name"] != "Zed Zulu" {
		t.Fatalf("create: %s", r.body)
	}
	// The new contact is found by its number now.
	r = h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505550000", nil)
	if diff := cmp.Diff([]string{c["id"].(string)}, ids(contacts(t, r))); diff != "" {
		t.Errorf("lookup after create: %s", diff)
	}
	for _, body := range []map[string]any{
		{"phoneNumber": "+16505550000", "newContactName": " "},
		{"phoneNumber": "nope", "newContactName": "X"},
	} {
		r := h.do("POST", "/contact", body, bearer(jwt)...)
		m := r.json(t)
		if m["successful"] != false || msgType(m) != "warning" {
			t.Errorf("%v: %s", body, r.body)
		}
	}
}

func TestContactSearchByName(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	r := h.do("GET", "/custom/contact/search?jwtToken="+jwt+"&name=chen", nil)
	if diff := cmp.Diff([]string{"1003"}, ids(contacts(t, r))); diff != "" {
		t.Errorf("search: %s", diff)
	}
	r = h.do("GET", "/custom/contact/search?jwtToken="+jwt+"&name=nobody", nil)
	m := r.json(t)
	if len(contacts(t, r)) != 0 || msg(m) == "" {
		t.Errorf("zero results need a returnMessage: %s", r.body)
	}
}

func TestCallLogLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")

	r := h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
	m := r.json(t)
	logID, _ := m["logId"].(string)
	if m["successful"] != true || logID == "" {
		t.Fatalf("create: %s", r.body)
	}
	act, ok := h.crm.CallLog(logID)
	if !ok || act.ContactID != "1001" || act.DealID != "deal-1" || act.Duration != 95*time.Second || act.SessionID != "s-1" {
		t.Errorf("CRM activity: %+v", act)
	}

	// The same session again: no CRM call, the existing id.
	r = h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
	m = r.json(t)
	if m["successful"] != false || m["logId"] != logID || msg(m) != "Existing log for session s-1" || msgType(m) != "warning" {
		t.Errorf("duplicate: %s", r.body)
	}
	if n := h.crm.CallLogCount(); n != 1 {
		t.Errorf("CRM has %d call activities, want 1", n)
	}

	// Lookup, in request order, with and without details.
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=nope,s-1&requireDetails=true", nil)
	var got struct {
		Successful bool `json:"successful"`
		Logs       []struct {
			SessionID string         `json:"sessionId"`
			Matched   bool           `json:"matched"`
			LogID     string         `json:"logId"`
			LogData   map[string]any `json:"logData"`
		} `json:"logs"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Logs) != 2 || got.Logs[0].SessionID != "nope" || got.Logs[0].Matched || !got.Logs[1].Matched || got.Logs[1].LogID != logID {
		t.Fatalf("lookup: %s", r.body)
	}
	if got.Logs[1].LogData["note"] != "Discussed renewal" || got.Logs[1].LogData["subject"] == "" {
		t.Errorf("logData: %v", got.Logs[1].LogData)
	}
	// A panicking adapter in the concurrent detail reads answers without the
	// details and leaves the server running.
	h.crm.PanicNext(testcrm.OpGetCallLog)
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-1&requireDetails=true", nil)
	if r.status != 200 || strings.Contains(string(r.body), "logData") {
		t.Errorf("panicking GetCallLog: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-1", nil)
	if strings.Contains(string(r.body), "logData") {
		t.Errorf("logData without requireDetails: %s", r.body)
	}

	// PATCH: subject replaced, recording appended once.
	for range 2 {
		r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "s-1", "subject": "Renewal call", "recordingLink": "https://rec.example/1"}, bearer(jwt)...)
		m = r.json(t)
		if m["successful"] != true || m["logId"] != logID {
			t.Fatalf("patch: %s", r.body)
		}
	}
	act, _ = h.crm.CallLog(logID)
	if act.Subject != "Renewal call" || strings.Count(act.Note, "https://rec.example/1") != 1 || !strings.HasPrefix(act.Note, "Discussed renewal") {
		t.Errorf("after patch: subject %q note %q", act.Subject, act.Note)
	}
	if m["updatedNote"] != "Discussed renewal" {
		t.Errorf("updatedNote is the user's note only: %v", m["updatedNote"])
	}
	r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "unknown", "note": "x"}, bearer(jwt)...)
	if m := r.json(t); m["successful"] != false {
		t.Errorf("unknown session patch: %s", r.body)
	}

	// Disposition.
	r = h.do("PUT", "/callDisposition", map[string]any{"sessionId": "s-1", "dispositions": map[string]any{"outcome": "won"}}, bearer(jwt)...)
	if m := r.json(t); m["successful"] != true {
		t.Errorf("disposition: %s", r.body)
	}
	act, _ = h.crm.CallLog(logID)
	if act.Dispositions["outcome"] != "won" {
		t.Errorf("dispositions: %v", act.Dispositions)
	}
	r = h.do("PUT", "/callDisposition", map[string]any{"sessionId": "unknown", "dispositions": map[string]any{}}, bearer(jwt)...)
	if m := r.json(t); m["successful"] != false || msg(m) != "Cannot find log" {
		t.Errorf("unknown disposition: %s", r.body)
	}
}

func TestCallLogBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	body := callLogBody("s-2", "1001")
	delete(body, "contactId")
	r := h.do("POST", "/callLog", body, bearer(jwt)...)
	if m := r.json(t); m["successful"] != false || msg(m) != "Contact not found for number +16505551212" {
		t.Errorf("no contact: %s", r.body)
	}
	body = callLogBody("", "1001")
	r = h.do("POST", "/callLog", body, bearer(jwt)...)
	if r.status != 400 {
		t.Errorf("no sessionId: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds="+strings.Repeat("a,", 101), nil)
	if r.status != 400 {
		t.Errorf("101 ids: %d", r.status)
	}
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprint("id-", i)
	}
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds="+strings.Join(many, ","), nil)
	if logs, _ := r.json(t)["logs"].([]any); len(logs) != 100 {
		t.Errorf("100 ids: got %d logs", len(logs))
	}
	if n := h.crm.CallLogCount(); n != 0 {
		t.Errorf("CRM activities: %d", n)
	}
}

func TestCallLogConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	h.crm.SetDelay(testcrm.OpCreateCallLog, 50*time.Millisecond) // keep the first one in flight
	const n = 20
	var wg sync.WaitGroup
	results := make([]map[string]any, n)
	for i := range n {
		wg.Go(func() {
			results[i] = h.do("POST", "/callLog", callLogBody("s-race", "1001"), bearer(jwt)...).json(t)
		})
	}
	wg.Wait()
	if c := h.crm.CallLogCount(); c != 1 {
		t.Fatalf("%d CRM activities for one session, want 1", c)
	}
	logID := h.crm.CallLogs()[0].ID
	wins := 0
	for _, m := range results {
		if m["logId"] != logID {
			t.Errorf("answer without the one log id: %v", m)
		}
		if m["successful"] == true {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d successful answers, want 1", wins)
	}
}

func TestCallLogCRMFailureReleases(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	h.crm.FailNext(testcrm.OpCreateCallLog, errors.New("crm exploded: internal detail 42"))
	r := h.do("POST", "/callLog", callLogBody("s-3", "1001"), bearer(jwt)...)
	m := r.json(t)
	if m["successful"] != false || msg(m) != "Error creating call log" || strings.Contains(string(r.body), "detail 42") {
		t.Fatalf("failure answer: %s", r.body)
	}
	r = h.do("POST", "/callLog", callLogBody("s-3", "1001"), bearer(jwt)...)
	if m := r.json(t); m["successful"] != true {
		t.Errorf("retry after failure: %s", r.body)
	}
}

func TestUserScoping(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.login("alice-key"), h.login("bob-key")
	r := h.do("POST", "/callLog", callLogBody("shared-session", "1001"), bearer(alice)...)
	aliceLog := r.json(t)["logId"]
	r = h.do("GET", "/callLog?jwtToken="+bob+"&sessionIds=shared-session", nil)
	if logs := r.json(t)["logs"].([]any); logs[0].(map[string]any)["matched"] != false {
		t.Errorf("bob sees alice's log: %s", r.body)
	}
	r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "shared-session", "subject": "hijack"}, bearer(bob)...)
	if m := r.json(t); m["successful"] != false {
		t.Errorf("bob patched alice's log: %s", r.body)
	}
	r = h.do("POST", "/callLog", callLogBody("shared-session", "1001"), bearer(bob)...)
	if m := r.json(t); m["successful"] != true || m["logId"] == aliceLog {
		t.Errorf("bob's own log for the same session id: %s", r.body)
	}
}

func TestMessageLog(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	day := "conv-1/11/27/2026"

	r := h.do("POST", "/messageLog", messageLogBody(day, 103, 102, 101), bearer(jwt)...)
	m := r.json(t)
	if diff := cmp.Diff([]any{"101", "102", "103"}, m["logIds"]); diff != "" || m["successful"] != true {
		t.Fatalf("first post (-want +got): %s\n%s", diff, r.body)
	}
	// The client re-sends the whole day with one new message on top.
	r = h.do("POST", "/messageLog", messageLogBody(day, 104, 103, 102, 101), bearer(jwt)...)
	if diff := cmp.Diff([]any{"104"}, r.json(t)["logIds"]); diff != "" {
		t.Errorf("re-post: %s", diff)
	}
	r = h.do("POST", "/messageLog", messageLogBody(day, 104, 103, 102, 101), bearer(jwt)...)
	m = r.json(t)
	if logIDs, ok := m["logIds"].([]any); !ok || len(logIDs) != 0 || m["successful"] != true {
		t.Errorf("nothing new: logIds must be [] and present: %s", r.body)
	}
	acts := h.crm.MessageLogs()
	if len(acts) != 1 {
		t.Fatalf("%d CRM activities for one day, want 1", len(acts))
	}
	if diff := cmp.Diff([]string{"101", "102", "103", "104"}, acts[0].MessageIDs); diff != "" {
		t.Errorf("messages logged oldest first, once: %s", diff)
	}
	// Another day is another activity.
	h.do("POST", "/messageLog", messageLogBody("conv-1/11/28/2026", 105), bearer(jwt)...)
	if n := h.crm.MessageLogCount(); n != 2 {
		t.Errorf("activities: %d", n)
	}
	r = h.do("POST", "/messageLog", messageLogBody(day), bearer(jwt)...)
	if m := r.json(t); m["successful"] != false || msg(m) != "No message to log." {
		t.Errorf("empty: %s", r.body)
	}

	// The CRM fails on the second new message: the answer names the one
	// logged before the failure, and a re-post logs only the rest.
	h.crm.FailNext(testcrm.OpUpdateMessageLog, nil) // 106 goes through
	h.crm.FailNext(testcrm.OpUpdateMessageLog, errors.New("crm down"))
	r = h.do("POST", "/messageLog", messageLogBody(day, 107, 106, 104, 103, 102, 101), bearer(jwt)...)
	m = r.json(t)
	if diff := cmp.Diff([]any{"106"}, m["logIds"]); diff != "" || m["successful"] != false || msg(m) != "Error logging messages" {
		t.Errorf("failure on the second new message: %s\n%s", diff, r.body)
	}
	r = h.do("POST", "/messageLog", messageLogBody(day, 107, 106, 104, 103, 102, 101), bearer(jwt)...)
	if diff := cmp.Diff([]any{"107"}, r.json(t)["logIds"]); diff != "" {
		t.Errorf("re-post after failure: %s\n%s", diff, r.body)
	}
}

func TestMessageLogConcurrentReposts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	day := "conv-9/11/27/2026"
	h.crm.SetDelay(testcrm.OpCreateMessageLog, 20*time.Millisecond)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			// Posts race with growing prefixes of the same day.
			ids := []int64{205, 204, 203, 202, 201}[4-i%5:]
			h.do("POST", "/messageLog", messageLogBody(day, ids...), bearer(jwt)...)
		})
	}
	wg.Wait()
	acts := h.crm.MessageLogs()
	if len(acts) != 1 {
		t.Fatalf("%d activities, want 1", len(acts))
	}
	seen := map[string]int{}
	for _, id := range acts[0].MessageIDs {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s logged %d times", id, n)
		}
	}
	if len(seen) != 5 {
		t.Errorf("logged %v, want 5 distinct messages", acts[0].MessageIDs)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	find := func() response { return h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil) }

	h.crm.FailNext(testcrm.OpFind, &adapter.RateLimitError{RetryAfter: 30 * time.Second})
	r := find()
	m := r.json(t)
	if r.status != 200 || m["successful"] != false || msg(m) != "Rate limit exceeded" || !strings.Contains(string(r.body), "30 seconds") || !strings.Contains(string(r.body), "testcrm") {
		t.Errorf("rate limit: %d %s", r.status, r.body)
	}

	h.crm.FailNext(testcrm.OpFind, fmt.Errorf("validating: %w", &adapter.UserError{Message: "Phone field is locked"}))
	if m := find().json(t); msg(m) != "Phone field is locked" || m["successful"] != false {
		t.Errorf("user error: %v", m)
	}

	h.crm.FailNext(testcrm.OpFind, fmt.Errorf("person 9: %w", adapter.ErrNotFound))
	if m := find().json(t); msg(m) != "Contact not found in testcrm" {
		t.Errorf("not found: %v", m)
	}

	h.crm.FailNext(testcrm.OpFind, errors.New("upstream said: token=abc123"))
	r = find()
	if m := r.json(t); msg(m) != "Error finding contact" || strings.Contains(string(r.body), "abc123") {
		t.Errorf("generic: %s", r.body)
	}
	if cs := contacts(t, r); len(cs) != 0 {
		t.Errorf("a failed lookup still answers an empty contact array: %s", r.body)
	}

	h.crm.FailNext(testcrm.OpFind, fmt.Errorf("crm: %w", adapter.ErrUnauthorized))
	r = find()
	want := `{"successful":false,"returnMessage":{"message":"User session expired. Please connect again.","messageType":"warning","ttl":5000},"errorCode":"CRM_SESSION_REVOKED"}`
	if r.status != 401 || string(r.body) != want {
		t.Errorf("unauthorized: %d %s", r.status, r.body)
	}

	h.crm.PanicNext(testcrm.OpFind)
	r = find()
	if r.status != 500 || strings.Contains(string(r.body), "panic") || strings.Contains(string(r.body), "goroutine") {
		t.Errorf("panic: %d %s", r.status, r.body)
	}
	if r := find(); r.status != 200 {
		t.Errorf("server must keep serving after a panic: %d", r.status)
	}
}

func TestAdapterTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithAdapterTimeout(100*time.Millisecond))
	})
	jwt := h.login("k1")
	h.crm.SetDelay(testcrm.OpFind, 10*time.Second)
	r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	if m := r.json(t); msg(m) != "Error finding contact" || m["successful"] != false {
		t.Errorf("timeout: %s", r.body)
	}
}

func TestRevokedSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	r := h.do("POST", "/unAuthorize", nil, bearer(jwt)...)
	if m := r.json(t); r.status != 200 || m["successful"] != true {
		t.Fatalf("unAuthorize: %d %s", r.status, r.body)
	}
	if !h.crm.Revoked(testcrm.UserID("k1")) {
		t.Errorf("adapter was not asked to revoke")
	}
	r = h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	if m := r.json(t); r.status != 401 || m["errorCode"] != "CRM_SESSION_REVOKED" {
		t.Errorf("after unAuthorize: %d %s", r.status, r.body)
	}

	jwt2 := h.login("k2")
	if err := h.store.DeleteUser(context.Background(), testcrm.UserID("k2")+"-testcrm"); err != nil {
		t.Fatal(err)
	}
	r = h.do("GET", "/hostname?jwtToken="+jwt2, nil)
	if r.status != 401 {
		t.Errorf("deleted user: %d %s", r.status, r.body)
	}
}

func TestAuthValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	r := h.do("GET", "/authValidation?jwtToken="+jwt, nil)
	if m := r.json(t); m["successful"] != true {
		t.Errorf("valid: %s", r.body)
	}
	h.crm.FailNext(testcrm.OpValidateAuth, adapter.ErrUnauthorized)
	r = h.do("GET", "/authValidation?jwtToken="+jwt, nil)
	if r.status != 401 {
		t.Errorf("invalid: %d %s", r.status, r.body)
	}
}

func TestBodyHandling(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithBodyLimit(4096))
	})
	jwt := h.login("k1")
	big := callLogBody("s-big", "1001")
	big["note"] = strings.Repeat("x", 5000)
	r := h.do("POST", "/callLog", big, bearer(jwt)...)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d %s", r.status, r.body)
	}
	r = h.do("POST", "/callLog", `{"logInfo": {`, bearer(jwt)...)
	if r.status != 400 || !strings.Contains(string(r.body), "not valid JSON") {
		t.Errorf("malformed: %d %s", r.status, r.body)
	}
	r = h.do("POST", "/callLog", `{"logInfo": {"sessionId": "s", "duration": "long"}, "contactId": 1}`, bearer(jwt)...)
	if r.status != 400 || !strings.Contains(string(r.body), "logInfo.duration") {
		t.Errorf("wrong type: %d %s", r.status, r.body)
	}
	r = h.do("POST", "/contact", `[1,2]`, bearer(jwt)...)
	if r.status != 400 {
		t.Errorf("array body: %d %s", r.status, r.body)
	}
	if n := h.crm.CallLogCount(); n != 0 {
		t.Errorf("nothing may be logged from bad input: %d", n)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req, _ := http.NewRequest("OPTIONS", h.srv.URL+"/contact", nil)
	req.Header.Set("Origin", "chrome-extension://abc")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization, rc-extension-id")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	for _, want := range []string{"PATCH", "PUT", "DELETE"} {
		if !strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), want) {
			t.Errorf("methods lack %s", want)
		}
	}
	for _, want := range []string{"rc-extension-id", "rc-account-id", "developer-author-name", "is-debug", "Authorization", "X-RC-Access-Token"} {
		if !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), want) {
			t.Errorf("headers lack %s", want)
		}
	}
	r := h.do("GET", "/isAlive", nil)
	if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Refreshed-JWT-Token") {
		t.Errorf("expose: %v", r.header)
	}

	limited := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithAllowedOrigins("chrome-extension://good"))
	})
	r = limited.do("GET", "/isAlive", nil, "Origin", "chrome-extension://good")
	if r.header.Get("Access-Control-Allow-Origin") != "chrome-extension://good" {
		t.Errorf("allowed origin: %v", r.header)
	}
	r = limited.do("GET", "/isAlive", nil, "Origin", "https://evil.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", r.header)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.mount = func(h http.Handler) (http.Handler, string) {
			mux := http.NewServeMux()
			mux.Handle("/crm/", http.StripPrefix("/crm", h))
			return mux, "/crm"
		}
	})
	jwt := h.login("k1")
	r := h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	if diff := cmp.Diff([]string{"1001"}, ids(contacts(t, r))); diff != "" {
		t.Errorf("under prefix: %s", diff)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("very-secret-api-key")
	h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	h.crm.FailNext(testcrm.OpFind, fmt.Errorf("finding: %w", &url.Error{
		Op: "Get", URL: "https://crm.example/api/persons?phone=%2B16505551212&api_token=very-secret-api-key", Err: errors.New("timeout")}))
	h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	h.do("POST", "/callLog", callLogBody("s-log", "1001"), bearer(jwt)...)
	logs := h.logs.String()
	for _, secret := range []string{jwt, strings.Split(jwt, ".")[2], "very-secret-api-key", "6505551212", "jwtToken="} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	var lines int
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["msg"] == "request" {
			lines++
			if rec["route"] == "" || rec["request_id"] == "" || rec["status"] == nil {
				t.Errorf("request line lacks fields: %s", line)
			}
		}
	}
	if lines != 4 {
		t.Errorf("%d request lines for 4 requests", lines)
	}
	if !strings.Contains(logs, `"route":"GET /contact"`) {
		t.Errorf("route pattern missing:\n%s", logs)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	good := httpserver.Config{Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())}, Store: st, JWTIssuer: newSessions(t), SealingKeys: newKeys(t)}
	for name, mut := range map[string]func(*httpserver.Config){
		"no store":     func(c *httpserver.Config) { c.Store = nil },
		"no sessions":  func(c *httpserver.Config) { c.JWTIssuer = nil },
		"no keys":      func(c *httpserver.Config) { c.SealingKeys = nil },
		"no adapters":  func(c *httpserver.Config) { c.Adapters = nil },
		"two testcrms": func(c *httpserver.Config) { c.Adapters = append(c.Adapters, testcrm.New(testcrm.NewCRM())) },
		"unknown log format": func(c *httpserver.Config) {
			c.Adapters = []adapter.Adapter{formatted{testcrm.New(nil), "text/rtf"}}
		},
		"ambiguous user keys": func(c *httpserver.Config) {
			c.Adapters = append(c.Adapters, renamed{testcrm.New(testcrm.NewCRM()), "eu-testcrm"})
		},
	} {
		cfg := good
		mut(&cfg)
		if _, err := httpserver.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := httpserver.New(good); err != nil {
		t.Errorf("good config: %v", err)
	}
}

func TestUserCacheTTL(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithClock(clk.now), httpserver.WithUserCacheTTL(time.Minute))
	})
	jwt := h.login("k1")
	hostname := func() int { return h.do("GET", "/hostname?jwtToken="+jwt, nil).status }
	if s := hostname(); s != 200 {
		t.Fatalf("hostname: %d", s)
	}
	// Another replica removes the user: this one may serve its cached row
	// until the TTL has passed, and not after.
	if err := h.store.DeleteUser(context.Background(), testcrm.UserID("k1")+"-testcrm"); err != nil {
		t.Fatal(err)
	}
	if s := hostname(); s != 200 {
		t.Errorf("within the TTL the cached row serves: %d", s)
	}
	clk.advance(time.Minute)
	if s := hostname(); s != 401 {
		t.Errorf("after the TTL the removal is seen: %d", s)
	}
	// This server's own writes take effect at once.
	jwt = h.login("k1")
	h.do("GET", "/hostname?jwtToken="+jwt, nil)
	h.do("POST", "/unAuthorize", nil, bearer(jwt)...)
	if s := h.do("GET", "/hostname?jwtToken="+jwt, nil).status; s != 401 {
		t.Errorf("after this server's logout: %d", s)
	}
}

func TestStoreDownAnswers503(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithUserCacheTTL(0))
	})
	jwt := h.login("k1")
	h.store.Close() // the database is gone
	for _, r := range []response{
		h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil),
		h.do("POST", "/callLog", callLogBody("s-down", "1001"), bearer(jwt)...),
		h.do("POST", "/apiKeyLogin", map[string]any{"platform": "testcrm", "apiKey": "k2"}),
	} {
		m := r.json(t)
		if r.status != http.StatusServiceUnavailable || m["successful"] != false || !strings.Contains(msg(m), "database") {
			t.Errorf("store down: %d %s", r.status, r.body)
		}
	}
	if n := h.crm.CallLogCount(); n != 0 {
		t.Errorf("a call was logged in the CRM while its mapping could not be stored: %d", n)
	}
}

// renamed is an adapter under another platform name.
type renamed struct {
	adapter.Adapter
	name string
}

func (r renamed) Platform() string { return r.name }

// TestMessageIDSpellings: a message id is a number (PROTOCOL.md §3), and
// the same number in another JSON spelling ("5.0", "5e0", "5") is the same
// message, logged once; an id that is no whole number is refused at the
// edge, naming the field.
func TestMessageIDSpellings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("id-spellings")
	day := "conv-1/11/27/2026"
	withID := func(id any) map[string]any {
		b := messageLogBody(day, 5)
		b["logInfo"].(map[string]any)["messages"].([]map[string]any)[0]["id"] = id
		return b
	}
	r := h.do("POST", "/messageLog", withID(5), bearer(jwt)...)
	if diff := cmp.Diff([]any{"5"}, r.json(t)["logIds"]); diff != "" {
		t.Fatalf("first post: %s\n%s", diff, r.body)
	}
	for _, same := range []any{json.Number("5.0"), json.Number("5e0"), json.Number("50e-1"), "5"} {
		r = h.do("POST", "/messageLog", withID(same), bearer(jwt)...)
		if logIDs, ok := r.json(t)["logIds"].([]any); !ok || len(logIDs) != 0 {
			t.Errorf("id %v after 5: %s, want nothing new", same, r.body)
		}
	}
	if acts := h.crm.MessageLogs(); len(acts) != 1 || len(acts[0].MessageIDs) != 1 {
		t.Errorf("CRM activities %+v, want one holding message 5 once", acts)
	}
	for _, bad := range []any{json.Number("1.5"), json.Number("1e300"), json.Number("-3"), "abc", "", json.Number("12345678901234567")} {
		r = h.do("POST", "/messageLog", withID(bad), bearer(jwt)...)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "messages[0].id") {
			t.Errorf("id %v: %d %s, want 400 naming logInfo.messages[0].id", bad, r.status, r.body)
		}
	}
}
