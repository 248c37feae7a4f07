package credential

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/crmbridge/crmbridge/auth"
)

// ErrNoRevokeURL is returned by Revoke for a provider without RevokeURL.
var ErrNoRevokeURL = errors.New("credential: provider has no revocation endpoint")

// Revoke asks the provider to revoke token (RFC 7009), authenticating the
// client as for the token endpoint. hint is "refresh_token",
// "access_token" or "". Revoking a refresh token normally ends the access
// tokens issued with it too. A redirect is never followed (it would replay
// the token to another URL) and counts as a failure. The returned error
// never contains the token.
func Revoke(ctx context.Context, p auth.Provider, hc *http.Client, token, hint string) error {
	if p.RevokeURL == "" {
		return ErrNoRevokeURL
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	resp, err := postClientForm(ctx, p, hc, p.RevokeURL, form)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is ours, but keep errors short and uniform
		}
		return fmt.Errorf("credential: revoke: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	fields, _ := parseTokenBody(resp.Header.Get("Content-Type"), body)
	if code, _ := fields["error"].(string); code != "" {
		desc, _ := fields["error_description"].(string)
		return fmt.Errorf("credential: revoke: %w", &OAuthError{StatusCode: resp.StatusCode, Code: redact(code, token, p.ClientSecret), Description: redact(desc, token, p.ClientSecret)})
	}
	return fmt.Errorf("credential: revoke: %w", &StatusError{StatusCode: resp.StatusCode})
}
