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
// errors. It implements adapter.Adapter; [wrap] adds exactly
// the optional interfaces the wrapped adapter has, so the server sees the
// same capabilities.
type recorder struct {
	inner      adapter.Adapter
	searcher   adapter.ContactSearcher
	disposer   adapter.DispositionSetter
	manifester adapter.Manifester
	validator  adapter.AuthValidator

	mu    sync.Mutex
	calls []call
}

func newRecorder(a adapter.Adapter) *recorder {
	r := &recorder{inner: a}
	r.searcher, _ = a.(adapter.ContactSearcher)
	r.disposer, _ = a.(adapter.DispositionSetter)
	r.manifester, _ = a.(adapter.Manifester)
	r.validator, _ = a.(adapter.AuthValidator)
	return r
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

// recordErr is record for methods that return only an error.
func recordErr[Req any](r *recorder, method string, req Req, f func() error) error {
	_, err := record(r, method, req, func() (struct{}, error) { return struct{}{}, f() })
	return err
}

func (r *recorder) Platform() string         { return r.inner.Platform() }
func (r *recorder) Auth() adapter.AuthConfig { return r.inner.Auth() }

func (r *recorder) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	return record(r, mUserInfo, req, func() (adapter.UserInfo, error) { return r.inner.GetUserInfo(ctx, req) })
}

func (r *recorder) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	return record(r, mFind, req, func() (adapter.FindContactsResult, error) { return r.inner.FindContacts(ctx, req) })
}

func (r *recorder) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	return record(r, mCreateContact, req, func() (adapter.CreateContactResult, error) { return r.inner.CreateContact(ctx, req) })
}

func (r *recorder) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	return record(r, mCreateCall, req, func() (adapter.CreateCallLogResult, error) { return r.inner.CreateCallLog(ctx, req) })
}

func (r *recorder) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	return record(r, mGetCall, req, func() (adapter.GetCallLogResult, error) { return r.inner.GetCallLog(ctx, req) })
}

func (r *recorder) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	return record(r, mUpdateCall, req, func() (adapter.UpdateCallLogResult, error) { return r.inner.UpdateCallLog(ctx, req) })
}

func (r *recorder) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	return record(r, mCreateMessage, req, func() (adapter.CreateMessageLogResult, error) { return r.inner.CreateMessageLog(ctx, req) })
}

func (r *recorder) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) error {
	return recordErr(r, mUpdateMessage, req, func() error { return r.inner.UpdateMessageLog(ctx, req) })
}

func (r *recorder) Unauthorize(ctx context.Context, req adapter.UnauthorizeRequest) error {
	return recordErr(r, mUnauthorize, req, func() error { return r.inner.Unauthorize(ctx, req) })
}

// The optional capabilities, each a separate type so that wrap can compose
// exactly the set the wrapped adapter has.

type searchCap struct{ r *recorder }

func (c searchCap) SearchContacts(ctx context.Context, req adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	return record(c.r, mSearch, req, func() (adapter.FindContactsResult, error) { return c.r.searcher.SearchContacts(ctx, req) })
}

type dispositionCap struct{ r *recorder }

func (c dispositionCap) SetCallDisposition(ctx context.Context, req adapter.SetCallDispositionRequest) error {
	return recordErr(c.r, mDisposition, req, func() error { return c.r.disposer.SetCallDisposition(ctx, req) })
}

type manifestCap struct{ r *recorder }

func (c manifestCap) Manifest() json.RawMessage { return c.r.manifester.Manifest() }

type validateCap struct{ r *recorder }

func (c validateCap) ValidateAuth(ctx context.Context, req adapter.ValidateAuthRequest) error {
	return recordErr(c.r, mValidate, req, func() error { return c.r.validator.ValidateAuth(ctx, req) })
}

// wrap returns r as an adapter with the same optional interfaces as the
// wrapped adapter: one composition per subset of the four capabilities.
func wrap(r *recorder) adapter.Adapter {
	s, d, m, v := searchCap{r}, dispositionCap{r}, manifestCap{r}, validateCap{r}
	var set int
	for i, has := range []bool{r.searcher != nil, r.disposer != nil, r.manifester != nil, r.validator != nil} {
		if has {
			set |= 1 << i
		}
	}
	switch set {
	case 0b0000:
		return r
	case 0b0001:
		return struct {
			*recorder
			searchCap
		}{r, s}
	case 0b0010:
		return struct {
			*recorder
			dispositionCap
		}{r, d}
	case 0b0011:
		return struct {
			*recorder
			searchCap
			dispositionCap
		}{r, s, d}
	case 0b0100:
		return struct {
			*recorder
			manifestCap
		}{r, m}
	case 0b0101:
		return struct {
			*recorder
			searchCap
			manifestCap
		}{r, s, m}
	case 0b0110:
		return struct {
			*recorder
			dispositionCap
			manifestCap
		}{r, d, m}
	case 0b0111:
		return struct {
			*recorder
			searchCap
			dispositionCap
			manifestCap
		}{r, s, d, m}
	case 0b1000:
		return struct {
			*recorder
			validateCap
		}{r, v}
	case 0b1001:
		return struct {
			*recorder
			searchCap
			validateCap
		}{r, s, v}
	case 0b1010:
		return struct {
			*recorder
			dispositionCap
			validateCap
		}{r, d, v}
	case 0b1011:
		return struct {
			*recorder
			searchCap
			dispositionCap
			validateCap
		}{r, s, d, v}
	case 0b1100:
		return struct {
			*recorder
			manifestCap
			validateCap
		}{r, m, v}
	case 0b1101:
		return struct {
			*recorder
			searchCap
			manifestCap
			validateCap
		}{r, s, m, v}
	case 0b1110:
		return struct {
			*recorder
			dispositionCap
			manifestCap
			validateCap
		}{r, d, m, v}
	default:
		return struct {
			*recorder
			searchCap
			dispositionCap
			manifestCap
			validateCap
		}{r, s, d, m, v}
	}
}

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
