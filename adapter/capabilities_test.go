package adapter

import (
	"context"
	"slices"
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

// selfWrapper unwraps to itself: Discover must stop.
type selfWrapper struct{ everything }

func (s selfWrapper) Unwrap() Adapter { return s }
func (selfWrapper) Auth() AuthConfig  { return AuthConfig{} }

func TestCapabilitiesNames(t *testing.T) {
	if got := Discover(fiveMethods{}).Names(); got == nil || len(got) != 0 {
		t.Errorf("five methods: Names() = %#v, want empty", got)
	}
	if got, want := Discover(everything{inner: withCreator{}}).Names(), []string{"ContactCreator"}; !slices.Equal(got, want) {
		t.Errorf("wrapper of withCreator: Names() = %v, want %v", got, want)
	}
	if got, want := Discover(everything{inner: everything{inner: fiveMethods{}}}).Names(), []string{}; !slices.Equal(got, want) {
		t.Errorf("wrappers of five methods: Names() = %v, want %v", got, want)
	}
}

// TestDiscoverWrapDepth: wrappers deeper than maxWrapDepth, ten times over
// or without end, report no capability instead of looping.
func TestDiscoverWrapDepth(t *testing.T) {
	var deep Adapter = withCreator{}
	for range maxWrapDepth - 1 {
		deep = everything{inner: deep}
	}
	if Discover(deep).ContactCreator == nil {
		t.Errorf("%d layers: ContactCreator lost", maxWrapDepth)
	}
	for range 10 * maxWrapDepth {
		deep = everything{inner: deep}
	}
	if got := Discover(deep).Names(); len(got) != 0 {
		t.Errorf("%d layers: Names() = %v, want none", 11*maxWrapDepth, got)
	}
	if got := Discover(selfWrapper{}).Names(); len(got) != 0 {
		t.Errorf("a wrapper of itself: Names() = %v, want none", got)
	}
}
