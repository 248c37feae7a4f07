// Package vault is the server's credential vault: it seals a user's CRM
// credentials (OAuth access and refresh tokens, API key) with the sealing
// key ring before they reach the store, and opens them from a user row.
//
// Each value is sealed with additional data naming its field and its
// user, so a sealed value copied to another user's row or another column
// does not open. The format is what stores already hold: changing it
// would log every user out.
//
//	v := vault.New(ring) // ring: an *auth.SealingKeyRing
//	toks, err := v.Seal(userKey, vault.Secrets{AccessToken: at, RefreshToken: rt})
//	tok, err := v.OpenToken(user) // user: the store.User holding toks
package vault
