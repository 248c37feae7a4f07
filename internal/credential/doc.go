// Package credential is what the server does with a user's CRM
// credentials once an adapter has declared them (auth.Provider for OAuth
// 2.0, an API-key scheme otherwise); adapters never see it.
//
//   - Exchange trades an authorization code for a Token, Refresh a refresh
//     token for a new one, and Revoke ends a grant (RFC 7009); none follows
//     a redirect, and errors (*OAuthError, *StatusError) never carry a
//     secret.
//   - A Refresher hands out valid access tokens with exactly one refresh
//     per user at a time, across goroutines and, through
//     TokenStore.LockRefresh, across server replicas; it stores a rotated
//     refresh token before anyone uses the new access token.
//   - NewTransport puts Credentials (Refresher.Credentials or APIKey) on an
//     adapter's *http.Client, keeps them off other hosts a redirect leads
//     to, and retries once after a 401.
//
// The smallest use, an API key on every request an adapter sends:
//
//	client := &http.Client{Transport: credential.NewTransport(nil,
//		credential.APIKey(key, auth.HeaderScheme("X-Api-Key")))}
//
// Nothing here logs; Token formats and logs without its secrets.
package credential
