package pipedrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// Unauthorize revokes the user's refresh token at Pipedrive, which ends the
// app's access for that user (RFC 7009). adapter.UnauthorizeRequest does not
// carry the refresh token, so the adapter asks the RefreshTokenLookup given
// with WithRefreshTokenLookup; without one, or when the user has no refresh
// token, it returns ErrNoRefreshToken. The server erases the stored
// credentials whatever this returns.
func (a *Adapter) Unauthorize(ctx context.Context, req adapter.UnauthorizeRequest) error {
	if a.refreshToken == nil {
		return ErrNoRefreshToken
	}
	rt, err := a.refreshToken(ctx, req.User)
	if err != nil {
		return fmt.Errorf("pipedrive: looking up the refresh token: %w", err)
	}
	if rt == "" {
		return ErrNoRefreshToken
	}
	return a.Revoke(ctx, rt)
}

// Revoke revokes refreshToken at the revocation endpoint, authenticating
// the app with HTTP Basic as Pipedrive requires. Pipedrive then refuses the
// refresh token and the access tokens issued with it. The returned error
// never contains the token.
func (a *Adapter) Revoke(ctx context.Context, refreshToken string) error {
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, "POST", a.cfg.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("pipedrive: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(a.cfg.ClientID), url.QueryEscape(a.cfg.ClientSecret))
	resp, err := a.oauthClient.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("pipedrive: revoke: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // only for the error code
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &body) // a non-JSON body leaves Error empty
	msg := fmt.Sprintf("pipedrive: revoke: HTTP %d", resp.StatusCode)
	if body.Error != "" {
		msg += ": " + clip(body.Error)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return &adapter.RateLimitError{RetryAfter: retryAfter(resp.Header, time.Now()), Err: errors.New(msg)}
	}
	return errors.New(msg)
}
