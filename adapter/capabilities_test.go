package adapter

import (
	"context"
	"testing"
)

type fiveMethods struct{}

func (fiveMethods) Platform() string { return "five" }
func (fiveMethods) Auth() AuthConfig { return AuthConfig{Type: AuthAPIKey} }
func (fiveMethods) GetUserInfo(context.Context, UserInfoRequest) (UserInfo, error) {
	return UserInfo{}, nil
}
func (fiveMethods) FindContacts(context.Context, FindContactsRequest) (FindContactsResult, error) {
	return FindContactsResult{}, nil
}
func (fiveMethods) CreateCallLog(context.Context, CreateCallLogRequest) (CreateCallLogResult, error) {
	return CreateCallLogResult{}, nil
}

// withCreator adds ContactCreator.
type withCreator struct{ fiveMethods }

func (withCreator) CreateContact(context.Context, CreateContactRequest) (CreateContactResult, error) {
	return CreateContactResult{}, nil
}

// everything forwards every capability, like adaptertest's recorder.
type everything struct{ inner Adapter }

func (e everything) Unwrap() Adapter  { return e.inner }
func (e everything) Platform() string { return e.inner.Platform() }
func (e everything) Auth() AuthConfig { return e.inner.Auth() }
func (e everything) GetUserInfo(context.Context, UserInfoRequest) (UserInfo, error) {
	return UserInfo{}, nil
}
func (everything) FindContacts(context.Context, FindContactsRequest) (FindContactsResult, error) {
	return FindContactsResult{}, nil
}
func (everything) CreateCallLog(context.Context, CreateCallLogRequest) (CreateCallLogResult, error) {
	return CreateCallLogResult{}, nil
}
func (everything) CreateContact(context.Context, CreateContactRequest) (CreateContactResult, error) {
	return CreateContactResult{}, nil
}
func (everything) GetCallLog(context.Context, GetCallLogRequest) (GetCallLogResult, error) {
	return GetCallLogResult{}, nil
}
func (everything) Unauthorize(context.Context, UnauthorizeRequest) (UnauthorizeResult, error) {
	return UnauthorizeResult{}, nil
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	five := Discover(fiveMethods{}).ImplementedInterfaces()
	for k, v := range five {
		required := map[string]bool{"getAuthType": true, "getBasicAuth": true, "getUserInfo": true, "findContact": true, "createCallLog": true}
		if v != required[k] {
			t.Errorf("five methods: %s = %t, want %t", k, v, required[k])
		}
	}
	if len(five) != 25 {
		t.Errorf("%d keys; want the 25 of the reference contract but cacheCallNote", len(five))
	}
	c := Discover(withCreator{})
	if c.ContactCreator == nil || c.CallLogReader != nil || !c.ImplementedInterfaces()["createContact"] {
		t.Errorf("withCreator: %+v", c)
	}

	// A Wrapper has the wrapped adapter's capabilities, served by itself.
	w := everything{inner: withCreator{}}
	wc := Discover(w)
	if _, ok := wc.ContactCreator.(everything); !ok {
		t.Errorf("wrapper's ContactCreator is %T, want the wrapper", wc.ContactCreator)
	}
	if wc.CallLogReader != nil || wc.Unauthorizer != nil {
		t.Errorf("wrapper reports capabilities the wrapped adapter lacks: %+v", wc)
	}
	// Nested wrappers unwrap all the way.
	if Discover(everything{inner: w}).ContactCreator == nil || Discover(everything{inner: fiveMethods{}}).ContactCreator != nil {
		t.Errorf("nested wrappers")
	}
}
