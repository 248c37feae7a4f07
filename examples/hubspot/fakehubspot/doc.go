// Package fakehubspot is an in-process fake of the parts of HubSpot's API
// that the hubspot adapter uses, written from HubSpot's public API
// reference (the date-versioned 2026-03 paths), strict where HubSpot is
// strict, for tests:
//
//   - OAuth 2.0: POST /oauth/2026-03/token (client credentials in the form
//     body, never Basic), 30-minute access tokens that expire on the fake's
//     clock, rotating refresh tokens, POST /oauth/2026-03/token/revoke.
//     A stale, revoked or unknown token answers 401 with HubSpot's error body.
//   - CRM search: POST /crm/objects/2026-03/contacts/search with filter
//     groups OR'd and filters AND'd inside a group, exact EQ and IN
//     matching, HubSpot's limits (at most 5 groups, 10 filters per group, 25
//     filters in all, 200 results per page) answered with 400 beyond them,
//     and the normalized searchable phone properties
//     (hs_searchable_calculated_phone_number and ..._mobile_number: the
//     national number of phone and mobilephone).
//   - Contacts, calls and notes (POST, GET, PATCH of
//     /crm/objects/2026-03/{contacts,calls,notes}), with associations of
//     HubSpot-defined types (call→contact 194, note→contact 202) checked on
//     create; unknown properties and invalid call values answer 400.
//   - Owners (CRM users): GET /crm/owners/2026-03 with paging, and one
//     owner by id or by userId.
//   - A POST or PATCH whose Content-Type is not application/json answers
//     415, as HubSpot does.
//   - Rate limits: 429 with HubSpot's error body (errorType RATE_LIMIT,
//     policyName) and X-HubSpot-RateLimit-* headers, per access token.
//
// Every request can be delayed (WithLatency) and every kind of request is
// counted (Stats), so tests can assert how many CRM calls a feature costs.
//
//	fake := fakehubspot.New()
//	defer fake.Close()
//	owner := fake.AddOwner(fakehubspot.Owner{Email: "ada@example.com", FirstName: "Ada"})
//	access, _ := fake.IssueToken(owner.UserID)
package fakehubspot
