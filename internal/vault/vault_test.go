package vault_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/internal/vault"
	"github.com/crmbridge/crmbridge/store"
)

func newRing(t *testing.T, id string) *auth.SealingKeyRing {
	t.Helper()
	k, err := auth.GenerateSealingKey(id)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := auth.NewSealingKeyRing(k)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func TestSealOpenRoundTrip(t *testing.T) {
	v := vault.New(newRing(t, "k1"))
	toks, err := v.Seal("u1-crm", vault.Secrets{AccessToken: "at", RefreshToken: "rt", APIKey: "ak"})
	if err != nil {
		t.Fatal(err)
	}
	expiry := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	u := store.User{Key: "u1-crm", AccessToken: toks.AccessToken, RefreshToken: toks.RefreshToken, APIKey: toks.APIKey, TokenExpiry: expiry}
	tok, err := v.OpenToken(u)
	if err != nil {
		t.Fatal(err)
	}
	want := credential.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", Expiry: expiry}
	if diff := cmp.Diff(want, tok); diff != "" {
		t.Errorf("OpenToken (-want +got):\n%s", diff)
	}
	if key, err := v.OpenAPIKey(u); err != nil || key != "ak" {
		t.Errorf("OpenAPIKey = %q, %v; want ak", key, err)
	}
}

// The additional data is part of what stores hold: a change would make
// every stored credential unreadable. Values sealed by the vault open with
// the ring and the documented additional data, and only with it.
func TestSealedFormatIsStable(t *testing.T) {
	ring := newRing(t, "k1")
	toks, err := vault.New(ring).Seal("u1-crm", vault.Secrets{AccessToken: "at", RefreshToken: "rt", APIKey: "ak"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		field  string
		sealed []byte
		want   string
	}{{"access", toks.AccessToken, "at"}, {"refresh", toks.RefreshToken, "rt"}, {"apikey", toks.APIKey, "ak"}} {
		got, err := ring.Open(c.sealed, []byte("crmbridge/"+c.field+"/u1-crm"))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: ring.Open = %q, %v; want %q", c.field, got, err, c.want)
		}
	}
}

// A sealed value copied to another user's row, or to another column,
// does not open.
func TestSealedValueBoundToUserAndField(t *testing.T) {
	v := vault.New(newRing(t, "k1"))
	toks, err := v.Seal("u1-crm", vault.Secrets{AccessToken: "at", APIKey: "ak"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.OpenToken(store.User{Key: "u2-crm", AccessToken: toks.AccessToken}); !errors.Is(err, auth.ErrCiphertext) {
		t.Errorf("other user's row: err = %v, want ErrCiphertext", err)
	}
	if _, err := v.OpenAPIKey(store.User{Key: "u1-crm", APIKey: toks.AccessToken}); !errors.Is(err, auth.ErrCiphertext) {
		t.Errorf("access token in the API key column: err = %v, want ErrCiphertext", err)
	}
}

func TestNotStored(t *testing.T) {
	v := vault.New(newRing(t, "k1"))
	toks, err := v.Seal("u1-crm", vault.Secrets{RefreshToken: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	if toks.AccessToken != nil || toks.APIKey != nil {
		t.Errorf("empty secrets were sealed: %+v", toks)
	}
	if _, err := v.OpenToken(store.User{Key: "u1-crm"}); !errors.Is(err, vault.ErrNotStored) || err.Error() != "no OAuth tokens stored" {
		t.Errorf("OpenToken of an empty row: err = %v, want ErrNotStored", err)
	}
	if _, err := v.OpenAPIKey(store.User{Key: "u1-crm"}); !errors.Is(err, vault.ErrNotStored) || err.Error() != "no API key stored" {
		t.Errorf("OpenAPIKey of an empty row: err = %v, want ErrNotStored", err)
	}
	// Only a refresh token stored: the token opens without access token.
	tok, err := v.OpenToken(store.User{Key: "u1-crm", RefreshToken: toks.RefreshToken})
	if err != nil || tok.AccessToken != "" || tok.RefreshToken != "rt" {
		t.Errorf("OpenToken(refresh only) = %v, %v", tok, err)
	}
}

// A key ring without the sealing key is not "not stored": the server logs
// it as a configuration problem.
func TestOtherRing(t *testing.T) {
	toks, err := vault.New(newRing(t, "k1")).Seal("u1-crm", vault.Secrets{AccessToken: "at", APIKey: "ak"})
	if err != nil {
		t.Fatal(err)
	}
	other := vault.New(newRing(t, "k2"))
	u := store.User{Key: "u1-crm", AccessToken: toks.AccessToken, APIKey: toks.APIKey}
	if _, err := other.OpenToken(u); !errors.Is(err, auth.ErrUnknownSealingKey) || errors.Is(err, vault.ErrNotStored) {
		t.Errorf("OpenToken with another ring: err = %v, want ErrUnknownSealingKey", err)
	}
	if _, err := other.OpenAPIKey(u); !errors.Is(err, auth.ErrUnknownSealingKey) || errors.Is(err, vault.ErrNotStored) {
		t.Errorf("OpenAPIKey with another ring: err = %v, want ErrUnknownSealingKey", err)
	}
}

// After a rotation (new primary first, the old key kept) credentials
// sealed with the old key still open, and whatever is sealed again, as on
// the next token refresh, is sealed with the new primary.
func TestKeyRotation(t *testing.T) {
	oldKey, err := auth.GenerateSealingKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := auth.GenerateSealingKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	before, err := auth.NewSealingKeyRing(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	after, err := auth.NewSealingKeyRing(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	old, err := vault.New(before).Seal("u1-crm", vault.Secrets{AccessToken: "at", RefreshToken: "rt", APIKey: "ak"})
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(after)
	u := store.User{Key: "u1-crm", AccessToken: old.AccessToken, RefreshToken: old.RefreshToken, APIKey: old.APIKey}
	if tok, err := v.OpenToken(u); err != nil || tok.AccessToken != "at" || tok.RefreshToken != "rt" {
		t.Errorf("OpenToken of a row sealed before the rotation = %v, %v", tok, err)
	}
	if key, err := v.OpenAPIKey(u); err != nil || key != "ak" {
		t.Errorf("OpenAPIKey of a row sealed before the rotation = %q, %v", key, err)
	}
	resealed, err := v.Seal("u1-crm", vault.Secrets{AccessToken: "at2", RefreshToken: "rt2"})
	if err != nil {
		t.Fatal(err)
	}
	for name, sealed := range map[string][]byte{"access": resealed.AccessToken, "refresh": resealed.RefreshToken} {
		if id, err := auth.SealedKeyID(sealed); err != nil || id != "k2" {
			t.Errorf("%s sealed after the rotation with key %q (%v), want k2", name, id, err)
		}
	}
	// Dropping the old key too early loses what only it opens.
	if _, err := vault.New(newRing(t, "k2")).OpenAPIKey(u); !errors.Is(err, auth.ErrUnknownSealingKey) {
		t.Errorf("OpenAPIKey without the old key: err = %v, want ErrUnknownSealingKey", err)
	}
}

// Errors never carry the credential, sealed or opened.
func TestErrorsHoldNoSecret(t *testing.T) {
	v := vault.New(newRing(t, "k1"))
	toks, err := v.Seal("u1-crm", vault.Secrets{AccessToken: "at-secret-1", APIKey: "ak-secret-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, errTok := v.OpenToken(store.User{Key: "u2-crm", AccessToken: toks.AccessToken})
	_, errKey := vault.New(newRing(t, "k2")).OpenAPIKey(store.User{Key: "u1-crm", APIKey: toks.APIKey})
	for _, err := range []error{errTok, errKey} {
		if err == nil {
			t.Fatal("a credential opened where it must not")
		}
		msg := err.Error()
		if strings.Contains(msg, "secret-1") || strings.Contains(msg, string(toks.AccessToken)) || strings.Contains(msg, string(toks.APIKey)) {
			t.Errorf("error shows a credential: %q", msg)
		}
	}
}
