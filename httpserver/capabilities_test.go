package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
)

// fiveOnly is testcrm with the five required methods and nothing else.
type fiveOnly struct{ a *testcrm.Adapter }

func (f fiveOnly) Platform() string         { return f.a.Platform() }
func (f fiveOnly) Auth() adapter.AuthConfig { return f.a.Auth() }
func (f fiveOnly) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	return f.a.GetUserInfo(ctx, req)
}
func (f fiveOnly) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	return f.a.FindContacts(ctx, req)
}
func (f fiveOnly) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	return f.a.CreateCallLog(ctx, req)
}

// interfacesOf is GET /implementedInterfaces for testcrm.
func interfacesOf(t *testing.T, h *harness) map[string]any {
	t.Helper()
	r := h.do("GET", "/implementedInterfaces?platform=testcrm", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /implementedInterfaces: %d %s", r.status, r.body)
	}
	return r.json(t)
}

// wantInterfaces is what GET /implementedInterfaces must answer for a:
// adapter.Discover's map, the server's cacheCallNote and the log format.
func wantInterfaces(a adapter.Adapter, logFormat string) map[string]any {
	want := map[string]any{"cacheCallNote": true, "logFormat": logFormat}
	for k, v := range adapter.Discover(a).ImplementedInterfaces() {
		want[k] = v
	}
	return want
}

// TestImplementedInterfacesFollowTheAdapter: the map reports what the
// adapter implements, no more: all false for a five-method adapter, all
// true for testcrm, which has every capability.
func TestImplementedInterfacesFollowTheAdapter(t *testing.T) {
	t.Parallel()
	optional := []string{"createContact", "getCallLog", "updateCallLog", "createMessageLog", "updateMessageLog",
		"unAuthorize", "findContactWithName", "upsertCallDisposition", "getLicenseStatus", "getUserList", "getLogFormatType"}

	crm := testcrm.NewCRM()
	five := fiveOnly{testcrm.New(crm)}
	h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{five} })
	got := interfacesOf(t, h)
	if diff := cmp.Diff(wantInterfaces(five, "text/plain"), got); diff != "" {
		t.Errorf("five-method adapter (-want +got):\n%s", diff)
	}
	for _, k := range optional {
		if got[k] != false {
			t.Errorf("five-method adapter: %s = %v, want false", k, got[k])
		}
	}
	for _, k := range []string{"getAuthType", "getUserInfo", "findContact", "createCallLog", "getBasicAuth"} {
		if got[k] != true {
			t.Errorf("five-method adapter: %s = %v, want true", k, got[k])
		}
	}

	full := testcrm.New(testcrm.NewCRM())
	hf := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{full} })
	gotFull := interfacesOf(t, hf)
	if diff := cmp.Diff(wantInterfaces(full, string(full.LogFormat())), gotFull); diff != "" {
		t.Errorf("testcrm (-want +got):\n%s", diff)
	}
	for _, k := range optional {
		if gotFull[k] != true {
			t.Errorf("testcrm: %s = %v, want true", k, gotFull[k])
		}
	}
}

// warning returns an answer's successful flag and returnMessage.message.
func warning(t *testing.T, r response) (bool, string) {
	t.Helper()
	m := r.json(t)
	rm, _ := m["returnMessage"].(map[string]any)
	msg, _ := rm["message"].(string)
	ok, _ := m["successful"].(bool)
	return ok, msg
}

// TestFiveMethodAdapterServesTheClient: a five-method adapter serves the
// lookup and the call log; every other route answers as its capability's
// documentation says.
func TestFiveMethodAdapterServesTheClient(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{fiveOnly{testcrm.New(crm)}} })
	jwt := h.login("k1")
	auth := bearer(jwt)

	r := h.do("GET", "/contact?phoneNumber=+16505551212", nil, auth...)
	if ok, _ := warning(t, r); !ok || !strings.Contains(string(r.body), `"1001"`) {
		t.Errorf("lookup: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/contact?phoneNumber=+16505550000", nil, auth...)
	if strings.Contains(string(r.body), "createNewContact") {
		t.Errorf("lookup of an unknown number offers to create a contact without a ContactCreator: %s", r.body)
	}
	r = h.do("POST", "/contact", map[string]any{"phoneNumber": "+16505550000", "newContactName": "Nobody"}, auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support creating contacts") {
		t.Errorf("POST /contact: %d %s", r.status, r.body)
	}

	r = h.do("POST", "/callLog", callLogBody("s-five", "1001"), auth...)
	if ok, _ := warning(t, r); !ok {
		t.Fatalf("POST /callLog: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/callLog?sessionIds=s-five&requireDetails=true", nil, auth...)
	var logs struct {
		Logs []map[string]any `json:"logs"`
	}
	if err := json.Unmarshal(r.body, &logs); err != nil || len(logs.Logs) != 1 || logs.Logs[0]["matched"] != true || logs.Logs[0]["logData"] != nil {
		t.Errorf("GET /callLog without a CallLogReader: %d %s; want matched, no logData", r.status, r.body)
	}
	r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "s-five", "note": "later"}, auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support updating call logs") {
		t.Errorf("PATCH /callLog: %d %s", r.status, r.body)
	}
	r = h.do("POST", "/messageLog", messageLogBody("conv-1/11/27/2026", 1), auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support logging messages") {
		t.Errorf("POST /messageLog: %d %s", r.status, r.body)
	}
	if n := len(crm.Revocations()); n != 0 {
		t.Fatalf("revocations before logout: %d", n)
	}
	r = h.do("POST", "/unAuthorize", nil, auth...)
	if ok, _ := warning(t, r); !ok {
		t.Errorf("POST /unAuthorize: %d %s", r.status, r.body)
	}
	if n := len(crm.Revocations()); n != 0 {
		t.Errorf("Unauthorize reached the CRM through an adapter that is no Unauthorizer: %d revocations", n)
	}
	if r := h.do("GET", "/contact?phoneNumber=+16505551212", nil, auth...); r.status != http.StatusUnauthorized {
		t.Errorf("after logout the session still works: %d %s", r.status, r.body)
	}
}

// TestErrUnsupportedIsAnAbsentCapability: an adapter that has a capability
// but answers errors.ErrUnsupported for this user gets the answer of an
// adapter without it, not an error.
func TestErrUnsupportedIsAnAbsentCapability(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	auth := bearer(h.login("k1"))
	notForYou := fmt.Errorf("not on this plan: %w", errors.ErrUnsupported)

	h.crm.FailNext(testcrm.OpCreateContact, notForYou)
	r := h.do("POST", "/contact", map[string]any{"phoneNumber": "+16505550000", "newContactName": "Nobody"}, auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support creating contacts") {
		t.Errorf("POST /contact: %d %s", r.status, r.body)
	}

	h.crm.FailNext(testcrm.OpSearch, notForYou)
	r = h.do("GET", "/custom/contact/search?name=Alice", nil, auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support searching") {
		t.Errorf("search: %d %s", r.status, r.body)
	}

	if r := h.do("POST", "/callLog", callLogBody("s-unsup", "1001"), auth...); r.status != 200 {
		t.Fatalf("POST /callLog: %d %s", r.status, r.body)
	}
	h.crm.FailNext(testcrm.OpGetCallLog, notForYou)
	r = h.do("GET", "/callLog?sessionIds=s-unsup&requireDetails=true", nil, auth...)
	var logs struct {
		Successful bool             `json:"successful"`
		Logs       []map[string]any `json:"logs"`
	}
	if err := json.Unmarshal(r.body, &logs); err != nil || !logs.Successful || len(logs.Logs) != 1 || logs.Logs[0]["matched"] != true || logs.Logs[0]["logData"] != nil {
		t.Errorf("GET /callLog: %d %s; want matched, no logData", r.status, r.body)
	}
	h.crm.FailNext(testcrm.OpUpdateCallLog, notForYou)
	r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "s-unsup", "note": "later"}, auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support updating call logs") {
		t.Errorf("PATCH /callLog: %d %s", r.status, r.body)
	}
	h.crm.FailNext(testcrm.OpSetDisposition, notForYou)
	r = h.do("PUT", "/callDisposition", map[string]any{"sessionId": "s-unsup", "dispositions": map[string]any{"k": "v"}}, auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support call dispositions") {
		t.Errorf("PUT /callDisposition: %d %s", r.status, r.body)
	}

	h.crm.FailNext(testcrm.OpCreateMessageLog, notForYou)
	r = h.do("POST", "/messageLog", messageLogBody("conv-1/11/27/2026", 1), auth...)
	if ok, msg := warning(t, r); r.status != 200 || ok || !strings.Contains(msg, "does not support logging messages") {
		t.Errorf("POST /messageLog: %d %s", r.status, r.body)
	}
	// The message was released, not recorded: once the plan allows it, it
	// is logged.
	r = h.do("POST", "/messageLog", messageLogBody("conv-1/11/27/2026", 1), auth...)
	if ok, _ := warning(t, r); !ok || !strings.Contains(string(r.body), `"1"`) {
		t.Errorf("POST /messageLog after the plan changed: %d %s", r.status, r.body)
	}

	h.crm.FailNext(testcrm.OpLicense, notForYou)
	r = h.do("GET", "/licenseStatus", nil, auth...)
	if m := r.json(t); m["isLicenseValid"] != true || m["licenseStatus"] != "Basic" {
		t.Errorf("GET /licenseStatus: %d %s; want the valid Basic license of an adapter without LicenseChecker", r.status, r.body)
	}

	h.crm.FailNext(testcrm.OpValidateAuth, notForYou)
	if ok, _ := warning(t, h.do("GET", "/authValidation", nil, auth...)); !ok {
		t.Errorf("GET /authValidation failed on ErrUnsupported")
	}
	h.crm.FailNext(testcrm.OpUnauthorize, notForYou)
	if ok, _ := warning(t, h.do("POST", "/unAuthorize", nil, auth...)); !ok {
		t.Errorf("POST /unAuthorize failed on ErrUnsupported")
	}
}
