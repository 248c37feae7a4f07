package adapter

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotFound reports that a CRM record the request refers to does not exist
// (any more). The client sees a warning naming the record. Wrap it to say
// which record: fmt.Errorf("deal %s: %w", id, adapter.ErrNotFound).
var ErrNotFound = errors.New("crm record not found")

// ErrUnauthorized reports that the CRM refused the user's credentials even
// after the SDK refreshed them once. The client is told to connect again
// (HTTP 401, errorCode CRM_SESSION_REVOKED).
var ErrUnauthorized = errors.New("crm refused the credentials")

// RateLimitError reports that the CRM throttled the request (HTTP 429). The
// client sees a "Rate limit exceeded" warning naming the CRM and the wait.
type RateLimitError struct {
	// RetryAfter is how long the CRM asked to wait; 0 when it did not say.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *RateLimitError) Error() string {
	msg := "crm rate limit exceeded"
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// UserError is a refusal the user should read as it is, typically the CRM's
// own validation message ("Subject is too long"). Its Message goes to the
// client verbatim, so it must hold nothing secret.
type UserError struct {
	// Message is shown to the user.
	Message string
	// Err is the underlying error, logged but not shown.
	Err error
}

// Error implements error.
func (e *UserError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the underlying error.
func (e *UserError) Unwrap() error { return e.Err }
