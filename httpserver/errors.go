package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/store"
)

// Texts the real client depends on.
const (
	textAuthorize      = "Please go to Settings and authorize CRM platform"
	textSessionExpired = "User session expired. Please connect again."
	errorCodeRevoked   = "CRM_SESSION_REVOKED"
)

// errSessionGone means the JWT is valid but the user cannot act: the user row
// is gone, holds no credentials, or its refresh token was revoked.
var errSessionGone = errors.New("crm session gone")

// errStore marks a failure of the store (not a missing row): the answer is
// 503, and the handler has stopped before writing anything further.
var errStore = errors.New("store failure")

// storeErr classifies an error returned by the store.
func storeErr(err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%w: %w", errStore, err)
}

// storeDown reports whether err means the store cannot be reached (PROTOCOL.md
// §7: the only case answered 503). A store failure of a request that ran
// out of time is the timeout, answered with the operation's warning like any
// other timeout; a store that answered but refused the statement is a bug
// answered with the operation's warning, details in the log.
func storeDown(r *http.Request, err error) bool {
	if !errors.Is(err, errStore) || !errors.Is(err, store.ErrUnavailable) {
		return false
	}
	outOfTime := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || r.Context().Err() != nil
	return !outOfTime
}

// errInvalidManifest means an adapter's Manifest is not JSON: a bug in the
// adapter, reported as a generic error.
var errInvalidManifest = errors.New("adapter manifest is not valid JSON")

// operation names what a handler was doing, for the client's warning and
// the log: "Error finding contact", "Call log not found".
type operation struct {
	name   string // "finding contact"
	record string // "Contact", the record ErrNotFound is about
	// list names the array the route's answer always carries ("contact",
	// "logs", "logIds"); a failure answers it empty.
	list string
}

var (
	opFindContact    = operation{"finding contact", "Contact", "contact"}
	opCreateContact  = operation{"creating contact", "Contact", ""}
	opSearchContacts = operation{"searching contacts", "Contact", "contact"}
	opCreateCallLog  = operation{"creating call log", "Contact", ""}
	opGetCallLog     = operation{"getting call log", "Call log", "logs"}
	opUpdateCallLog  = operation{"updating call log", "Call log", ""}
	opDisposition    = operation{"updating call disposition", "Call log", ""}
	opMessageLog     = operation{"logging messages", "Message log", "logIds"}
	opAuthValidation = operation{"validating authorization", "User", ""}
	opUnauthorize    = operation{"disconnecting", "User", ""}
	opSettings       = operation{"saving settings", "User", ""}
	opCacheNote      = operation{"caching note", "Call log", ""}
	opAdmin          = operation{"reading admin settings", "User", ""}
	opAdminSave      = operation{"saving admin settings", "User", ""}
	opUserMapping    = operation{"mapping users", "User", ""}
)

// revokedBody is the 401 of PROTOCOL.md §4.
type revokedBody struct {
	envelope
	ErrorCode string `json:"errorCode"`
}

// fail answers a data route that failed: the single mapping of errors to the
// wire protocol (PROTOCOL.md §7). Details go to the log, never to the client,
// except a *adapter.UserError's message which is meant for the user.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, op operation, crm string, err error) {
	s.failWith(w, r, op, crm, err, []string{})
}

// failWith is fail whose answer carries list as the route's array (op.list):
// what the request did before it failed, such as the messages it logged.
func (s *Server) failWith(w http.ResponseWriter, r *http.Request, op operation, crm string, err error, list []string) {
	requestInfo(r.Context()).err = err
	writeFailure := func(status int, m *returnMessage) {
		if op.list == "" {
			writeJSON(w, status, failure(m))
			return
		}
		writeJSON(w, status, map[string]any{"successful": false, "returnMessage": m, op.list: list})
	}
	var (
		rl *adapter.RateLimitError
		ue *adapter.UserError
	)
	switch {
	case storeDown(r, err):
		writeFailure(http.StatusServiceUnavailable,
			msgError("The server cannot reach its database right now. Please try again in a moment."))
	case errors.Is(err, errSessionGone), errors.Is(err, adapter.ErrUnauthorized), errors.Is(err, credential.ErrRevoked):
		writeJSON(w, http.StatusUnauthorized, revokedBody{
			envelope:  failure(msgWarning(textSessionExpired)),
			ErrorCode: errorCodeRevoked,
		})
	case errors.As(err, &rl):
		m := msgWarning("Rate limit exceeded")
		wait := "a moment"
		if rl.RetryAfter > 0 {
			wait = strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))) + " seconds"
		}
		m.Details = []detail{{Title: "Details", Items: []detailItem{{
			ID: "1", Type: "text", Text: fmt.Sprintf("%s limits how many requests it accepts. Please wait %s and try again.", crm, wait),
		}}}}
		writeFailure(http.StatusOK, m)
	case errors.As(err, &ue) && ue.Message != "":
		writeFailure(http.StatusOK, msgWarning(ue.Message))
	case errors.Is(err, adapter.ErrNotFound):
		writeFailure(http.StatusOK, msgWarning(op.record+" not found in "+crm))
	default:
		writeFailure(http.StatusOK, msgWarning("Error "+op.name))
	}
	level := slog.LevelWarn
	if storeDown(r, err) {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request failed",
		slog.String("request_id", requestInfo(r.Context()).id),
		slog.String("operation", op.name),
		slog.String("platform", crm),
		slog.String("error", logSafe(err)),
		slog.Bool("timeout", errors.Is(err, context.DeadlineExceeded)))
}

// logSafe renders an error for the log. An *url.Error (what an adapter's
// HTTP client returns) quotes the whole request URL, and its query may hold
// a phone number or a token: only scheme, host and path are kept.
func logSafe(err error) string {
	msg := err.Error()
	for e := err; e != nil; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		if u, perr := url.Parse(ue.URL); perr == nil && (u.RawQuery != "" || u.Fragment != "" || u.User != nil) {
			safe := u.Scheme + "://" + u.Host + u.Path
			msg = strings.ReplaceAll(msg, strconv.Quote(ue.URL), strconv.Quote(safe))
			msg = strings.ReplaceAll(msg, ue.URL, safe)
		} else if perr != nil {
			msg = strings.ReplaceAll(msg, ue.URL, "(unparsable URL)")
		}
		e = ue.Err
	}
	return msg
}
