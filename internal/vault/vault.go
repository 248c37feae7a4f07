package vault

import (
	"errors"
	"fmt"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/store"
)

// ErrNotStored matches the errors of OpenToken and OpenAPIKey for a user
// row that holds no credential of the kind asked for.
var ErrNotStored = errors.New("vault: credential not stored")

// notStoredError reads as which credential is missing and matches
// ErrNotStored.
type notStoredError struct{ what string }

func (e notStoredError) Error() string      { return "no " + e.what + " stored" }
func (notStoredError) Is(target error) bool { return target == ErrNotStored }

// Secrets are a user's CRM credentials in plain text. Seal skips the
// empty ones.
type Secrets struct {
	AccessToken  string
	RefreshToken string
	APIKey       string
}

// Vault seals and opens users' CRM credentials. It is safe for concurrent
// use.
type Vault struct {
	ring *auth.SealingKeyRing
}

// New returns a Vault sealing with ring's primary key and opening with any
// of its keys.
func New(ring *auth.SealingKeyRing) *Vault { return &Vault{ring: ring} }

// additionalData is what a credential is sealed with: the field and the
// user key, so a sealed value cannot be moved to another user's row or
// another column and still open.
func additionalData(field, userKey string) []byte {
	return []byte("crmbridge/" + field + "/" + userKey)
}

// Seal seals the non-empty secrets of the user userKey into the store's
// columns; empty ones stay nil.
func (v *Vault) Seal(userKey string, s Secrets) (store.Tokens, error) {
	var t store.Tokens
	for _, f := range []struct {
		name, value string
		dst         *[]byte
	}{
		{"access", s.AccessToken, &t.AccessToken},
		{"refresh", s.RefreshToken, &t.RefreshToken},
		{"apikey", s.APIKey, &t.APIKey},
	} {
		if f.value == "" {
			continue
		}
		sealed, err := v.ring.Seal([]byte(f.value), additionalData(f.name, userKey))
		if err != nil {
			return store.Tokens{}, fmt.Errorf("sealing %s: %w", f.name, err)
		}
		*f.dst = sealed
	}
	return t, nil
}

// OpenToken unseals the OAuth token of a user row, with TokenType
// "Bearer" and the row's expiry. It fails with ErrNotStored when the row
// has neither an access nor a refresh token, and with the key ring's error
// when a sealed value does not open.
func (v *Vault) OpenToken(u store.User) (credential.Token, error) {
	if len(u.AccessToken) == 0 && len(u.RefreshToken) == 0 {
		return credential.Token{}, notStoredError{"OAuth tokens"}
	}
	tok := credential.Token{TokenType: "Bearer", Expiry: u.TokenExpiry}
	if len(u.AccessToken) > 0 {
		b, err := v.ring.Open(u.AccessToken, additionalData("access", u.Key))
		if err != nil {
			return credential.Token{}, fmt.Errorf("stored access token cannot be opened: %w", err)
		}
		tok.AccessToken = string(b)
	}
	if len(u.RefreshToken) > 0 {
		b, err := v.ring.Open(u.RefreshToken, additionalData("refresh", u.Key))
		if err != nil {
			return credential.Token{}, fmt.Errorf("stored refresh token cannot be opened: %w", err)
		}
		tok.RefreshToken = string(b)
	}
	return tok, nil
}

// OpenAPIKey unseals the API key of a user row. It fails with
// ErrNotStored when the row has none, and with the key ring's error when
// it does not open.
func (v *Vault) OpenAPIKey(u store.User) (string, error) {
	if len(u.APIKey) == 0 {
		return "", notStoredError{"API key"}
	}
	b, err := v.ring.Open(u.APIKey, additionalData("apikey", u.Key))
	if err != nil {
		return "", fmt.Errorf("stored API key cannot be opened: %w", err)
	}
	return string(b), nil
}
