package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrNoRevokeURL is returned by Revoke for a provider without RevokeURL.
var ErrNoRevokeURL = errors.New("auth: provider has no revocation endpoint")

// Revoke asks the provider to revoke token (RFC 7009), authenticating the
// client as for the token endpoint. hint is "refresh_token",
// "access_token" or "". Revoking a refresh token normally ends the access
// tokens issued with it too. A redirect is never followed (it would replay
// the token to another URL) and counts as a failure. The returned error
// never contains the token.
func (p Provider) Revoke(ctx context.Context, hc *http.Client, token, hint string) error {
	if p.RevokeURL == "" {
		return ErrNoRevokeURL
	}
	hc = noRedirects(hc)
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if p.AuthStyle == AuthInBody {
		form.Set("client_id", p.ClientID)
		form.Set("client_secret", p.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("auth: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if p.AuthStyle != AuthInBody {
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is ours, but keep errors short and uniform
		}
		return fmt.Errorf("auth: revoke: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	fields, _ := parseTokenBody(resp.Header.Get("Content-Type"), body)
	if code, _ := fields["error"].(string); code != "" {
		desc, _ := fields["error_description"].(string)
		return fmt.Errorf("auth: revoke: %w", &OAuthError{StatusCode: resp.StatusCode, Code: code, Description: redact(desc, token, p.ClientSecret)})
	}
	return fmt.Errorf("auth: revoke: %w", &StatusError{StatusCode: resp.StatusCode})
}
