// Package auth holds every secret the CRM adapter server touches: the
// session JWTs it hands to the softphone, the key ring that seals CRM
// tokens and API keys at rest, the OAuth 2.0 code exchange and refresh
// against a CRM, and the credentials an adapter's outgoing requests carry.
//
// # Glossary
//
// Two words mean several things across crmbridge; the names say which.
//
// "Session":
//   - the login session: what a session JWT proves, from login until the
//     user logs out (ended by store.Store's EndSessions; see
//     SessionGeneration and Claims.EndedBy). A JWTIssuer issues and
//     verifies the session JWTs.
//   - adapter.Session: the user, settings and credentialed *http.Client
//     an adapter method works with.
//   - the telephony call's sessionId (PROTOCOL.md), a wire field.
//   - a store's session end (EndSessions, SessionsValidFrom): the logout
//     time that ends every login session issued before it.
//
// "Key":
//   - a SealingKey: one AES-256-GCM key of a SealingKeyRing, which seals
//     CRM tokens and API keys at rest (TOKEN_ENCRYPTION_KEY).
//   - an API key: the CRM credential a user types at login; its header
//     scheme is BearerScheme, BasicAuthScheme or HeaderScheme.
//   - HASH_KEY: the HMAC key of the server's user-info hashes.
//   - a user key ("<crmUserId>-<platform>") and cache keys: identifiers,
//     not secrets.
//
// JWTIssuer issues and verifies HS256 session JWTs, nothing else:
//
//	issuer, err := auth.NewJWTIssuer(secret) // at least 32 bytes
//	jwt, err := issuer.Issue("12345-pipedrive", "pipedrive")
//	claims, err := issuer.Verify(jwt) // errors.Is(err, auth.ErrInvalidJWT)
//
// A SealingKeyRing seals with its primary key and opens with any of its
// keys, so keys can be rotated without re-encrypting everything at once:
//
//	ring, err := auth.ParseSealingKeyRing("k2:<base64>,k1:<base64>")
//	sealed, err := ring.Seal([]byte(accessToken), []byte(userKey))
//
// A Refresher keeps OAuth tokens fresh with exactly one refresh per user at
// a time, across goroutines and, through TokenStore.LockRefresh, across
// server replicas; it stores a rotated refresh token before anyone uses the
// new access token. NewTransport puts its Credentials on an adapter's
// *http.Client and retries once after a 401.
//
// Nothing here logs; Token, Provider, SealingKey, SealingKeyRing and
// JWTIssuer format and log without their secrets, except
// SealingKey.Encode, which exists to print a key into a secret store.
package auth
