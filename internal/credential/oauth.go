package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmbridge/crmbridge/auth"
)

// maxTokenResponse bounds how much of a token endpoint's answer is read.
const maxTokenResponse = 1 << 20

// defaultHTTPClient is used when a caller passes no *http.Client: unlike
// http.DefaultClient it cannot hang forever on a silent provider.
var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

var (
	// ErrInvalidGrant matches an *OAuthError whose Code is "invalid_grant":
	// the code or refresh token is invalid, expired or revoked.
	ErrInvalidGrant = errors.New("credential: invalid_grant")
	// ErrRevoked is returned by Refresher when the user's refresh token is
	// definitively refused (after re-reading the store) or when there is no
	// refresh token to use: the user must log in again.
	ErrRevoked = errors.New("credential: CRM session revoked")
)

// Token is an OAuth 2.0 token response (RFC 6749 §5.1). Its String and
// LogValue methods hide the tokens.
type Token struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	// Expiry is when AccessToken expires, from expires_in; zero when the
	// provider did not say.
	Expiry time.Time
	// Extra holds every other field of the response, for example
	// Pipedrive's "api_domain". JSON numbers are json.Number.
	Extra map[string]any
}

// String shows the token's shape without the tokens themselves.
func (t Token) String() string {
	return fmt.Sprintf("credential.Token{type: %s, access: %s, refresh: %s, expiry: %s}",
		t.TokenType, presence(t.AccessToken), presence(t.RefreshToken), t.Expiry.Format(time.RFC3339))
}

// GoString is String.
func (t Token) GoString() string { return t.String() }

// Format prints String for every verb: without it, %d or %t would print
// the fields, the tokens included.
func (t Token) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// LogValue makes log/slog record the token's shape, not its secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.TokenType),
		slog.Bool("access", t.AccessToken != ""),
		slog.Bool("refresh", t.RefreshToken != ""),
		slog.Time("expiry", t.Expiry),
	)
}

func presence(s string) string {
	if s == "" {
		return "none"
	}
	return "redacted"
}

// OAuthError is an error response of a token endpoint (RFC 6749 §5.2).
type OAuthError struct {
	// StatusCode is the HTTP status; some providers answer 200.
	StatusCode int
	// Code is the "error" field, e.g. "invalid_grant", redacted and cut as
	// Description is (it is the provider's text too).
	Code string
	// Description is "error_description", with any credential we sent
	// removed (also form-encoded), cut to 512 bytes.
	Description string
}

// Error never includes a token or a client secret.
func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("credential: token endpoint refused (HTTP %d): %s", e.StatusCode, e.Code)
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Is makes errors.Is(err, ErrInvalidGrant) true for Code "invalid_grant".
func (e *OAuthError) Is(target error) bool {
	return target == ErrInvalidGrant && e.Code == "invalid_grant"
}

// StatusError is a token endpoint answer that is neither a token nor an
// OAuth error body, e.g. a 500 or a 502 from a proxy. Nothing of the body
// is kept.
type StatusError struct {
	StatusCode int
}

// Error names the HTTP status; it never includes the body.
func (e *StatusError) Error() string {
	return fmt.Sprintf("credential: token endpoint answered HTTP %d without an OAuth response", e.StatusCode)
}

// Exchange trades an authorization code for a token (RFC 6749 §4.1.3). A
// nil hc means a client with a 30-second timeout. The context bounds the
// whole request. A redirect is never followed: it fails with *StatusError.
func Exchange(ctx context.Context, p auth.Provider, hc *http.Client, code string) (Token, error) {
	form := url.Values{
		"grant_type": {"authorization_code"},
		"code":       {code},
	}
	if p.RedirectURL != "" {
		form.Set("redirect_uri", p.RedirectURL)
	}
	t, err := tokenRequest(ctx, p, hc, form, code, time.Now)
	if err != nil {
		return Token{}, fmt.Errorf("credential: exchange code: %w", err)
	}
	return t, nil
}

// Refresh trades a refresh token for a new token (RFC 6749 §6). When the
// response carries no refresh_token, the result keeps refreshToken; when it
// does, the caller must store the new one before using the access token
// (Refresher does). A nil hc means a client with a 30-second timeout. A
// redirect is never followed: it fails with *StatusError.
func Refresh(ctx context.Context, p auth.Provider, hc *http.Client, refreshToken string) (Token, error) {
	return refresh(ctx, p, hc, refreshToken, time.Now)
}

// refresh is Refresh with the clock that computes Expiry.
func refresh(ctx context.Context, p auth.Provider, hc *http.Client, refreshToken string, now func() time.Time) (Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	t, err := tokenRequest(ctx, p, hc, form, refreshToken, now)
	if err != nil {
		return Token{}, fmt.Errorf("credential: refresh token: %w", err)
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// noRedirects returns a copy of hc (defaultHTTPClient when nil) that never
// follows a redirect: a token or revocation request carries a code, a
// refresh token or the client secret, and a 307/308 would replay that body
// to wherever the Location points. A redirect answer is returned as it is,
// and the callers treat it as a failure (non-2xx).
func noRedirects(hc *http.Client) *http.Client {
	if hc == nil {
		hc = defaultHTTPClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// postClientForm posts form to endpoint, a token or revocation endpoint of
// p, authenticating the client as p.AuthStyle says, and never follows a
// redirect (see noRedirects).
func postClientForm(ctx context.Context, p auth.Provider, hc *http.Client, endpoint string, form url.Values) (*http.Response, error) {
	if p.AuthStyle == auth.AuthInBody {
		form.Set("client_id", p.ClientID)
		form.Set("client_secret", p.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if p.AuthStyle != auth.AuthInBody {
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	}
	return noRedirects(hc).Do(req)
}

// tokenRequest posts form to the token endpoint with the client's
// credentials and parses the answer. sent is the grant's secret, removed
// from any error description the provider echoes.
func tokenRequest(ctx context.Context, p auth.Provider, hc *http.Client, form url.Values, sent string, now func() time.Time) (Token, error) {
	resp, err := postClientForm(ctx, p, hc, p.TokenURL, form)
	if err != nil {
		return Token{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return Token{}, fmt.Errorf("read response (HTTP %d): %w", resp.StatusCode, err)
	}
	fields, parseErr := parseTokenBody(resp.Header.Get("Content-Type"), body)
	if code, _ := fields["error"].(string); code != "" {
		desc, _ := fields["error_description"].(string)
		return Token{}, &OAuthError{
			StatusCode:  resp.StatusCode,
			Code:        redact(code, sent, p.ClientSecret),
			Description: redact(desc, sent, p.ClientSecret),
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Token{}, &StatusError{StatusCode: resp.StatusCode}
	}
	if parseErr != nil {
		return Token{}, fmt.Errorf("token response (HTTP %d) unreadable: %w", resp.StatusCode, parseErr)
	}
	return tokenFromFields(fields, now())
}

// parseTokenBody reads a JSON object or, for the providers that answer so
// by default, a form-encoded body.
func parseTokenBody(contentType string, body []byte) (map[string]any, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("form body does not parse")
		}
		fields := make(map[string]any, len(v))
		for k := range v {
			fields[k] = v.Get(k)
		}
		return fields, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var fields map[string]any
	// The decoder's own error could quote the body, which may hold a token.
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, errors.New("not a JSON object")
	}
	return fields, nil
}

func tokenFromFields(fields map[string]any, now time.Time) (Token, error) {
	var t Token
	var ok bool
	if t.AccessToken, ok = fields["access_token"].(string); !ok || t.AccessToken == "" {
		return Token{}, errors.New("token response has no access_token")
	}
	if v, present := fields["refresh_token"]; present {
		if t.RefreshToken, ok = v.(string); !ok {
			return Token{}, errors.New("token response: refresh_token is not a string")
		}
	}
	if v, present := fields["token_type"]; present {
		if t.TokenType, ok = v.(string); !ok {
			return Token{}, errors.New("token response: token_type is not a string")
		}
	}
	if v, present := fields["expires_in"]; present {
		secs, err := expiresIn(v)
		if err != nil {
			return Token{}, err
		}
		if secs > 0 {
			t.Expiry = now.Add(time.Duration(secs) * time.Second)
		}
	}
	for _, k := range []string{"access_token", "refresh_token", "token_type", "expires_in"} {
		delete(fields, k)
	}
	if len(fields) > 0 {
		t.Extra = fields
	}
	return t, nil
}

// maxExpiresIn keeps an absurd expires_in from overflowing time.Duration.
const maxExpiresIn = 100 * 365 * 24 * 3600

// expiresIn reads expires_in, which providers send as a number or as a
// numeric string.
func expiresIn(v any) (int64, error) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	case nil:
		return 0, nil
	default:
		return 0, errors.New("token response: expires_in is not a number")
	}
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, errors.New("token response: expires_in is not a non-negative number")
	}
	return int64(min(f, maxExpiresIn)), nil
}

// maxDescription bounds the provider's error_description an OAuthError
// keeps, in bytes: it goes into errors and log lines, and a provider may
// answer with up to maxTokenResponse of it.
const maxDescription = 512

// redact removes secrets from provider-supplied text, as we sent them and
// form-encoded (a provider may echo the request body), then bounds the
// text to maxDescription bytes. Redacting first means the cut can never
// leave part of a secret behind.
func redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			s = strings.ReplaceAll(s, form, "[redacted]")
		}
	}
	if len(s) > maxDescription {
		cut := maxDescription
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
