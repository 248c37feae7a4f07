// Package auth is the public part of the server's secrets: what an adapter
// declares about its CRM's authentication (Provider and AuthStyle for
// OAuth 2.0; BearerScheme, BasicAuthScheme or HeaderScheme for API keys),
// and what someone calling httpserver.New builds: the JWTIssuer of the
// session JWTs handed to the softphone, and the SealingKeyRing that seals
// CRM tokens and API keys at rest. The OAuth code exchange, refresh,
// revocation and the credentialed transport are the server's own
// business (they live under internal/).
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
//   - an API key: the CRM credential a user types at login; the adapter's
//     scheme (BearerScheme, BasicAuthScheme, HeaderScheme) puts it on
//     requests.
//   - HASH_KEY: the secret mixed into the hashes GET /userInfoHash
//     answers (httpserver.WithHashKey).
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
//	sealed, err := ring.Seal([]byte(accessToken), []byte("crmbridge/access/"+userKey))
//
// Both come from configuration that every replica shares and that outlives
// restarts: a new JWT secret logs every user out, and a sealing key that
// is dropped leaves the values it sealed unreadable. This prints fresh
// values (APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY); in
// code, GenerateSealingKey and SealingKey.Encode make a ring entry:
//
//	go run github.com/crmbridge/crmbridge/cmd/crmbridge keys
//
// Nothing here logs; Provider, SealingKey, SealingKeyRing and
// JWTIssuer format and log without their secrets, except
// SealingKey.Encode, which exists to print a key into a secret store.
package auth
