package credential

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/auth"
)

// crmRequest is what the fake CRM saw of one request.
type crmRequest struct {
	Authorization string
	APIToken      string
	Body          string
}

// fakeCRM accepts the bearer token in valid (all of them when valid is
// empty) and answers 401 otherwise.
type fakeCRM struct {
	URL   string
	mu    sync.Mutex
	seen  []crmRequest
	valid string
}

func newFakeCRM(t *testing.T, valid string) *fakeCRM {
	c := &fakeCRM{valid: valid}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.seen = append(c.seen, crmRequest{r.Header.Get("Authorization"), r.Header.Get("X-Api-Token"), string(body)})
		ok := c.valid == "" || r.Header.Get("Authorization") == "Bearer "+c.valid
		c.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unauthorized"}`)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

func (c *fakeCRM) requests() []crmRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]crmRequest(nil), c.seen...)
}

// oauthClient is an adapter's client for user userKey whose stored token
// is at-0 (valid for an hour by our clock) and whose provider hands out
// at-1 on refresh.
func oauthClient(t *testing.T) (*http.Client, *fakeOAuth, *memStore) {
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)})
	r := newTestRefresher(f, ts)
	return &http.Client{Transport: NewTransport(nil, r.Credentials(userKey))}, f, ts
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTransportSetsBearer(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "at-0")
	hc, f, _ := oauthClient(t)
	req, err := http.NewRequest("GET", crm.URL+"/persons", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || body != "ok" {
		t.Errorf("response %d %q", resp.StatusCode, body)
	}
	if diff := cmp.Diff([]crmRequest{{Authorization: "Bearer at-0"}}, crm.requests()); diff != "" {
		t.Errorf("CRM saw (-want +got):\n%s", diff)
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("the caller's request was modified: Authorization %q", got)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("provider called %d times", n)
	}
}

func TestTransportRenewsOnceAfter401(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "at-1") // the CRM revoked at-0 before it expired
	hc, f, ts := oauthClient(t)
	resp, err := hc.Post(crm.URL+"/activities", "application/json", bytes.NewReader([]byte(`{"subject":"call"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || body != "ok" {
		t.Errorf("response %d %q", resp.StatusCode, body)
	}
	want := []crmRequest{
		{Authorization: "Bearer at-0", Body: `{"subject":"call"}`},
		{Authorization: "Bearer at-1", Body: `{"subject":"call"}`},
	}
	if diff := cmp.Diff(want, crm.requests()); diff != "" {
		t.Errorf("CRM saw (-want +got):\n%s", diff)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
	if got := ts.get(userKey).AccessToken; got != "at-1" {
		t.Errorf("stored access token %q, want at-1", got)
	}
}

func TestTransportSecond401IsReturned(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "never-valid")
	hc, f, _ := oauthClient(t)
	resp, err := hc.Get(crm.URL + "/persons")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 401 || body != `{"error":"unauthorized"}` {
		t.Errorf("response %d %q, want the CRM's 401", resp.StatusCode, body)
	}
	if n := len(crm.requests()); n != 2 {
		t.Errorf("CRM got %d requests, want 2", n)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
}

// onlyReader hides every method but Read, so http.NewRequest cannot set
// GetBody.
type onlyReader struct{ io.Reader }

func TestTransportDoesNotReplayStreamedBody(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "at-1")
	hc, f, _ := oauthClient(t)
	resp, err := hc.Post(crm.URL+"/files", "text/plain", onlyReader{strings.NewReader("stream")})
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 401 {
		t.Errorf("response %d %q, want 401", resp.StatusCode, body)
	}
	if diff := cmp.Diff([]crmRequest{{Authorization: "Bearer at-0", Body: "stream"}}, crm.requests()); diff != "" {
		t.Errorf("CRM saw (-want +got):\n%s", diff)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("provider called %d times for a request that cannot be retried", n)
	}
}

func TestTransportRevokedReturns401(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "at-1")
	hc, f, _ := oauthClient(t)
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ string) bool {
		writeJSON(w, 400, `{"error":"invalid_grant"}`)
		return true
	})
	resp, err := hc.Get(crm.URL + "/persons")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 401 {
		t.Errorf("response %d %q, want 401", resp.StatusCode, body)
	}
	if n := len(crm.requests()); n != 1 {
		t.Errorf("CRM got %d requests, want 1", n)
	}
}

func TestTransportRenewFailureIsAnError(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "at-1")
	hc, f, _ := oauthClient(t)
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ string) bool {
		w.WriteHeader(503)
		return true
	})
	resp, err := hc.Get(crm.URL + "/persons")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Errorf("Get = %v, %v; want the token endpoint's 503", resp, err)
	}
}

// A user whose session is revoked fails before the CRM is called, with an
// error the server can recognise through the *url.Error.
func TestTransportApplyFails(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "")
	f := newFakeOAuth(t, true, "rt-other")
	r := newTestRefresher(f, newMemStore(userKey, expiredToken))
	hc := &http.Client{Transport: NewTransport(nil, r.Credentials(userKey))}
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, err := http.NewRequest("POST", crm.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Do(req); !errors.Is(err, ErrRevoked) {
		t.Errorf("err = %v, want ErrRevoked", err)
	}
	if n := len(crm.requests()); n != 0 {
		t.Errorf("CRM got %d requests", n)
	}
	if !body.closed {
		t.Error("request body not closed")
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestAPIKeyCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		scheme func(*http.Request, string)
		want   crmRequest
	}{
		{"header", auth.HeaderScheme("X-Api-Token"), crmRequest{APIToken: "key-123"}},
		{"nil is bearer", nil, crmRequest{Authorization: "Bearer key-123"}},
		{"basic", auth.BasicAuthScheme, crmRequest{Authorization: "Basic a2V5LTEyMzo="}},
		{"custom", func(r *http.Request, key string) { r.Header.Set("Authorization", "Token token="+key) },
			crmRequest{Authorization: "Token token=key-123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := newFakeCRM(t, "")
			hc := &http.Client{Transport: NewTransport(nil, APIKey("key-123", tt.scheme))}
			resp, err := hc.Get(crm.URL)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if diff := cmp.Diff([]crmRequest{tt.want}, crm.requests()); diff != "" {
				t.Errorf("CRM saw (-want +got):\n%s", diff)
			}
		})
	}

	// An API key cannot be renewed: a 401 goes straight back.
	crm := newFakeCRM(t, "something else")
	c := APIKey("key-123", nil)
	hc := &http.Client{Transport: NewTransport(nil, c)}
	resp, err := hc.Get(crm.URL)
	if err != nil {
		t.Fatal(err)
	}
	if readAll(t, resp); resp.StatusCode != 401 || len(crm.requests()) != 1 {
		t.Errorf("status %d after %d requests, want one 401", resp.StatusCode, len(crm.requests()))
	}
	if ok, err := c.Renew(context.Background()); ok || err != nil {
		t.Errorf("Renew = %v, %v; want false, nil", ok, err)
	}
	if out := sprintAll(c); strings.Contains(out, "key-123") {
		t.Errorf("formatted credentials show the key: %s", out)
	}
}

// countingCredentials is a Credentials whose Renew always offers a new
// header value, to see that the transport retries at most once.
type countingCredentials struct {
	mu       sync.Mutex
	applied  int
	renewals int
}

func (c *countingCredentials) Apply(_ context.Context, r *http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applied++
	r.Header.Set("Authorization", "Bearer try-"+string(rune('0'+c.applied)))
	return nil
}

func (c *countingCredentials) Renew(context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.renewals++
	return true, nil
}

func TestTransportRetriesOnlyOnce(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "never")
	c := &countingCredentials{}
	hc := &http.Client{Transport: NewTransport(nil, c)}
	resp, err := hc.Post(crm.URL, "text/plain", strings.NewReader("b"))
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	want := []crmRequest{{Authorization: "Bearer try-1", Body: "b"}, {Authorization: "Bearer try-2", Body: "b"}}
	if diff := cmp.Diff(want, crm.requests()); diff != "" {
		t.Errorf("CRM saw (-want +got):\n%s", diff)
	}
	if c.renewals != 1 || resp.StatusCode != 401 {
		t.Errorf("%d renewals, status %d; want 1 and 401", c.renewals, resp.StatusCode)
	}
}

// Credentials.Renew on its own renews the token last applied.
func TestBearerCredentialsRenew(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)})
	c := newTestRefresher(f, ts).Credentials(userKey)
	req := httptest.NewRequest("GET", "/", nil)
	if err := c.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	ok, err := c.Renew(context.Background())
	if !ok || err != nil {
		t.Fatalf("Renew = %v, %v", ok, err)
	}
	if err := c.Apply(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer at-1" {
		t.Errorf("after Renew: %q, want Bearer at-1", got)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
	// The credentials remember the token last applied: no verb shows it.
	if out := sprintAll(c); strings.Contains(out, "at-1") || !strings.Contains(out, userKey) {
		t.Errorf("formatted credentials: %s", out)
	}
}

// Concurrent requests refused with the same token share one refresh.
func TestTransportConcurrent401(t *testing.T) {
	t.Parallel()
	crm := newFakeCRM(t, "at-1")
	hc, f, _ := oauthClient(t)
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Go(func() {
			resp, err := hc.Get(crm.URL)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
}
