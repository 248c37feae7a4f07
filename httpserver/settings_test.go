package httpserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/store"
)

const testHashKey = "test-hash-key-0123456789"

// backend opens stores over one database; open may be called again after
// the previous store was closed (a restart).
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

// backends are SQLite (always) and PostgreSQL (when
// CRMBRIDGE_TEST_POSTGRES_DSN is set; each test gets its own schema,
// dropped afterwards).
func backends(t *testing.T) []backend {
	t.Helper()
	path := filepath.Join(t.TempDir(), "settings.db")
	out := []backend{{name: "sqlite", open: func(t *testing.T) store.Store { return servertest.OpenSQLite(t, path) }}}
	if servertest.DSN() == "" {
		t.Log(servertest.DSNEnv + " not set: PostgreSQL part skipped")
		return out
	}
	schema := servertest.NewSchema(t)
	return append(out, backend{name: "postgres", open: func(t *testing.T) store.Store { return servertest.OpenPostgres(t, schema) }})
}

// fakeRingCentral answers GET /restapi/v1.0/account/~/extension/~ for a
// few tokens: "admin-token" (admin of account 1111), "user-token" (not an
// admin), anything else 401; with down set, 503.
type fakeRingCentral struct {
	srv   *httptest.Server
	calls atomic.Int32
	down  atomic.Bool
}

func newFakeRingCentral(t *testing.T) *fakeRingCentral {
	f := &fakeRingCentral{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.URL.Path != "/restapi/v1.0/account/~/extension/~" {
			http.NotFound(w, r)
			return
		}
		if f.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("Authorization") {
		case "Bearer admin-token", "Bearer admin+token/2":
			fmt.Fprint(w, `{"id":201,"account":{"id":"1111"},"permissions":{"admin":{"enabled":true}}}`)
		case "Bearer user-token":
			fmt.Fprint(w, `{"id":202,"account":{"id":"1111"},"permissions":{"admin":{"enabled":false}}}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errorCode":"TokenInvalid"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// hashOf is h(x) of PROTOCOL.md §3 for testHashKey.
func hashOf(x, key string) string {
	sum := sha256.Sum256([]byte(x + ":" + key))
	return hex.EncodeToString(sum[:])
}

// settingsHarness is a harness over st with the test hash key, the fake
// RingCentral and the clock.
func settingsHarness(t *testing.T, st store.Store, rc *fakeRingCentral, clk *clock, adapters ...adapter.Adapter) *harness {
	return newHarness(t, func(c *harnessConfig) {
		c.store = st
		if len(adapters) > 0 {
			c.adapters = adapters
		}
		c.opts = append(c.opts, httpserver.WithHashKey(testHashKey), httpserver.WithRingCentralServer(rc.srv.URL), httpserver.WithClock(clk.now))
	})
}

func settingValue(t *testing.T, settings map[string]any, id string) any {
	t.Helper()
	s, ok := settings[id].(map[string]any)
	if !ok {
		return nil
	}
	return s["value"]
}

// TestSettingsEndToEnd walks the settings of PROTOCOL.md §3 through the
// real handler, on SQLite and on PostgreSQL.
func TestSettingsEndToEnd(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { settingsEndToEnd(t, b) })
	}
}

func settingsEndToEnd(t *testing.T, b backend) {
	rc := newFakeRingCentral(t)
	clk := &clock{}
	st := b.open(t)
	h := settingsHarness(t, st, rc, clk)
	jwt := h.login("k1")
	account := hashOf("1111", testHashKey)

	// The adapter's default format applies to a lookup without
	// overridingFormat: Bob is stored as "(650) 555-1213".
	r := h.do("GET", "/user/settings?jwtToken="+jwt, nil)
	if got := settingValue(t, r.json(t), "overridingPhoneNumberFormat"); got != testcrm.DefaultPhoneFormat {
		t.Errorf("default format = %v, want %q: %s", got, testcrm.DefaultPhoneFormat, r.body)
	}
	r = h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551213&overridingFormat=", nil)
	if got := ids(contacts(t, r)); len(got) != 1 || got[0] != "1002" {
		t.Errorf("lookup with the default format found %v: %s", got, r.body)
	}

	// POST echoes the effective settings; the user's format replaces the
	// default and is applied.
	r = h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": map[string]any{
		"autoLogCall":                 map[string]any{"value": true},
		"overridingPhoneNumberFormat": map[string]any{"value": "***-***-****"},
	}})
	echo, _ := r.json(t)["userSettings"].(map[string]any)
	if settingValue(t, echo, "autoLogCall") != true || settingValue(t, echo, "overridingPhoneNumberFormat") != "***-***-****" {
		t.Fatalf("POST echo: %s", r.body)
	}
	if d, _ := echo["overridingPhoneNumberFormat"].(map[string]any); d["defaultValue"] != testcrm.DefaultPhoneFormat {
		t.Errorf("the user's value should keep the default's other fields: %v", d)
	}
	r = h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551213", nil)
	if got := ids(contacts(t, r)); len(got) != 1 || got[0] != "createNewContact" {
		t.Errorf("with the user's format Bob must not match: %v", got)
	}
	// A partial POST keeps what it does not name.
	h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": map[string]any{"callPop": map[string]any{"value": false}}})
	r = h.do("GET", "/user/settings?jwtToken="+jwt, nil)
	if m := r.json(t); settingValue(t, m, "autoLogCall") != true || settingValue(t, m, "callPop") != false {
		t.Errorf("after a partial POST: %s", r.body)
	}
	// Entries that carry nothing never erase a stored value.
	for _, empty := range []any{nil, "", map[string]any{"value": nil}, map[string]any{}} {
		h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": map[string]any{"overridingPhoneNumberFormat": empty}})
		r = h.do("GET", "/user/settings?jwtToken="+jwt, nil)
		if m := r.json(t); settingValue(t, m, "overridingPhoneNumberFormat") != "***-***-****" {
			t.Errorf("after posting %#v for a stored setting: %s", empty, r.body)
		}
	}

	// Restart (a new server over the same database) and a new login: the
	// settings are still there.
	h.srv.Close()
	st.Close()
	st = b.open(t)
	h = settingsHarness(t, st, rc, clk)
	jwt = h.login("k1")
	r = h.do("GET", "/user/settings?jwtToken="+jwt, nil)
	if m := r.json(t); settingValue(t, m, "autoLogCall") != true || settingValue(t, m, "overridingPhoneNumberFormat") != "***-***-****" {
		t.Errorf("after restart and login: %s", r.body)
	}

	// Admin: validation against the fake RingCentral.
	for _, tc := range []struct{ name, token string }{{"not admin", "user-token"}, {"refused token", "bad-token"}, {"no token", ""}} {
		r = h.do("GET", "/admin/settings?jwtToken="+jwt+"&rcAccessToken="+tc.token, nil)
		if r.status != http.StatusForbidden || string(r.body) != "Admin validation failed" {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	r = h.do("GET", "/admin/settings?jwtToken="+jwt+"&rcAccessToken=admin-token", nil)
	if r.status != 200 || !jsonEqual(r.body, `{"userSettings":{},"customAdapter":null,"userMappings":[]}`) {
		t.Errorf("admin settings of a new account: %d %s", r.status, r.body)
	}
	r = h.do("POST", "/admin/settings", map[string]any{"adminSettings": map[string]any{
		"userSettings": map[string]any{
			"autoLogCall": map[string]any{"value": false, "customizable": false},
			"logMode":     true,
		},
	}}, "X-RC-Access-Token", "admin-token")
	if r.status != 200 || string(r.body) != "Admin settings updated" {
		t.Fatalf("POST admin settings: %d %s", r.status, r.body)
	}
	// The admin's locked value wins over the user's; an unlocked one shows.
	r = h.do("GET", "/user/settings?jwtToken="+jwt+"&rcAccountId="+account, nil)
	m := r.json(t)
	if settingValue(t, m, "autoLogCall") != false || settingValue(t, m, "logMode") != true || settingValue(t, m, "callPop") != false {
		t.Errorf("merged settings: %s", r.body)
	}
	r = h.do("POST", "/user/settings?jwtToken="+jwt+"&rcAccountId="+account, map[string]any{"userSettings": map[string]any{"autoLogCall": map[string]any{"value": true}}})
	echo, _ = r.json(t)["userSettings"].(map[string]any)
	if settingValue(t, echo, "autoLogCall") != false {
		t.Errorf("a locked setting was overridden: %s", r.body)
	}
	// The header works as well as the query parameter.
	r = h.do("GET", "/user/settings?jwtToken="+jwt, nil, "rc-account-id", account)
	if settingValue(t, r.json(t), "autoLogCall") != false {
		t.Errorf("rc-account-id header: %s", r.body)
	}

	// User mapping: by email, then the admin's stored mappings override.
	body := map[string]any{"rcExtensionList": []any{
		map[string]any{"id": 101, "name": "Ann", "email": "ANN@acme.example", "extensionNumber": "101"},
		map[string]any{"id": "102", "name": "Ben", "email": "ben@elsewhere.example", "extensionNumber": "102"},
	}}
	r = h.do("POST", "/admin/userMapping?jwtToken="+jwt+"&rcAccessToken=admin-token", body)
	want := `[{"crmUser":{"id":"u-ann","name":"Ann Admin","email":"ann@acme.example"},"rcUser":{"extensionId":"101","name":"Ann","extensionNumber":"101","email":"ANN@acme.example"}},
		{"crmUser":{},"rcUser":{"extensionId":"102","name":"Ben","extensionNumber":"102","email":"ben@elsewhere.example"}}]`
	if !jsonEqual(r.body, want) {
		t.Errorf("user mapping by email: %s", r.body)
	}
	h.do("POST", "/admin/settings?rcAccessToken=admin-token", map[string]any{"adminSettings": map[string]any{
		"userMappings": []any{map[string]any{"crmUserId": "u-ben", "rcExtensionId": []any{"102"}}},
	}})
	r = h.do("POST", "/admin/userMapping?jwtToken="+jwt+"&rcAccessToken=admin-token", body)
	var mapped []struct {
		CRMUser struct{ ID string } `json:"crmUser"`
	}
	if json.Unmarshal(r.body, &mapped) != nil || len(mapped) != 2 || mapped[0].CRMUser.ID != "u-ann" || mapped[1].CRMUser.ID != "u-ben" {
		t.Errorf("user mapping with a stored override: %s", r.body)
	}
	// The partial admin POST kept the user settings.
	r = h.do("GET", "/admin/settings?jwtToken="+jwt+"&rcAccessToken=admin-token", nil)
	if !strings.Contains(string(r.body), `"logMode"`) || !strings.Contains(string(r.body), `"u-ben"`) {
		t.Errorf("admin settings after a partial POST: %s", r.body)
	}
	// RingCentral down: 403, never a 5xx the client would toast. (A new
	// token, so no cached result answers.)
	rc.down.Store(true)
	r = h.do("GET", "/admin/settings?jwtToken="+jwt+"&rcAccessToken=admin+token/2", nil)
	if r.status != http.StatusForbidden || string(r.body) != "Admin validation failed" {
		t.Errorf("RingCentral down: %d %s", r.status, r.body)
	}
	rc.down.Store(false)
	for _, secret := range []string{"admin-token", "user-token", "bad-token", "admin+token/2"} {
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("the log holds the RingCentral token %q", secret)
		}
	}
}

// jsonEqual compares two JSON documents.
func jsonEqual(got []byte, want string) bool {
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// TestAdminValidationCache: a validation result is reused for at most five
// minutes (clock option, no sleeping); RingCentral down is a 403, never a
// 5xx, and is not cached; a "+" lost to the unencoded query is restored.
func TestAdminValidationCache(t *testing.T) {
	t.Parallel()
	rc := newFakeRingCentral(t)
	clk := &clock{}
	h := settingsHarness(t, openStore(t), rc, clk)
	jwt := h.login("k1")
	get := func(token string) response {
		return h.do("GET", "/admin/settings?jwtToken="+jwt+"&rcAccessToken="+token, nil)
	}
	for range 3 {
		if r := get("admin-token"); r.status != 200 {
			t.Fatalf("admin: %d %s", r.status, r.body)
		}
	}
	if n := rc.calls.Load(); n != 1 {
		t.Errorf("RingCentral asked %d times within the cache time, want 1", n)
	}
	clk.advance(5*time.Minute + time.Second)
	get("admin-token")
	if n := rc.calls.Load(); n != 2 {
		t.Errorf("RingCentral asked %d times after five minutes, want 2", n)
	}
	rc.down.Store(true)
	for range 2 {
		if r := get("user-token"); r.status != http.StatusForbidden || string(r.body) != "Admin validation failed" {
			t.Errorf("RingCentral down: %d %s", r.status, r.body)
		}
	}
	if n := rc.calls.Load(); n != 4 {
		t.Errorf("a failure to reach RingCentral was cached: %d calls, want 4", n)
	}
	rc.down.Store(false)
	if r := get("admin+token/2"); r.status != 200 {
		t.Errorf("token with a raw +: %d %s", r.status, r.body)
	}
	// Unreachable RingCentral (nothing listening): 403 too.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	h2 := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithRingCentralServer(dead.URL))
	})
	jwt2 := h2.login("k1")
	if r := h2.do("GET", "/admin/settings?jwtToken="+jwt2+"&rcAccessToken=admin-token", nil); r.status != http.StatusForbidden {
		t.Errorf("unreachable RingCentral: %d %s", r.status, r.body)
	}
}

// TestUserInfoHash: stable for one HASH_KEY, different for another.
func TestUserInfoHash(t *testing.T) {
	t.Parallel()
	rc := newFakeRingCentral(t)
	a := settingsHarness(t, openStore(t), rc, &clock{})
	other := newHarness(t, func(c *harnessConfig) { c.opts = append(c.opts, httpserver.WithHashKey("another-key")) })
	r1 := a.do("GET", "/userInfoHash?extensionId=201&accountId=1111", nil)
	r2 := a.do("GET", "/userInfoHash?extensionId=201&accountId=1111", nil)
	r3 := other.do("GET", "/userInfoHash?extensionId=201&accountId=1111", nil)
	want := fmt.Sprintf(`{"extensionId":%q,"accountId":%q}`, hashOf("201", testHashKey), hashOf("1111", testHashKey))
	if !jsonEqual(r1.body, want) || string(r1.body) != string(r2.body) {
		t.Errorf("hashes: %s %s, want %s", r1.body, r2.body, want)
	}
	if m := r3.json(t); m["accountId"] == hashOf("1111", testHashKey) || m["accountId"] != hashOf("1111", "another-key") {
		t.Errorf("another HASH_KEY: %s", r3.body)
	}
	if r := a.do("GET", "/userInfoHash?accountId="+strings.Repeat("9", 1300), nil); r.status != http.StatusBadRequest {
		t.Errorf("10x the id bound: %d", r.status)
	}
}

// TestCachedNote: a note cached during the call is used by a later POST
// /callLog without one, and not after its hour (clock option).
func TestCachedNote(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			rc := newFakeRingCentral(t)
			clk := &clock{}
			h := settingsHarness(t, b.open(t), rc, clk)
			jwt := h.login("k1")
			r := h.do("GET", "/implementedInterfaces?platform=testcrm", nil)
			if m := r.json(t); m["cacheCallNote"] != true || m["getLicenseStatus"] != true || m["getUserList"] != true {
				t.Errorf("implementedInterfaces: %s", r.body)
			}
			for _, sid := range []string{"n-1", "n-2"} {
				r = h.do("POST", "/callLog/cacheNote?jwtToken="+jwt, map[string]any{"sessionId": sid, "note": "typed during " + sid})
				if m := r.json(t); m["successful"] != true {
					t.Fatalf("cacheNote: %s", r.body)
				}
			}
			body := callLogBody("n-1", "1001")
			body["note"] = ""
			logID, _ := h.do("POST", "/callLog?jwtToken="+jwt, body).json(t)["logId"].(string)
			if act, _ := h.crm.CallLog(logID); act.UserNote() != "typed during n-1" {
				t.Errorf("logged note %q, want the cached one", act.Note)
			}
			clk.advance(time.Hour + time.Second)
			body = callLogBody("n-2", "1001")
			body["note"] = ""
			logID, _ = h.do("POST", "/callLog?jwtToken="+jwt, body).json(t)["logId"].(string)
			if act, _ := h.crm.CallLog(logID); act.UserNote() != "" {
				t.Errorf("an expired cached note was used: %q", act.Note)
			}
			r = h.do("POST", "/callLog/cacheNote?jwtToken="+jwt, map[string]any{"sessionId": "n-3", "note": strings.Repeat("x", 10*64<<10)})
			if r.status != http.StatusBadRequest {
				t.Errorf("10x the note bound: %d", r.status)
			}
		})
	}
}

// bare hides every optional capability of an adapter.
type bare struct{ adapter.Adapter }

// failingLicense is testcrm with a license check that fails.
type failingLicense struct{ *testcrm.Adapter }

func (failingLicense) LicenseStatus(context.Context, adapter.LicenseStatusRequest) (adapter.LicenseStatus, error) {
	return adapter.LicenseStatus{}, fmt.Errorf("license server down")
}

// TestLicenseStatus: with and without the capability, and a failing one:
// always 200.
func TestLicenseStatus(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	for _, tc := range []struct {
		name string
		a    adapter.Adapter
		want string
	}{
		{"capability", testcrm.New(crm), `{"isLicenseValid":true,"licenseStatus":"Pro","licenseStatusDescription":"testcrm sandbox license"}`},
		{"without", bare{testcrm.New(crm)}, `{"isLicenseValid":true,"licenseStatus":"Basic","licenseStatusDescription":""}`},
		{"failing", failingLicense{testcrm.New(crm)}, `{"isLicenseValid":false,"licenseStatus":"Unknown","licenseStatusDescription":"The license could not be checked. Please try again later."}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{tc.a} })
			jwt := h.login("k1")
			r := h.do("GET", "/licenseStatus?jwtToken="+jwt, nil)
			if r.status != 200 || !jsonEqual(r.body, tc.want) {
				t.Errorf("licenseStatus: %d %s, want %s", r.status, r.body, tc.want)
			}
			r = h.do("GET", "/implementedInterfaces?platform=testcrm", nil)
			if m := r.json(t); m["getLicenseStatus"] != (tc.name != "without") {
				t.Errorf("getLicenseStatus: %s", r.body)
			}
		})
	}
	// Without UserLister, an admin's user mapping is [].
	rc := newFakeRingCentral(t)
	h := settingsHarness(t, openStore(t), rc, &clock{}, bare{testcrm.New(nil)})
	jwt := h.login("k1")
	r := h.do("POST", "/admin/userMapping?jwtToken="+jwt+"&rcAccessToken=user-token", map[string]any{"rcExtensionList": []any{}})
	if r.status != http.StatusForbidden {
		t.Errorf("userMapping of a non-admin: %d", r.status)
	}
	r = h.do("POST", "/admin/userMapping?jwtToken="+jwt+"&rcAccessToken=admin-token", map[string]any{"rcExtensionList": []any{map[string]any{"id": "101", "email": "ann@acme.example"}}})
	if r.status != http.StatusOK || string(r.body) != "[]" {
		t.Errorf("userMapping without the capability: %d %s", r.status, r.body)
	}
	if m := h.do("GET", "/implementedInterfaces?platform=testcrm", nil).json(t); m["getUserList"] != false {
		t.Errorf("getUserList without the capability: %v", m["getUserList"])
	}
}

// settingsSpy records the settings each FindContacts saw.
type settingsSpy struct {
	*testcrm.Adapter
	mu   sync.Mutex
	seen []adapter.Settings
}

func (s *settingsSpy) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	s.mu.Lock()
	s.seen = append(s.seen, req.Settings)
	s.mu.Unlock()
	return s.Adapter.FindContacts(ctx, req)
}

// TestSettingsReachTheAdapter: every adapter call sees the effective
// settings, custom ones included.
func TestSettingsReachTheAdapter(t *testing.T) {
	t.Parallel()
	spy := &settingsSpy{Adapter: testcrm.New(nil)}
	h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{spy} })
	jwt := h.login("k1")
	// The first lookup caches the effective settings; this server's own
	// POST evicts them, so the next lookup sees the new value at once.
	h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": map[string]any{"testcrmRegion": map[string]any{"value": "emea"}}})
	h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if len(spy.seen) != 2 || spy.seen[0].String("testcrmRegion") != "" || spy.seen[1].String("testcrmRegion") != "emea" ||
		spy.seen[1].String(adapter.SettingPhoneFormat) != testcrm.DefaultPhoneFormat {
		t.Errorf("adapter saw %v", spy.seen)
	}
	// An adapter changing its copy changes nothing for the next request.
	spy.seen[1]["testcrmRegion"] = json.RawMessage(`{"value":"changed"}`)
}

// TestSettingsBounds: ten times the limits is refused at the edge.
func TestSettingsBounds(t *testing.T) {
	t.Parallel()
	rc := newFakeRingCentral(t)
	h := settingsHarness(t, openStore(t), rc, &clock{})
	jwt := h.login("k1")
	many := map[string]any{}
	for i := range 2000 {
		many[fmt.Sprintf("s%d", i)] = map[string]any{"value": i}
	}
	if r := h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": many}); r.status != http.StatusBadRequest {
		t.Errorf("2000 settings: %d", r.status)
	}
	if r := h.do("POST", "/user/settings?jwtToken="+jwt, map[string]any{"userSettings": map[string]any{strings.Repeat("k", 1280): true}}); r.status != http.StatusBadRequest {
		t.Errorf("10x the id bound: %d", r.status)
	}
	exts := make([]any, 50000)
	for i := range exts {
		exts[i] = map[string]any{"id": i}
	}
	if r := h.do("POST", "/admin/userMapping?jwtToken="+jwt+"&rcAccessToken=admin-token", map[string]any{"rcExtensionList": exts}); r.status != http.StatusBadRequest {
		t.Errorf("50,000 extensions: %d", r.status)
	}
	// Nothing was stored by the refused requests.
	r := h.do("GET", "/user/settings?jwtToken="+jwt, nil)
	if m := r.json(t); len(m) != 1 {
		t.Errorf("settings after refused POSTs: %s", r.body)
	}
}

// TestReleaseNotesAndVersion: the small discovery routes.
func TestReleaseNotesAndVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithReleaseNotes(json.RawMessage(`{"1.1.0":{"global":[{"type":"New","description":"Settings"}]}}`)),
			httpserver.WithManifestInfo("crmbridge", "1.1.0"))
	})
	if r := h.do("GET", "/releaseNotes", nil); !jsonEqual(r.body, `{"1.1.0":{"global":[{"type":"New","description":"Settings"}]}}`) {
		t.Errorf("releaseNotes: %s", r.body)
	}
	if r := h.do("GET", "/serverVersionInfo", nil); !jsonEqual(r.body, `{"version":"1.1.0"}`) {
		t.Errorf("serverVersionInfo: %s", r.body)
	}
	if r := h.do("GET", "/user/preloadSettings", nil); r.status != 200 || string(r.body) != "{}" {
		t.Errorf("preloadSettings: %d %s", r.status, r.body)
	}
	d := newHarness(t)
	if r := d.do("GET", "/releaseNotes", nil); string(r.body) != "{}" {
		t.Errorf("default releaseNotes: %s", r.body)
	}
	if _, err := httpserver.New(httpserver.Config{Adapters: []adapter.Adapter{testcrm.New(nil)}, Store: openStore(t), JWTIssuer: newSessions(t), SealingKeys: newKeys(t)},
		httpserver.WithReleaseNotes(json.RawMessage(`[1]`))); err == nil {
		t.Errorf("release notes that are not an object were accepted")
	}
}

// TestNewRoutesRefuseWithoutSession: the session routes among the new ones
// answer the protocol's 400 text/plain without a JWT (checked against the
// contract like every answer), and the routes without a session answer.
func TestNewRoutesRefuseWithoutSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, mp := range [][2]string{
		{"GET", "/user/settings"}, {"POST", "/user/settings"}, {"POST", "/callLog/cacheNote"},
		{"GET", "/licenseStatus"}, {"GET", "/admin/settings"}, {"POST", "/admin/userMapping"},
	} {
		var body any
		if mp[0] == "POST" {
			body = map[string]any{}
		}
		r := h.do(mp[0], mp[1], body)
		if r.status != http.StatusBadRequest || string(r.body) != "Please go to Settings and authorize CRM platform" {
			t.Errorf("%s %s without a session: %d %s", mp[0], mp[1], r.status, r.body)
		}
	}
	r := h.do("POST", "/admin/settings", map[string]any{"adminSettings": map[string]any{}})
	if r.status != http.StatusForbidden {
		t.Errorf("POST /admin/settings without an admin token: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/userInfoHash", "/releaseNotes", "/serverVersionInfo", "/user/preloadSettings"} {
		if r := h.do("GET", path, nil); r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

// sloppyDefaults declares defaults a careless adapter might: a bare value
// and an entry that is not JSON.
type sloppyDefaults struct{ *testcrm.Adapter }

func (sloppyDefaults) DefaultSettings() adapter.Settings {
	return adapter.Settings{"autoLogCall": json.RawMessage(`true`), "broken": json.RawMessage(`{"value":`)}
}

// TestSloppyDefaults: the settings answer stays valid (and contract-checked)
// whatever the adapter declares.
func TestSloppyDefaults(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) { c.adapters = []adapter.Adapter{sloppyDefaults{testcrm.New(nil)}} })
	jwt := h.login("k1")
	r := h.do("GET", "/user/settings?jwtToken="+jwt, nil)
	if r.status != 200 || string(r.body) != `{"autoLogCall":{"value":true}}` {
		t.Errorf("settings: %d %s", r.status, r.body)
	}
}
