package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// maxBody bounds how much of a HubSpot response is read.
const maxBody = 4 << 20

// api sends requests for one user: the session's client, which carries the
// user's token, to HubSpot's API base URL.
type api = adapter.JSONClient

func (a *Adapter) api(s adapter.Session) api { return a.apiOf(s.Client) }

func (a *Adapter) apiOf(hc *http.Client) api {
	return api{Client: hc, BaseURL: a.cfg.APIBase, Name: "hubspot", MaxBody: maxBody, Error: answerError}
}

// hubspotError is HubSpot's error body.
type hubspotError struct {
	Message    string `json:"message"`
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
}

// answerError reads HubSpot's error body of a non-2xx answer.
func answerError(resp *http.Response, raw []byte) error {
	var he hubspotError
	_ = json.Unmarshal(raw, &he) // a body that is not HubSpot's leaves he empty
	return statusError(resp, he)
}

// statusError maps a non-2xx answer to the adapter's error classes with
// adapter.ResponseError, naming HubSpot's error category in the detail. A
// 429 without Retry-After waits for the rate-limit window
// (X-HubSpot-RateLimit-Interval-Milliseconds) of a secondly or burst
// policy, else one second; a daily limit resets at midnight in the
// account's time zone, which the answer does not say: the wait is then left
// unknown (0).
func statusError(resp *http.Response, he hubspotError) error {
	err := adapter.ResponseError(resp, he.Message)
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); ok && rl.RetryAfter == 0 {
		rl.RetryAfter = windowWait(resp.Header, he)
	}
	if kinds := slices.DeleteFunc([]string{he.Category, he.ErrorType}, func(s string) bool { return s == "" }); len(kinds) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(kinds, "/"), err)
	}
	return err
}

// windowWait is the wait of a 429 that has no Retry-After.
func windowWait(h http.Header, he hubspotError) time.Duration {
	if strings.EqualFold(he.PolicyName, "DAILY") {
		return 0
	}
	if v := strings.TrimSpace(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); v != "" {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 && ms <= 86_400_000 {
			return (time.Duration(ms) * time.Millisecond).Round(time.Second)
		}
	}
	return time.Second
}

// parseID reads a HubSpot record id (a positive integer).
func parseID(kind, id string) (string, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return "", &adapter.UserError{Message: fmt.Sprintf("%q is not a HubSpot %s id.", id, kind)}
	}
	return strconv.FormatInt(n, 10), nil
}

// keyedMutex serializes read-modify-write cycles on one record within this
// process, waiting no longer than the context allows.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	for {
		k.mu.Lock()
		if k.locks == nil {
			k.locks = map[string]chan struct{}{}
		}
		ch, held := k.locks[key]
		if !held {
			ch = make(chan struct{})
			k.locks[key] = ch
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.locks, key)
				k.mu.Unlock()
				close(ch)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
