package vault_test

import (
	"fmt"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/vault"
	"github.com/crmbridge/crmbridge/store"
)

func Example() {
	key, err := auth.GenerateSealingKey("k1")
	if err != nil {
		panic(err)
	}
	ring, err := auth.NewSealingKeyRing(key)
	if err != nil {
		panic(err)
	}
	v := vault.New(ring)

	// At login: seal before the store sees anything.
	toks, err := v.Seal("12345-acme", vault.Secrets{APIKey: "the-api-key"})
	if err != nil {
		panic(err)
	}
	u := store.User{Key: "12345-acme", APIKey: toks.APIKey}

	// On each request: open from the user row.
	apiKey, err := v.OpenAPIKey(u)
	fmt.Println(apiKey, err)
	_, err = v.OpenToken(u)
	fmt.Println(err)
	// Output:
	// the-api-key <nil>
	// no OAuth tokens stored
}
