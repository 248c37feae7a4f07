// Package fakepipedrive is an in-memory stand-in for Pipedrive's OAuth server
// and REST API, for tests of code that talks to Pipedrive.
//
// It enforces what the real service enforces and a test is likely to trip
// over: a Bearer access token on every API request (401 without one, or with
// an expired or revoked one), single-use authorization codes, refresh-token
// rotation (a used refresh token answers invalid_grant), HTTP Basic client
// authentication at the token and revoke endpoints, exact-match search on the
// stored phone strings, read-only fields of the v2 API, JSON bodies on v2
// (a POST or PATCH without Content-Type: application/json answers 415),
// and optional rate
// limiting (429 with Retry-After and x-ratelimit-* headers). The token
// response's api_domain points back at the fake itself, so a client that
// follows api_domain as the real one does ends up here. An optional
// per-request latency (which honours the request's context) makes
// concurrency visible, and [Server.Stats] counts requests per kind.
// [Server.RevokeGrants] ends a user's grants as uninstalling the app in
// Pipedrive would.
//
// It speaks the subset of the API the crmbridge Pipedrive adapter uses:
// users/me and activityTypes (v1); persons, persons/search, organizations,
// deals and activities (v2).
//
// The smallest use:
//
//	srv := fakepipedrive.New()
//	defer srv.Close()
//	uid := srv.AddUser(fakepipedrive.User{Name: "Ada"})
//	access, _ := srv.IssueToken(uid)
//	// send requests to srv.URL()+"/api/v1/users/me" with
//	// "Authorization: Bearer "+access
package fakepipedrive
