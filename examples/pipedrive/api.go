package pipedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmbridge/crmbridge/adapter"
)

// maxBody bounds how much of a Pipedrive response is read.
const maxBody = 4 << 20

// maxUserMessage bounds a Pipedrive error message shown to the user.
const maxUserMessage = 300

// envelope is the frame of every Pipedrive API response, v1 and v2.
type envelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   string          `json:"error"`
}

// api sends requests for one user: the session's client, which carries the
// user's token, and the user's API base URL.
type api struct {
	client *http.Client
	base   string
}

// do sends method path?query with body as JSON (when not nil) and decodes
// the response's data into out (when not nil). Errors are classified for
// the server (adapter.ErrUnauthorized, adapter.ErrNotFound,
// *adapter.RateLimitError, *adapter.UserError) and name the method and path
// but never the query (it may hold a phone number) or any credential.
func (c api) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("pipedrive: %s %s: encoding request: %w", method, path, err)
		}
		rd = bytes.NewReader(b) // lets the transport replay it after a token refresh
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("pipedrive: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL, query included: keep only its cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("pipedrive: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("pipedrive: %s %s: reading response: %w", method, path, err)
	}
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(method, path, resp, env.Error)
	}
	if jsonErr != nil {
		return fmt.Errorf("pipedrive: %s %s: decoding response: %w", method, path, jsonErr)
	}
	if !env.Success {
		return fmt.Errorf("pipedrive: %s %s: success=false: %s", method, path, clip(env.Error))
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("pipedrive: %s %s: decoding data: %w", method, path, err)
		}
	}
	return nil
}

// statusError maps a non-2xx answer to the adapter's error classes with
// adapter.ResponseError; a 429 without Retry-After waits for
// x-ratelimit-reset (seconds until Pipedrive's window resets).
func statusError(method, path string, resp *http.Response, message string) error {
	err := adapter.ResponseError(resp, message)
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); ok && rl.RetryAfter == 0 {
		rl.RetryAfter = resetAfter(resp.Header)
	}
	return fmt.Errorf("pipedrive: %s %s: %w", method, path, err)
}

// resetAfter reads x-ratelimit-reset, Pipedrive's seconds until its rate
// window resets; 0 when absent or unreadable.
func resetAfter(h http.Header) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("x-ratelimit-reset"))); err == nil && n >= 0 && n <= 86400 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// clip shortens s to maxUserMessage runes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxUserMessage {
		return s
	}
	r := []rune(s)
	return string(r[:maxUserMessage]) + "…"
}
