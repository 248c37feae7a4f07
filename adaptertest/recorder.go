package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/crmbridge/crmbridge/adapter"
)

// Method names of the adapter contract, as the recorder files calls.
const (
	mUserInfo      = "GetUserInfo"
	mFind          = "FindContacts"
	mSearch        = "SearchContacts"
	mCreateContact = "CreateContact"
	mCreateCall    = "CreateCallLog"
	mGetCall       = "GetCallLog"
	mUpdateCall    = "UpdateCallLog"
	mDisposition   = "SetCallDisposition"
	mCreateMessage = "CreateMessageLog"
	mUpdateMessage = "UpdateMessageLog"
	mUnauthorize   = "Unauthorize"
	mValidate      = "ValidateAuth"
	mFindCall      = "FindCallLog"
	mLicense       = "LicenseStatus"
	mListUsers     = "ListUsers"
)

// call is one adapter call as the server made it: the request struct the
// adapter saw, what it returned, and a panic if it panicked.
type call struct {
	method   string
	req      any
	res      any
	err      error
	panicked any
}

// recorder wraps the adapter under test and files every call the server
// makes, so the suite can check what the adapter returned in the adapter's
// own terms ("CreateCallLog returned an empty log id"), not only through
// the server's answer. Panics are filed and returned to the server as
// errors. It implements every optional capability and is an
// adapter.Wrapper, so adapter.Discover gives the server exactly the
// wrapped adapter's capabilities.
type recorder struct {
	inner adapter.Adapter
	// caps are the wrapped adapter's capabilities, as the server sees them.
	caps adapter.Capabilities

	mu    sync.Mutex
	calls []call
}

var _ adapter.Wrapper = (*recorder)(nil)

func newRecorder(a adapter.Adapter) *recorder {
	return &recorder{inner: a, caps: adapter.Discover(a)}
}

// mark is a position in the call list; since returns the calls after it.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) since(mark int) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls[mark:]...)
}

func (r *recorder) add(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// errPanicked is what the recorder returns to the server in place of an
// adapter's panic. The server recovers panics of request handlers, but not
// of every goroutine it starts (GetCallLog runs concurrently), so letting a
// panic through could end the whole test binary instead of failing one check.
var errPanicked = errors.New("adaptertest: the adapter panicked")

// record runs f and files the call. A panic is filed and turned into an
// error wrapping errPanicked.
func record[Req, Res any](r *recorder, method string, req Req, f func() (Res, error)) (res Res, err error) {
	c := call{method: method, req: req}
	defer func() {
		if p := recover(); p != nil {
			c.panicked = p
			var zero Res
			res, err = zero, fmt.Errorf("%w in %s: %v", errPanicked, method, p)
		} else {
			c.res, c.err = res, err
		}
		r.add(c)
	}()
	return f()
}

// Unwrap returns the adapter under test (adapter.Wrapper).
func (r *recorder) Unwrap() adapter.Adapter { return r.inner }

func (r *recorder) Platform() string         { return r.inner.Platform() }
func (r *recorder) Auth() adapter.AuthConfig { return r.inner.Auth() }

func (r *recorder) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	return record(r, mUserInfo, req, func() (adapter.UserInfo, error) { return r.inner.GetUserInfo(ctx, req) })
}

func (r *recorder) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	return record(r, mFind, req, func() (adapter.FindContactsResult, error) { return r.inner.FindContacts(ctx, req) })
}

func (r *recorder) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	return record(r, mCreateCall, req, func() (adapter.CreateCallLogResult, error) { return r.inner.CreateCallLog(ctx, req) })
}

// The optional capabilities. adapter.Discover calls each only when the
// wrapped adapter has it, so r.caps' member is never nil here.

func (r *recorder) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	return record(r, mCreateContact, req, func() (adapter.CreateContactResult, error) { return r.caps.ContactCreator.CreateContact(ctx, req) })
}

func (r *recorder) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	return record(r, mGetCall, req, func() (adapter.GetCallLogResult, error) { return r.caps.CallLogReader.GetCallLog(ctx, req) })
}

func (r *recorder) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	return record(r, mUpdateCall, req, func() (adapter.UpdateCallLogResult, error) { return r.caps.CallLogUpdater.UpdateCallLog(ctx, req) })
}

func (r *recorder) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	return record(r, mCreateMessage, req, func() (adapter.CreateMessageLogResult, error) { return r.caps.MessageLogger.CreateMessageLog(ctx, req) })
}

func (r *recorder) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	return record(r, mUpdateMessage, req, func() (adapter.UpdateMessageLogResult, error) { return r.caps.MessageLogger.UpdateMessageLog(ctx, req) })
}

func (r *recorder) Unauthorize(ctx context.Context, req adapter.UnauthorizeRequest) (adapter.UnauthorizeResult, error) {
	return record(r, mUnauthorize, req, func() (adapter.UnauthorizeResult, error) { return r.caps.Unauthorizer.Unauthorize(ctx, req) })
}

func (r *recorder) SearchContacts(ctx context.Context, req adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	return record(r, mSearch, req, func() (adapter.FindContactsResult, error) { return r.caps.ContactSearcher.SearchContacts(ctx, req) })
}

func (r *recorder) SetCallDisposition(ctx context.Context, req adapter.SetCallDispositionRequest) (adapter.SetCallDispositionResult, error) {
	return record(r, mDisposition, req, func() (adapter.SetCallDispositionResult, error) {
		return r.caps.DispositionSetter.SetCallDisposition(ctx, req)
	})
}

func (r *recorder) ValidateAuth(ctx context.Context, req adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	return record(r, mValidate, req, func() (adapter.ValidateAuthResult, error) { return r.caps.AuthValidator.ValidateAuth(ctx, req) })
}

func (r *recorder) FindCallLog(ctx context.Context, req adapter.FindCallLogRequest) (adapter.FindCallLogResult, error) {
	return record(r, mFindCall, req, func() (adapter.FindCallLogResult, error) { return r.caps.CallLogFinder.FindCallLog(ctx, req) })
}

func (r *recorder) LicenseStatus(ctx context.Context, req adapter.LicenseStatusRequest) (adapter.LicenseStatus, error) {
	return record(r, mLicense, req, func() (adapter.LicenseStatus, error) { return r.caps.LicenseChecker.LicenseStatus(ctx, req) })
}

func (r *recorder) ListUsers(ctx context.Context, req adapter.ListUsersRequest) (adapter.ListUsersResult, error) {
	return record(r, mListUsers, req, func() (adapter.ListUsersResult, error) { return r.caps.UserLister.ListUsers(ctx, req) })
}

func (r *recorder) Manifest() json.RawMessage { return r.caps.Manifester.Manifest() }

func (r *recorder) DefaultSettings() adapter.Settings {
	return r.caps.SettingsDefaulter.DefaultSettings()
}

func (r *recorder) CacheContactMatches() bool { return r.caps.ContactCachePolicy.CacheContactMatches() }

func (r *recorder) LogFormat() adapter.LogFormat { return r.caps.LogFormatter.LogFormat() }

// calls returns the calls of one method with their typed request and
// result.
type typedCall[Req, Res any] struct {
	req      Req
	res      Res
	err      error
	panicked any
}

func callsOf[Req, Res any](calls []call, method string) []typedCall[Req, Res] {
	var out []typedCall[Req, Res]
	for _, c := range calls {
		if c.method != method {
			continue
		}
		tc := typedCall[Req, Res]{err: c.err, panicked: c.panicked}
		tc.req, _ = c.req.(Req)
		tc.res, _ = c.res.(Res)
		out = append(out, tc)
	}
	return out
}

// failureOf describes how a call failed, or "" when it did not.
func failureOf(c call) string {
	switch {
	case c.panicked != nil:
		return fmt.Sprintf("%s panicked: %v", c.method, c.panicked)
	case c.err != nil:
		return fmt.Sprintf("%s returned an error: %v", c.method, c.err)
	}
	return ""
}
