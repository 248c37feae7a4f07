package pipedrive

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
// user's token, to the user's API base URL. Errors are classified for the
// server (adapter.ErrUnauthorized, adapter.ErrNotFound,
// *adapter.RateLimitError, *adapter.UserError) and name the method and path
// but never the query (it may hold a phone number) or any credential.
type api = adapter.JSONClient

// newAPI is the api of the client hc at base.
func newAPI(hc *http.Client, base string) api {
	return api{Client: hc, BaseURL: base, Name: "pipedrive", MaxBody: maxBody, Error: answerError, Decode: decodeData}
}

// answerError reads the message of a non-2xx answer's envelope.
func answerError(resp *http.Response, raw []byte) error {
	var env envelope
	_ = json.Unmarshal(raw, &env) // a body that is not an envelope has no message
	return statusError(resp, env.Error)
}

// decodeData decodes the data of a 2xx answer's envelope into out (when
// not nil); an envelope that says success=false is an error.
func decodeData(raw []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	if !env.Success {
		return fmt.Errorf("success=false: %s", clip(env.Error))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding data: %w", err)
	}
	return nil
}

// statusError maps a non-2xx answer to the adapter's error classes with
// adapter.ResponseError; a 429 without Retry-After waits for
// x-ratelimit-reset (seconds until Pipedrive's window resets).
func statusError(resp *http.Response, message string) error {
	err := adapter.ResponseError(resp, message)
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); ok && rl.RetryAfter == 0 {
		rl.RetryAfter = resetAfter(resp.Header)
	}
	return err
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
