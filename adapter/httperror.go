package adapter

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxSafeMessage bounds the CRM message a [*UserError] built by
// [ResponseError] shows the user, in runes.
const maxSafeMessage = 200

// ResponseError turns a CRM's answer into the error class the server maps
// to the client's answer (PROTOCOL.md §7); nil for a 2xx status. Call it
// after reading the body, with the CRM's own explanation when its body has
// one (e.g. a validation message), or "":
//
//   - 401 wraps [ErrUnauthorized] (the SDK has already refreshed and
//     retried once; the user must connect again);
//   - 404 and 410 wrap [ErrNotFound];
//   - 400, 403, 409 and 422 are a [*UserError] whose Message is message
//     (control characters removed, at most 200 runes) or, when that is
//     empty, a fixed text naming the status;
//   - 429 is a [*RateLimitError] whose RetryAfter is the Retry-After header,
//     in seconds or as an HTTP date (RFC 9110 §10.2.3); 0 when absent,
//     unreadable or in the past;
//   - anything else (5xx, 3xx the client did not follow) is a plain error.
//
// The error text holds the status and the message, never the request URL
// (its query may carry a phone number or a key). Wrap the result to say
// which call failed: fmt.Errorf("mycrm GET /contacts: %w", err).
func ResponseError(resp *http.Response, message string) error {
	return responseError(resp, message, time.Now())
}

// responseError is ResponseError with the clock given, for the table test.
func responseError(resp *http.Response, message string, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	message = safeMessage(message)
	detail := fmt.Sprintf("HTTP %d", code)
	if message != "" {
		detail += ": " + message
	}
	switch code {
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: %w", detail, ErrUnauthorized)
	case http.StatusNotFound, http.StatusGone:
		return fmt.Errorf("%s: %w", detail, ErrNotFound)
	case http.StatusTooManyRequests:
		return &RateLimitError{RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now), Err: errors.New(detail)}
	case http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity:
		shown := message
		if shown == "" {
			shown = fmt.Sprintf("The CRM refused the request (HTTP %d %s).", code, http.StatusText(code))
		}
		return &UserError{Message: shown, Err: errors.New(detail)}
	}
	return errors.New(detail)
}

// retryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		// A day is far beyond any CRM's window; a larger value is noise.
		if n < 0 || n > 86400 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		if d := t.Sub(now).Round(time.Second); d <= 24*time.Hour {
			return d
		}
	}
	return 0
}

// safeMessage trims a CRM's message, drops control characters and clips it
// to maxSafeMessage runes, so that it can be shown as it is.
func safeMessage(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
	if utf8.RuneCountInString(s) <= maxSafeMessage {
		return s
	}
	return string([]rune(s)[:maxSafeMessage]) + "…"
}
