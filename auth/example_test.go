package auth_test

import (
	"errors"
	"fmt"
	"net/http"

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

	// The additional data names the field and its owner: the sealed token
	// opens only as that user's access token.
	sealed, err := ring.Seal([]byte("access-token-of-the-crm"), []byte("crmbridge/access/12345-pipedrive"))
	if err != nil {
		panic(err)
	}
	plain, err := ring.Open(sealed, []byte("crmbridge/access/12345-pipedrive"))
	fmt.Println(string(plain), err)

	_, err = ring.Open(sealed, []byte("crmbridge/access/67890-pipedrive"))
	fmt.Println("another user's row:", errors.Is(err, auth.ErrCiphertext))
	_, err = ring.Open(sealed, []byte("crmbridge/refresh/12345-pipedrive"))
	fmt.Println("another field:", errors.Is(err, auth.ErrCiphertext))
	// Output:
	// access-token-of-the-crm <nil>
	// another user's row: true
	// another field: true
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

func ExampleHeaderScheme() {
	// An adapter declares how its CRM expects the API key; the server
	// applies it to every request the adapter's client sends.
	scheme := auth.HeaderScheme("X-Api-Key")
	req, _ := http.NewRequest(http.MethodGet, "https://crm.example/api/persons", nil)
	scheme(req, "the-key")
	fmt.Println("X-Api-Key:", req.Header.Get("X-Api-Key"))
	// Output:
	// X-Api-Key: the-key
}
