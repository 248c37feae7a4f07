package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/auth"
)

func ExampleJWTIssuer() {
	secret := []byte("an example secret of 32+ bytes!!") // from the server's configuration
	issuer, err := auth.NewJWTIssuer(secret)
	if err != nil {
		panic(err)
	}
	token, err := issuer.Issue("12345-pipedrive", "pipedrive")
	if err != nil {
		panic(err)
	}

	claims, err := issuer.Verify(token)
	fmt.Println(claims.ID, claims.Platform, err)
	fmt.Println("renew now:", issuer.ShouldRenew(claims))

	_, err = issuer.Verify(token + "x")
	fmt.Println(errors.Is(err, auth.ErrInvalidJWT), errors.Is(err, auth.ErrJWTSignature))
	// Output:
	// 12345-pipedrive pipedrive <nil>
	// renew now: false
	// true true
}

func ExampleSealingKeyRing() {
	key, err := auth.GenerateSealingKey("2026-03")
	if err != nil {
		panic(err)
	}
	// key.Encode() is what goes into the server's secret configuration.
	ring, err := auth.ParseSealingKeyRing(key.Encode())
	if err != nil {
		panic(err)
	}

	// The user's key is the additional data: the sealed token opens only
	// in that user's row.
	sealed, err := ring.Seal([]byte("access-token-of-the-crm"), []byte("12345-pipedrive"))
	if err != nil {
		panic(err)
	}
	plain, err := ring.Open(sealed, []byte("12345-pipedrive"))
	fmt.Println(string(plain), err)

	_, err = ring.Open(sealed, []byte("67890-pipedrive"))
	fmt.Println(errors.Is(err, auth.ErrCiphertext))
	// Output:
	// access-token-of-the-crm <nil>
	// true
}

func ExampleNewSealingKeyRing_rotation() {
	oldKey, _ := auth.GenerateSealingKey("2025-01")
	newKey, _ := auth.GenerateSealingKey("2026-03")

	before, _ := auth.NewSealingKeyRing(oldKey)
	sealed, _ := before.Seal([]byte("token"), []byte("user"))

	// After rotation the new key seals; the old one still opens.
	after, _ := auth.NewSealingKeyRing(newKey, oldKey)
	plain, err := after.Open(sealed, []byte("user"))
	fmt.Println(string(plain), err)

	id, _ := auth.SealedKeyID(sealed)
	fmt.Println("re-seal:", id != after.PrimaryID())
	// Output:
	// token <nil>
	// re-seal: true
}

// exampleStore is the smallest TokenStore: one process, tokens in memory.
type exampleStore struct {
	mu     sync.Mutex
	tokens map[string]auth.Token
	lock   sync.Mutex
}

func (s *exampleStore) LoadToken(_ context.Context, key string) (auth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[key], nil
}

func (s *exampleStore) SaveToken(_ context.Context, key string, t auth.Token) error {
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

	store := &exampleStore{tokens: map[string]auth.Token{
		"12345-acme": {AccessToken: "old-access", RefreshToken: "old-refresh", Expiry: time.Now().Add(-time.Minute)},
	}}
	provider := auth.Provider{TokenURL: crm.URL + "/oauth/token", ClientID: "app", ClientSecret: "app-secret"}
	refresher := auth.NewRefresher(provider, store)

	tok, err := refresher.Token(context.Background(), "12345-acme")
	fmt.Println(tok.AccessToken, tok.Extra["api_domain"], err)
	fmt.Println("stored:", store.tokens["12345-acme"].RefreshToken)

	// An adapter's client carries the user's token and retries once after
	// a 401.
	client := &http.Client{Transport: auth.NewTransport(nil, refresher.Credentials("12345-acme"))}
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

func ExampleAPIKeyCredentials() {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("x-api-key:", r.Header.Get("X-Api-Key"))
	}))
	defer crm.Close()

	client := &http.Client{Transport: auth.NewTransport(nil, auth.APIKeyCredentials("the-key", auth.HeaderScheme("X-Api-Key")))}
	resp, err := client.Get(crm.URL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// Output:
	// x-api-key: the-key
}
