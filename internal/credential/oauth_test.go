package credential

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/auth"
)

const testClientSecret = "s3cr:et/+&=x" // characters RFC 6749 §2.3.1 escapes

// newTokenServer starts a fake OAuth token endpoint serving h, stopped when
// the test ends.
func newTokenServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func testProvider(tokenURL string) auth.Provider {
	return auth.Provider{
		AuthURL:      "https://crm.example/oauth/authorize",
		TokenURL:     tokenURL,
		ClientID:     "client id",
		ClientSecret: testClientSecret,
		RedirectURL:  "https://app.example/oauth-callback",
		Scopes:       []string{"contacts:read", "calls:write"},
	}
}

// tokenRequestSeen is what the fake endpoint observed of a request.
type tokenRequestSeen struct {
	Method, ContentType, Accept string
	BasicUser, BasicPass        string
	HasBasic                    bool
	Form                        url.Values
}

func observe(t *testing.T, r *http.Request) tokenRequestSeen {
	t.Helper()
	if err := r.ParseForm(); err != nil {
		t.Errorf("token endpoint: %v", err)
	}
	s := tokenRequestSeen{
		Method:      r.Method,
		ContentType: r.Header.Get("Content-Type"),
		Accept:      r.Header.Get("Accept"),
		Form:        r.PostForm,
	}
	if u, p, ok := r.BasicAuth(); ok {
		s.HasBasic = true
		var err1, err2 error
		s.BasicUser, err1 = url.QueryUnescape(u)
		s.BasicPass, err2 = url.QueryUnescape(p)
		if err1 != nil || err2 != nil {
			t.Errorf("Basic credentials not form-encoded: %v %v", err1, err2)
		}
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func TestExchangeBasicAuth(t *testing.T) {
	t.Parallel()
	var seen tokenRequestSeen
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen = observe(t, r)
		writeJSON(w, 200, `{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600,
			"api_domain":"https://acme.pipedrive.com","scope":"base","user_id":12345678901234567}`)
	})
	before := time.Now()
	tok, err := Exchange(context.Background(), testProvider(srv.URL), srv.Client(), "the-code")
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}

	wantSeen := tokenRequestSeen{
		Method: "POST", ContentType: "application/x-www-form-urlencoded", Accept: "application/json",
		HasBasic: true, BasicUser: "client id", BasicPass: testClientSecret,
		Form: url.Values{
			"grant_type":   {"authorization_code"},
			"code":         {"the-code"},
			"redirect_uri": {"https://app.example/oauth-callback"},
		},
	}
	if diff := cmp.Diff(wantSeen, seen); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	wantTok := Token{
		AccessToken: "at-1", RefreshToken: "rt-1", TokenType: "Bearer",
		Extra: map[string]any{
			"api_domain": "https://acme.pipedrive.com",
			"scope":      "base",
			"user_id":    json.Number("12345678901234567"),
		},
	}
	if diff := cmp.Diff(wantTok, tok, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Expiry" }, cmp.Ignore())); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if tok.Expiry.Before(before.Add(time.Hour)) || tok.Expiry.After(after.Add(time.Hour)) {
		t.Errorf("Expiry %v not an hour after the call (%v..%v)", tok.Expiry, before, after)
	}
}

func TestExchangeAuthInBody(t *testing.T) {
	t.Parallel()
	var seen tokenRequestSeen
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen = observe(t, r)
		writeJSON(w, 200, `{"access_token":"at-1","token_type":"bearer"}`)
	})
	p := testProvider(srv.URL)
	p.AuthStyle = auth.AuthInBody
	tok, err := Exchange(context.Background(), p, srv.Client(), "the-code")
	if err != nil {
		t.Fatal(err)
	}
	wantForm := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"the-code"},
		"redirect_uri":  {"https://app.example/oauth-callback"},
		"client_id":     {"client id"},
		"client_secret": {testClientSecret},
	}
	if diff := cmp.Diff(wantForm, seen.Form); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
	if seen.HasBasic {
		t.Error("AuthInBody also sent Basic credentials")
	}
	if diff := cmp.Diff(Token{AccessToken: "at-1", TokenType: "bearer"}, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s (no expires_in means zero Expiry)", diff)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		response    string
		wantRefresh string
		wantExpiry  time.Duration
	}{
		{"rotated", `{"access_token":"at-2","refresh_token":"rt-2","expires_in":3599}`, "rt-2", 3599 * time.Second},
		{"not rotated keeps the old one", `{"access_token":"at-2","expires_in":"7200"}`, "rt-1", 2 * time.Hour},
		{"empty refresh_token keeps the old one", `{"access_token":"at-2","refresh_token":"","expires_in":60.0}`, "rt-1", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen tokenRequestSeen
			srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
				seen = observe(t, r)
				writeJSON(w, 200, tt.response)
			})
			tok, err := refresh(context.Background(), testProvider(srv.URL), srv.Client(), "rt-1", fixedClock(testNow))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-1"}}, seen.Form); diff != "" {
				t.Errorf("form (-want +got):\n%s", diff)
			}
			if !seen.HasBasic || seen.BasicUser != "client id" || seen.BasicPass != testClientSecret {
				t.Errorf("client authentication: %+v", seen)
			}
			want := Token{AccessToken: "at-2", RefreshToken: tt.wantRefresh, Expiry: testNow.Add(tt.wantExpiry)}
			if diff := cmp.Diff(want, tok); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
		})
	}

	// The exported Refresh goes through the same path.
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"access_token":"at-3"}`)
	})
	tok, err := Refresh(context.Background(), testProvider(srv.URL), nil, "rt-1")
	if err != nil || tok.AccessToken != "at-3" || tok.RefreshToken != "rt-1" {
		t.Errorf("Refresh = %v, %v", tok, err)
	}
}

func TestFormEncodedTokenResponse(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		io.WriteString(w, "access_token=at-1&token_type=bearer&scope=repo")
	})
	tok, err := Exchange(context.Background(), testProvider(srv.URL), srv.Client(), "c")
	if err != nil {
		t.Fatal(err)
	}
	want := Token{AccessToken: "at-1", TokenType: "bearer", Extra: map[string]any{"scope": "repo"}}
	if diff := cmp.Diff(want, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantOAuth   *OAuthError // nil: not an OAuthError
		wantStatus  int         // non-zero: a *StatusError with this code
		wantGrant   bool
	}{
		{"invalid_grant", 400, "application/json", `{"error":"invalid_grant","error_description":"refresh token expired"}`,
			&OAuthError{StatusCode: 400, Code: "invalid_grant", Description: "refresh token expired"}, 0, true},
		{"invalid_grant echoing the token", 400, "application/json", `{"error":"invalid_grant","error_description":"token rt-secret-1 is revoked"}`,
			&OAuthError{StatusCode: 400, Code: "invalid_grant", Description: "token [redacted] is revoked"}, 0, true},
		{"invalid_client echoing the client secret", 401, "application/json", `{"error":"invalid_client","error_description":"bad ` + testClientSecret + `"}`,
			&OAuthError{StatusCode: 401, Code: "invalid_client", Description: "bad [redacted]"}, 0, false},
		{"invalid_client echoing the form-encoded client secret", 401, "application/json", `{"error":"invalid_client","error_description":"bad client_secret=` + url.QueryEscape(testClientSecret) + `"}`,
			&OAuthError{StatusCode: 401, Code: "invalid_client", Description: "bad client_secret=[redacted]"}, 0, false},
		{"description of ten times the bound", 400, "application/json", `{"error":"invalid_grant","error_description":"` + strings.Repeat("é", 10*maxDescription/2) + `"}`,
			&OAuthError{StatusCode: 400, Code: "invalid_grant", Description: strings.Repeat("é", maxDescription/2) + "…"}, 0, true},
		{"error code echoing the token", 400, "application/json", `{"error":"bad token rt-secret-1"}`,
			&OAuthError{StatusCode: 400, Code: "bad token [redacted]"}, 0, false},
		{"error with HTTP 200", 200, "application/json", `{"error":"invalid_code"}`,
			&OAuthError{StatusCode: 200, Code: "invalid_code"}, 0, false},
		{"500 text", 500, "text/html", `<h1>Internal Server Error</h1>`, nil, 500, false},
		{"502 JSON without error", 502, "application/json", `{"message":"bad gateway"}`, nil, 502, false},
		{"200 without access_token", 200, "application/json", `{"token_type":"bearer"}`, nil, 0, false},
		{"200 not JSON", 200, "application/json", `access_token rt-secret-1`, nil, 0, false},
		{"200 JSON array", 200, "application/json", `["at"]`, nil, 0, false},
		{"bad expires_in", 200, "application/json", `{"access_token":"at-secret","expires_in":"soon"}`, nil, 0, false},
		{"negative expires_in", 200, "application/json", `{"access_token":"at-secret","expires_in":-5}`, nil, 0, false},
		{"access_token not a string", 200, "application/json", `{"access_token":5}`, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			tok, err := Refresh(context.Background(), testProvider(srv.URL), srv.Client(), "rt-secret-1")
			if err == nil {
				t.Fatalf("no error; token %v", tok)
			}
			if got := errors.Is(err, ErrInvalidGrant); got != tt.wantGrant {
				t.Errorf("errors.Is(err, ErrInvalidGrant) = %v, want %v (err %v)", got, tt.wantGrant, err)
			}
			var oe *OAuthError
			if errors.As(err, &oe) {
				if diff := cmp.Diff(tt.wantOAuth, oe); diff != "" {
					t.Errorf("OAuthError (-want +got):\n%s", diff)
				}
			} else if tt.wantOAuth != nil {
				t.Errorf("err %v is not an *OAuthError", err)
			}
			var se *StatusError
			if errors.As(err, &se) != (tt.wantStatus != 0) || se != nil && se.StatusCode != tt.wantStatus {
				t.Errorf("err %v: StatusError %+v, want status %d", err, se, tt.wantStatus)
			}
			for _, secret := range []string{"rt-secret-1", "at-secret", testClientSecret, url.QueryEscape(testClientSecret)} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

// A provider that never answers does not hold the caller past its context.
func TestTokenEndpointHangs(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// Cleanups run last-in first-out: release the handler, then srv.Close
	// (registered above) can return.
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Exchange(ctx, testProvider(srv.URL), srv.Client(), "c")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestTokenAndProviderDoNotPrintSecrets(t *testing.T) {
	t.Parallel()
	tok := Token{AccessToken: "at-secret", RefreshToken: "rt-secret", TokenType: "bearer", Expiry: testNow}
	p := testProvider("https://crm.example/token")
	for _, out := range []string{sprintAll(tok), sprintAll(&tok), tok.LogValue().String(), sprintAll(p)} {
		for _, secret := range []string{"at-secret", "rt-secret", testClientSecret} {
			if strings.Contains(out, secret) {
				t.Errorf("%q shows %q", out, secret)
			}
		}
	}
}
