package fakepipedrive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/internal/credential"
)

// call sends a request and returns the status and the decoded JSON body.
func call(t *testing.T, method, target, token string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out) // some answers have no body
	return resp.StatusCode, resp.Header, out
}

// tokenCall posts form to the token or revoke endpoint with client
// credentials id:secret.
func tokenCall(t *testing.T, target, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const (
	id     = fakepipedrive.DefaultClientID
	secret = fakepipedrive.DefaultClientSecret
)

func TestOAuthFlow(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New(fakepipedrive.WithClient(id, secret, "https://app.example/cb"))
	defer s.Close()
	uid := s.AddUser(fakepipedrive.User{Name: "Ada"})

	// The authorization endpoint approves at once and redirects with a code.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.AuthURL() + "?client_id=" + id + "&redirect_uri=" + url.QueryEscape("https://app.example/cb") + "&state=xyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode != http.StatusFound || code == "" || loc.Query().Get("state") != "xyz" || loc.Host != "app.example" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, loc)
	}

	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example/cb"}}
	if st, body := tokenCall(t, s.TokenURL(), id, "wrong", exchange); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("bad client secret: %d %v", st, body)
	}
	st, tok := tokenCall(t, s.TokenURL(), id, secret, exchange)
	if st != http.StatusOK || tok["api_domain"] != s.URL() || tok["token_type"] != "Bearer" || tok["expires_in"] != 3600.0 {
		t.Fatalf("exchange: %d %v", st, tok)
	}
	if st, body := tokenCall(t, s.TokenURL(), id, secret, exchange); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("code reuse: %d %v", st, body)
	}
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)
	if st, _, me := call(t, "GET", s.URL()+"/api/v1/users/me", access, nil); st != http.StatusOK || me["data"].(map[string]any)["id"] != float64(uid) {
		t.Errorf("users/me: %d %v", st, me)
	}

	// Refresh rotates: the used refresh token is dead, the new one works.
	refreshForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	st, tok2 := tokenCall(t, s.TokenURL(), id, secret, refreshForm)
	if st != http.StatusOK || tok2["refresh_token"] == refresh || tok2["api_domain"] != s.URL() {
		t.Fatalf("refresh: %d %v", st, tok2)
	}
	if st, body := tokenCall(t, s.TokenURL(), id, secret, refreshForm); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("old refresh token: %d %v", st, body)
	}

	// Revoking the current refresh token ends the grant.
	if st, _ := tokenCall(t, s.RevokeURL(), id, secret, url.Values{"token": {tok2["refresh_token"].(string)}}); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	if st, _, _ := call(t, "GET", s.URL()+"/api/v1/users/me", tok2["access_token"].(string), nil); st != http.StatusUnauthorized {
		t.Errorf("access token after revoke: %d", st)
	}
	if st, _ := tokenCall(t, s.RevokeURL(), id, secret, url.Values{"token": {"unknown"}}); st != http.StatusOK {
		t.Errorf("revoking an unknown token: %d, want 200 (RFC 7009)", st)
	}
	want := fakepipedrive.Stats{Requests: 2, Unauthorized: 1, TokenRequests: 5, CodeExchanges: 1, Refreshes: 1, Revocations: 1, UserMe: 1}
	got := s.Stats()
	got.MaxInFlight = 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := fakepipedrive.New(fakepipedrive.WithClock(clock), fakepipedrive.WithTokenLifetime(time.Minute))
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	me := s.URL() + "/api/v1/users/me"
	tests := []struct {
		name, token string
		advance     time.Duration
		want        int
	}{
		{"no token", "", 0, http.StatusUnauthorized},
		{"unknown token", "nope", 0, http.StatusUnauthorized},
		{"valid", access, 0, http.StatusOK},
		{"expired", access, time.Minute, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		mu.Lock()
		now = now.Add(tt.advance)
		mu.Unlock()
		if st, _, _ := call(t, "GET", me, tt.token, nil); st != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, st, tt.want)
		}
	}
	fresh, _ := s.IssueToken(1001)
	s.ExpireAccessTokens()
	if st, _, _ := call(t, "GET", me, fresh, nil); st != http.StatusUnauthorized {
		t.Errorf("after ExpireAccessTokens: %d", st)
	}
}

func TestPersonSearchSemantics(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New()
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	org := s.AddOrganization(fakepipedrive.Organization{Name: "Acme"})
	s.AddPerson(fakepipedrive.Person{Name: "Ann", Phones: []string{"+16505551212"}, OrgID: org})
	s.AddPerson(fakepipedrive.Person{Name: "Bob", Phones: []string{"(650) 555-1212"}})
	tests := []struct {
		query string
		want  []string // names, or the error status
	}{
		{"term=%2B16505551212&fields=phone&exact_match=true", []string{"Ann"}},
		{"term=555-1212&fields=phone&exact_match=true", []string{}},
		{"term=1212&fields=phone", []string{"Ann", "Bob"}},
		{"term=ann&fields=phone&exact_match=true", []string{}},
		{"term=ANN&fields=name&exact_match=true", []string{"Ann"}},
		{"term=5&fields=phone", []string{"400"}},
		{"fields=phone", []string{"400"}},
	}
	for _, tt := range tests {
		st, _, body := call(t, "GET", s.URL()+"/api/v2/persons/search?"+tt.query, access, nil)
		got := []string{}
		if st != http.StatusOK {
			got = append(got, strconv.Itoa(st))
		} else {
			for _, it := range body["data"].(map[string]any)["items"].([]any) {
				got = append(got, it.(map[string]any)["item"].(map[string]any)["name"].(string))
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

// TestPersonSearchPages: a truncated page names next_cursor, the cursor
// returns the rest, the last page's next_cursor is null; limits beyond 1..500
// and unreadable cursors are refused.
func TestPersonSearchPages(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New()
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	for _, name := range []string{"A", "B", "C"} {
		s.AddPerson(fakepipedrive.Person{Name: name, Phones: []string{"+1 650 555 1212"}})
	}
	page := func(query string) (int, []string, any) {
		st, _, body := call(t, "GET", s.URL()+"/api/v2/persons/search?term=1212&fields=phone&"+query, access, nil)
		if st != http.StatusOK {
			return st, nil, nil
		}
		var names []string
		for _, it := range body["data"].(map[string]any)["items"].([]any) {
			names = append(names, it.(map[string]any)["item"].(map[string]any)["name"].(string))
		}
		return st, names, body["additional_data"].(map[string]any)["next_cursor"]
	}
	_, names, next := page("limit=2")
	cursor, _ := next.(string)
	if !slices.Equal(names, []string{"A", "B"}) || cursor == "" {
		t.Fatalf("first page: %q, next_cursor %v", names, next)
	}
	_, names, next = page("limit=2&cursor=" + cursor)
	if !slices.Equal(names, []string{"C"}) || next != nil {
		t.Errorf("second page: %q, next_cursor %v", names, next)
	}
	if _, names, next = page("limit=3"); len(names) != 3 || next != nil {
		t.Errorf("exactly full page: %q, next_cursor %v", names, next)
	}
	for _, q := range []string{"limit=0", "limit=501", "cursor=%21%21"} {
		if st, _, _ := page(q); st != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, st)
		}
	}
}

func TestActivityValidation(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New()
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	pid := s.AddPerson(fakepipedrive.Person{Name: "Ann"})
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"person_id is read-only", map[string]any{"type": "call", "person_id": pid}, http.StatusBadRequest},
		{"unknown type", map[string]any{"type": "smoke-signal"}, http.StatusBadRequest},
		{"bad due date", map[string]any{"type": "call", "due_date": "05/03/2025"}, http.StatusBadRequest},
		{"bad duration", map[string]any{"type": "call", "duration": "1h"}, http.StatusBadRequest},
		{"unknown participant", map[string]any{"type": "call", "participants": []any{map[string]any{"person_id": 999, "primary": true}}}, http.StatusBadRequest},
		{"unknown deal", map[string]any{"type": "call", "deal_id": 999}, http.StatusBadRequest},
		{"valid", map[string]any{"type": "call", "due_date": "2025-03-05", "due_time": "07:30", "duration": "00:02",
			"participants": []any{map[string]any{"person_id": pid, "primary": true}}}, http.StatusOK},
	}
	for _, tt := range tests {
		st, _, body := call(t, "POST", s.URL()+"/api/v2/activities", access, tt.body)
		if st != tt.want {
			t.Errorf("%s: status %d (%v), want %d", tt.name, st, body, tt.want)
		}
	}
	a, ok := s.Activity(1)
	want := fakepipedrive.Activity{ID: 1, Subject: "Call", Type: "call", DueDate: "2025-03-05", DueTime: "07:30", Duration: "00:02",
		OwnerID: 1001, Participants: []fakepipedrive.Participant{{PersonID: pid, Primary: true}}}
	if diff := cmp.Diff(want, a); !ok || diff != "" {
		t.Errorf("stored activity (-want +got):\n%s", diff)
	}
	// A refused PATCH changes nothing.
	if st, _, _ := call(t, "PATCH", s.URL()+"/api/v2/activities/1", access, map[string]any{"subject": "x", "due_time": "7h"}); st != http.StatusBadRequest {
		t.Errorf("bad PATCH: %d", st)
	}
	if a2, _ := s.Activity(1); a2.Subject != "Call" || a2.Updates != 0 {
		t.Errorf("refused PATCH changed the activity: %+v", a2)
	}
	if st, _, _ := call(t, "GET", s.URL()+"/api/v2/activities/2", access, nil); st != http.StatusNotFound {
		t.Errorf("missing activity: %d", st)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := fakepipedrive.New(fakepipedrive.WithClock(clock), fakepipedrive.WithRateLimit(fakepipedrive.RateLimit{Requests: 2}))
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	me := s.URL() + "/api/v1/users/me"
	type result struct {
		Status                       int
		Remaining, Reset, RetryAfter string
	}
	var got []result
	for i := range 4 {
		if i == 3 {
			mu.Lock()
			now = now.Add(2 * time.Second) // a new window
			mu.Unlock()
		}
		st, h, _ := call(t, "GET", me, access, nil)
		got = append(got, result{st, h.Get("x-ratelimit-remaining"), h.Get("x-ratelimit-reset"), h.Get("Retry-After")})
	}
	want := []result{{200, "1", "2", ""}, {200, "0", "2", ""}, {429, "0", "2", "2"}, {200, "1", "2", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := s.Stats().RateLimited; n != 1 {
		t.Errorf("RateLimited = %d", n)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New()
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	s.FailNext("GET", "/api/v1/users/me", http.StatusUnprocessableEntity, "nope")
	st, _, body := call(t, "GET", s.URL()+"/api/v1/users/me", access, nil)
	if st != http.StatusUnprocessableEntity || body["error"] != "nope" || body["success"] != false {
		t.Errorf("injected failure: %d %v", st, body)
	}
	if st, _, _ := call(t, "GET", s.URL()+"/api/v1/users/me", access, nil); st != http.StatusOK {
		t.Errorf("failure used twice: %d", st)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New(fakepipedrive.WithLatency(time.Hour))
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// Close waits for running handlers: it returns because the delayed
	// handler gave up with its request, which never reached the API.
	s.Close()
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("Requests = %d, want 0", n)
	}
}

// The revocation endpoint as the SDK's auth.Provider calls it: HTTP Basic
// with form-encoded credentials (RFC 6749 §2.3.1) and a token form field.
func TestRevokeEndpoint(t *testing.T) {
	t.Parallel()
	const oddID, oddSecret = "id with+plus", "s3cr&t=%"
	ctx := context.Background()
	tests := []struct {
		name       string
		style      auth.AuthStyle
		secret     string
		token      func(access, refresh string) string
		wantErr    string // OAuth error code, "" for success
		wantEnded  bool
		wantRevoke int64
	}{
		{"refresh token", auth.AuthInHeader, oddSecret, func(_, rt string) string { return rt }, "", true, 1},
		{"access token", auth.AuthInHeader, oddSecret, func(at, _ string) string { return at }, "", true, 1},
		{"unknown token", auth.AuthInHeader, oddSecret, func(string, string) string { return "unknown" }, "", false, 0},
		{"no token", auth.AuthInHeader, oddSecret, func(string, string) string { return "" }, "invalid_request", false, 0},
		{"wrong secret", auth.AuthInHeader, "wrong", func(_, rt string) string { return rt }, "invalid_client", false, 0},
		{"credentials in the body", auth.AuthInBody, oddSecret, func(_, rt string) string { return rt }, "invalid_client", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakepipedrive.New(fakepipedrive.WithClient(oddID, oddSecret, ""))
			defer s.Close()
			access, refresh := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
			p := auth.Provider{TokenURL: s.TokenURL(), RevokeURL: s.RevokeURL(), ClientID: oddID, ClientSecret: tt.secret, AuthStyle: tt.style}
			err := credential.Revoke(ctx, p, nil, tt.token(access, refresh), "")
			gotErr := ""
			if oe, ok := errors.AsType[*credential.OAuthError](err); ok {
				gotErr = oe.Code
			} else if err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if gotErr != tt.wantErr {
				t.Errorf("Revoke error code = %q, want %q", gotErr, tt.wantErr)
			}
			st, _, _ := call(t, "GET", s.URL()+"/api/v1/users/me", access, nil)
			if ended := st == http.StatusUnauthorized; ended != tt.wantEnded {
				t.Errorf("access token refused = %v, want %v", ended, tt.wantEnded)
			}
			p.ClientSecret, p.AuthStyle = oddSecret, auth.AuthInHeader
			_, err = credential.Refresh(ctx, p, nil, refresh)
			if ended := errors.Is(err, credential.ErrInvalidGrant); ended != tt.wantEnded {
				t.Errorf("refresh refused = %v (err %v), want %v", ended, err, tt.wantEnded)
			}
			if n := s.Stats().Revocations; n != tt.wantRevoke {
				t.Errorf("revocations = %d, want %d", n, tt.wantRevoke)
			}
		})
	}
}

func TestRevokeGrants(t *testing.T) {
	t.Parallel()
	s := fakepipedrive.New()
	defer s.Close()
	ada, bob := s.AddUser(fakepipedrive.User{Name: "Ada"}), s.AddUser(fakepipedrive.User{Name: "Bob"})
	adaAccess1, adaRefresh1 := s.IssueToken(ada)
	adaAccess2, _ := s.IssueToken(ada)
	bobAccess, bobRefresh := s.IssueToken(bob)
	if n := s.RevokeGrants(ada); n != 2 {
		t.Errorf("RevokeGrants = %d, want 2", n)
	}
	if n := s.RevokeGrants(ada); n != 0 {
		t.Errorf("RevokeGrants again = %d, want 0", n)
	}
	me := s.URL() + "/api/v1/users/me"
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"ada's first access token", adaAccess1, http.StatusUnauthorized},
		{"ada's second access token", adaAccess2, http.StatusUnauthorized},
		{"bob's access token", bobAccess, http.StatusOK},
	} {
		if st, _, _ := call(t, "GET", me, tc.token, nil); st != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, st, tc.want)
		}
	}
	refresh := func(rt string) int {
		st, _ := tokenCall(t, s.TokenURL(), id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		return st
	}
	if st := refresh(adaRefresh1); st != http.StatusBadRequest {
		t.Errorf("ada's refresh token: %d, want 400", st)
	}
	if st := refresh(bobRefresh); st != http.StatusOK {
		t.Errorf("bob's refresh token: %d, want 200", st)
	}
	if n := s.Stats().Revocations; n != 0 {
		t.Errorf("revocations = %d; RevokeGrants is not a revoke request", n)
	}
}

// TestJSONBodiesOnly: a v2 POST or PATCH without Content-Type:
// application/json answers 415, as Pipedrive's v2 API does; with it (and a
// charset) the request goes through.
func TestJSONBodiesOnly(t *testing.T) {
	s := fakepipedrive.New()
	defer s.Close()
	access, _ := s.IssueToken(s.AddUser(fakepipedrive.User{Name: "Ada"}))
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"} {
		req, err := http.NewRequest("POST", s.URL()+"/api/v2/persons", strings.NewReader(`{"name":"Ann"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+access)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if refused := resp.StatusCode == http.StatusUnsupportedMediaType; refused != (ct != "application/json; charset=utf-8") {
			t.Errorf("Content-Type %q: %d", ct, resp.StatusCode)
		}
	}
}
