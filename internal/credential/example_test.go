package credential_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
)

// exampleStore is the smallest TokenStore: one process, tokens in memory.
type exampleStore struct {
	mu     sync.Mutex
	tokens map[string]credential.Token
	lock   sync.Mutex
}

func (s *exampleStore) LoadToken(_ context.Context, key string) (credential.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[key], nil
}

func (s *exampleStore) SaveToken(_ context.Context, key string, t credential.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[key] = t
	return nil
}

func (s *exampleStore) LockRefresh(context.Context, string) (func(), error) {
	s.lock.Lock()
	return s.lock.Unlock, nil
}

func ExampleRefresher() {
	// A CRM: a token endpoint that rotates refresh tokens, and an API.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"new-access","refresh_token":"new-refresh","expires_in":3600,"api_domain":"https://acme.example"}`)
	})
	mux.HandleFunc("GET /api/persons", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("CRM got:", r.Header.Get("Authorization"))
	})
	crm := httptest.NewServer(mux)
	defer crm.Close()

	store := &exampleStore{tokens: map[string]credential.Token{
		"12345-acme": {AccessToken: "old-access", RefreshToken: "old-refresh", Expiry: time.Now().Add(-time.Minute)},
	}}
	provider := auth.Provider{TokenURL: crm.URL + "/oauth/token", ClientID: "app", ClientSecret: "app-secret"}
	refresher := credential.NewRefresher(provider, store)

	tok, err := refresher.Token(context.Background(), "12345-acme")
	fmt.Println(tok.AccessToken, tok.Extra["api_domain"], err)
	fmt.Println("stored:", store.tokens["12345-acme"].RefreshToken)

	// An adapter's client carries the user's token and retries once after
	// a 401.
	client := &http.Client{Transport: credential.NewTransport(nil, refresher.Credentials("12345-acme"))}
	resp, err := client.Get(crm.URL + "/api/persons")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// Output:
	// new-access https://acme.example <nil>
	// stored: new-refresh
	// CRM got: Bearer new-access
}

func ExampleAPIKey() {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("x-api-key:", r.Header.Get("X-Api-Key"))
	}))
	defer crm.Close()

	client := &http.Client{Transport: credential.NewTransport(nil, credential.APIKey("the-key", auth.HeaderScheme("X-Api-Key")))}
	resp, err := client.Get(crm.URL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// Output:
	// x-api-key: the-key
}
