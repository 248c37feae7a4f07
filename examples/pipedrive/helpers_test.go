package pipedrive_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/phone"
)

const redirectURL = "https://app.example/oauth-callback"

// env is an adapter logged in to a fake Pipedrive as one user.
type env struct {
	fake    *fakepipedrive.Server
	a       *pipedrive.Adapter
	userID  int
	access  string
	refresh string
	sess    adapter.Session
}

func testConfig(fake *fakepipedrive.Server) pipedrive.Config {
	return pipedrive.Config{OAuth: auth.Provider{
		ClientID:     fakepipedrive.DefaultClientID,
		ClientSecret: fakepipedrive.DefaultClientSecret,
		RedirectURL:  redirectURL,
		AuthURL:      fake.AuthURL(),
		TokenURL:     fake.TokenURL(),
		RevokeURL:    fake.RevokeURL(),
	}}
}

// newEnv starts a fake, adds a user, gives it a token and logs it in
// through GetUserInfo, as the server does after the OAuth callback.
func newEnv(t testing.TB, fakeOpts []fakepipedrive.Option, opts ...pipedrive.Option) *env {
	t.Helper()
	fake := fakepipedrive.New(fakeOpts...)
	t.Cleanup(fake.Close)
	a, err := pipedrive.New(testConfig(fake), opts...)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{fake: fake, a: a}
	e.userID = fake.AddUser(fakepipedrive.User{
		Name: "Ada Lovelace", Email: "ada@example.com", Timezone: "Europe/Berlin", TimezoneOffset: "+01:00",
	})
	e.access, e.refresh = fake.IssueToken(e.userID)
	e.sess = e.login(t, e.access)
	return e
}

// login runs GetUserInfo with token and returns the session the server
// would build from its answer.
func (e *env) login(t testing.TB, token string) adapter.Session {
	t.Helper()
	client := bearerClient(token)
	info, err := e.a.GetUserInfo(context.Background(), adapter.UserInfoRequest{
		Client:     client,
		TokenExtra: map[string]any{"api_domain": e.fake.URL()},
	})
	if err != nil {
		t.Fatalf("GetUserInfo: %v", err)
	}
	return adapter.Session{
		User: adapter.User{
			ID: info.ID, Platform: pipedrive.Platform, Hostname: info.Hostname,
			Timezone: info.Timezone, Extra: info.Extra,
		},
		Client: client,
	}
}

// bearerClient sends "Authorization: Bearer <token>" on every request.
func bearerClient(token string) *http.Client {
	return &http.Client{Transport: credential.NewTransport(nil, credential.APIKey(token, auth.BearerScheme))}
}

// query builds the PhoneQuery the server would for raw and the user's
// overridingFormat patterns.
func query(t testing.TB, raw string, formats ...string) adapter.PhoneQuery {
	t.Helper()
	n, err := phone.Parse(raw)
	if err != nil {
		t.Fatalf("phone.Parse(%q): %v", raw, err)
	}
	f := phone.CompileFormats(strings.Join(formats, ","))
	return adapter.PhoneQuery{Raw: n.E164(), Number: n, Candidates: phone.Candidates(n, f, 0)}
}

// memTokens is an in-memory credential.TokenStore for one process.
type memTokens struct {
	mu     sync.Mutex
	tokens map[string]credential.Token
	locks  map[string]*sync.Mutex
}

func newMemTokens() *memTokens {
	return &memTokens{tokens: map[string]credential.Token{}, locks: map[string]*sync.Mutex{}}
}

func (m *memTokens) LoadToken(_ context.Context, key string) (credential.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[key]
	if !ok {
		return credential.Token{}, errors.New("no token")
	}
	return t, nil
}

func (m *memTokens) SaveToken(_ context.Context, key string, t credential.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[key] = t
	return nil
}

func (m *memTokens) LockRefresh(_ context.Context, key string) (func(), error) {
	m.mu.Lock()
	l, ok := m.locks[key]
	if !ok {
		l = &sync.Mutex{}
		m.locks[key] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock, nil
}
