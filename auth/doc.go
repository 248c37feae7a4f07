// Package auth holds every secret the CRM adapter server touches: the
// session JWTs it hands to the softphone, the key ring that seals CRM
// tokens and API keys at rest, the OAuth 2.0 code exchange and refresh
// against a CRM, and the credentials an adapter's outgoing requests carry.
//
// Sessions issues and verifies HS256 tokens, nothing else:
//
//	s, err := auth.NewSessions(secret) // at least 32 bytes
//	jwt, err := s.Issue("12345-pipedrive", "pipedrive")
//	claims, err := s.Verify(jwt) // errors.Is(err, auth.ErrInvalidToken)
//
// A KeyRing seals with its primary key and opens with any of its keys, so
// keys can be rotated without re-encrypting everything at once:
//
//	ring, err := auth.ParseKeyRing("k2:<base64>,k1:<base64>")
//	sealed, err := ring.Seal([]byte(accessToken), []byte(userKey))
//
// A Refresher keeps OAuth tokens fresh with exactly one refresh per user at
// a time, across goroutines and, through TokenStore.LockRefresh, across
// server replicas; it stores a rotated refresh token before anyone uses the
// new access token. NewTransport puts its Credentials on an adapter's
// *http.Client and retries once after a 401.
//
// Nothing here logs; Token, Provider, Key, KeyRing and Sessions format and
// log without their secrets, except Key.String, which exists to print a
// key into a secret store.
package auth
