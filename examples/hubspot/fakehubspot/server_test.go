package fakehubspot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/examples/hubspot/fakehubspot"
)

type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func post(t *testing.T, url, token string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res, m
}

func eq(prop, v string) map[string]any {
	return map[string]any{"propertyName": prop, "operator": "EQ", "value": v}
}

func groups(n, filtersEach int) []any {
	var gs []any
	for range n {
		var fs []any
		for range filtersEach {
			fs = append(fs, eq("phone", "+16505551212"))
		}
		gs = append(gs, map[string]any{"filters": fs})
	}
	return gs
}

func TestSearchLimitsAndMatching(t *testing.T) {
	t.Parallel()
	f := fakehubspot.New()
	defer f.Close()
	o := f.AddOwner(fakehubspot.Owner{Email: "a@example.com"})
	at, _ := f.IssueToken(o.UserID)
	id := f.AddContact(map[string]string{"firstname": "A", "phone": "+16505551212", "mobilephone": "(415) 555-0100"})
	search := f.URL() + "/crm/objects/2026-03/contacts/search"

	for _, tc := range []struct {
		name   string
		groups []any
		status int
	}{
		{"5 groups of 5 (25 filters)", groups(5, 5), 200},
		{"6 groups", groups(6, 1), 400},
		{"11 filters in a group", groups(1, 11), 400},
		{"26 filters in all", append(groups(2, 10), groups(1, 6)...), 400},
		{"60 groups, ten times the limit", groups(60, 1), 400},
		{"empty group", []any{map[string]any{"filters": []any{}}}, 400},
		{"fuzzy operator", []any{map[string]any{"filters": []any{map[string]any{"propertyName": "phone", "operator": "CONTAINS_TOKEN", "value": "650"}}}}, 400},
	} {
		res, _ := post(t, search, at, map[string]any{"filterGroups": tc.groups})
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.status)
		}
	}
	for _, tc := range []struct {
		filters []any
		hits    int
	}{
		{[]any{eq("phone", "+16505551212")}, 1},
		{[]any{eq("phone", "+1 650 555 1212")}, 0}, // exact, not normalized
		{[]any{eq("hs_searchable_calculated_phone_number", "6505551212")}, 1},
		{[]any{eq("hs_searchable_calculated_mobile_number", "4155550100")}, 1},
		{[]any{map[string]any{"propertyName": "mobilephone", "operator": "IN", "values": []string{"x", "(415) 555-0100"}}}, 1},
		{[]any{eq("phone", "+16505551212"), eq("firstname", "B")}, 0}, // AND inside a group
	} {
		_, m := post(t, search, at, map[string]any{"filterGroups": []any{map[string]any{"filters": tc.filters}}, "properties": []string{"phone"}})
		if n, _ := m["total"].(float64); int(n) != tc.hits {
			t.Errorf("%v: %v hits, want %d", tc.filters, m["total"], tc.hits)
		}
	}
	_, m := post(t, search, at, map[string]any{"filterGroups": []any{map[string]any{"filters": []any{eq("phone", "nope")}}, map[string]any{"filters": []any{eq("phone", "+16505551212")}}}})
	rs, _ := m["results"].([]any)
	if len(rs) != 1 || rs[0].(map[string]any)["id"] != fmt.Sprint(id) {
		t.Errorf("groups OR: %v", m)
	}
	if st := f.Stats(); st.BadRequests != 6 || st.Searches != 8 {
		t.Errorf("stats: %+v", st)
	}
}

func TestAuthExpiryAndRateLimit(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	f := fakehubspot.New(fakehubspot.WithClock(clk.now), fakehubspot.WithRateLimit(fakehubspot.RateLimit{Requests: 2, SearchOnly: true}))
	defer f.Close()
	o := f.AddOwner(fakehubspot.Owner{Email: "a@example.com"})
	search := f.URL() + "/crm/objects/2026-03/contacts/search"
	if res, m := post(t, search, "", map[string]any{}); res.StatusCode != 401 || m["category"] != "INVALID_AUTHENTICATION" {
		t.Errorf("no token: %d %v", res.StatusCode, m)
	}
	at, _ := f.IssueToken(o.UserID)
	for i := range 3 {
		res, m := post(t, search, at, map[string]any{})
		if i < 2 && res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
		if i == 2 && (res.StatusCode != 429 || m["errorType"] != "RATE_LIMIT" || m["policyName"] != "SECONDLY" ||
			res.Header.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "1000" || res.Header.Get("X-HubSpot-RateLimit-Remaining") != "0") {
			t.Errorf("third search in a second: %d %v %v", res.StatusCode, m, res.Header)
		}
	}
	clk.offset.Add(int64(31 * time.Minute)) // HubSpot's tokens live 30 minutes
	if res, m := post(t, search, at, map[string]any{}); res.StatusCode != 401 || m["category"] != "EXPIRED_AUTHENTICATION" {
		t.Errorf("stale token: %d %v", res.StatusCode, m)
	}
	if res, _ := post(t, f.URL()+"/crm/v3/objects/contacts/search", at, map[string]any{}); res.StatusCode != 401 && res.StatusCode != 404 {
		t.Errorf("v3 path: %d", res.StatusCode)
	}
}

func TestTokenEndpointWantsCredentialsInBody(t *testing.T) {
	t.Parallel()
	f := fakehubspot.New()
	defer f.Close()
	o := f.AddOwner(fakehubspot.Owner{Email: "a@example.com"})
	form := url.Values{"grant_type": {"authorization_code"}, "code": {f.Authorize(o.UserID)}}
	req, _ := http.NewRequest("POST", f.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(fakehubspot.DefaultClientID, fakehubspot.DefaultClientSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("Basic client credentials: %d, want 400", res.StatusCode)
	}
	form.Set("code", f.Authorize(o.UserID))
	form.Set("client_id", fakehubspot.DefaultClientID)
	form.Set("client_secret", fakehubspot.DefaultClientSecret)
	res, err = http.PostForm(f.TokenURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok["expires_in"] != float64(1800) || tok["user_id"] != float64(o.UserID) {
		t.Errorf("token: %d %v", res.StatusCode, tok)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	f := fakehubspot.New()
	defer f.Close()
	o := f.AddOwner(fakehubspot.Owner{Email: "a@example.com"})
	at, _ := f.IssueToken(o.UserID)
	contact := f.AddContact(map[string]string{"firstname": "A"})
	calls := f.URL() + "/crm/objects/2026-03/calls"
	assoc := func(typeID int) []any {
		return []any{map[string]any{"to": map[string]any{"id": fmt.Sprint(contact)}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": typeID}}}}
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"ok", map[string]any{"properties": map[string]any{"hs_timestamp": "1764300000000", "hs_call_direction": "INBOUND", "hs_call_duration": "95000"}, "associations": assoc(194)}, 201},
		{"no timestamp", map[string]any{"properties": map[string]any{"hs_call_title": "x"}}, 400},
		{"bad direction", map[string]any{"properties": map[string]any{"hs_timestamp": "1764300000000", "hs_call_direction": "Inbound"}}, 400},
		{"seconds as a float", map[string]any{"properties": map[string]any{"hs_timestamp": "1764300000000", "hs_call_duration": "95.5"}}, 400},
		{"unknown property", map[string]any{"properties": map[string]any{"hs_timestamp": "1764300000000", "notes": "x"}}, 400},
		{"note's association type", map[string]any{"properties": map[string]any{"hs_timestamp": "1764300000000"}, "associations": assoc(202)}, 400},
	} {
		if res, m := post(t, calls, at, tc.body); res.StatusCode != tc.status {
			t.Errorf("%s: %d %v", tc.name, res.StatusCode, m)
		}
	}
}

// TestJSONBodiesOnly: a POST or PATCH without Content-Type:
// application/json answers 415, as HubSpot does; with it (and a charset)
// the request goes through.
func TestJSONBodiesOnly(t *testing.T) {
	f := fakehubspot.New()
	defer f.Close()
	o := f.AddOwner(fakehubspot.Owner{Email: "a@example.com"})
	at, _ := f.IssueToken(o.UserID)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"} {
		req, err := http.NewRequest("POST", f.URL()+"/crm/objects/2026-03/contacts", strings.NewReader(`{"properties":{"firstname":"A"}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+at)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusUnsupportedMediaType
		if ct == "application/json; charset=utf-8" {
			want = http.StatusCreated
		}
		if res.StatusCode != want {
			t.Errorf("Content-Type %q: %d, want %d", ct, res.StatusCode, want)
		}
	}
}
