// Package pipedrive is a crmbridge adapter for Pipedrive's REST API: users
// log in with Pipedrive's OAuth 2.0, callers are found among persons, and
// calls and messages are logged as activities.
//
// It is also the worked example of an adapter over a real CRM. What it
// shows:
//
//   - Login. Pipedrive's token response names the company's API host in
//     "api_domain"; GetUserInfo reads users/me there and stores that base
//     URL in UserInfo.Extra, so every later call finds it in
//     Session.User.Extra.
//   - Every API call goes through Session.Client, which carries the user's
//     Bearer token and refreshes it on a 401. The adapter never sees a token.
//   - Disconnect. The provider that Auth returns names Pipedrive's token
//     and revocation endpoints; when a user disconnects, the server itself
//     revokes the user's refresh token there (ending its access tokens
//     too), so the adapter is no adapter.Unauthorizer: nothing is left
//     for it to do.
//   - Lookup. Pipedrive's phone search matches either exactly (exact_match)
//     or anywhere in the stored value. FindContacts sends one search on the
//     longest string all candidates of the PhoneQuery share ("1212" for a
//     US number and the user's formats) and keeps the persons with a phone
//     equal to a candidate; one exact search per candidate, concurrently and
//     bounded (WithLookupConcurrency), remains for what that cannot cover
//     (too short a common term, a full page). Each match's open deals are
//     one more request: two round trips whatever the number of candidates.
//     Matches come back in candidate order without duplicates, with the
//     organization and the open deals ("deals" additional field).
//   - Logs. A call is a done activity of the company's call type (looked up
//     once per company, not per log); its note keeps the user's note apart
//     from the call details, so an update can replace one and keep the
//     other, and a late recording link is added once. A message
//     conversation day is one activity whose note grows by one paragraph
//     per message.
//   - Errors. Pipedrive's answers map to the adapter errors: 401 to
//     adapter.ErrUnauthorized, 404 to adapter.ErrNotFound, 429 to
//     *adapter.RateLimitError with the wait from Retry-After or
//     x-ratelimit-reset, validation refusals to *adapter.UserError with
//     Pipedrive's message. Errors name method and path, never the query
//     (it may hold a phone number) nor a credential.
//
// Package fakepipedrive, beside this one, is the fake Pipedrive the tests
// run against, both the adapter's own and end-to-end tests through the
// real server (httpserver over SQLite) that log in with OAuth, look up,
// log calls and messages, refresh, get rate limited and disconnect.
//
// The smallest use:
//
//	pd, err := pipedrive.New(pipedrive.Config{OAuth: auth.Provider{
//		ClientID:     clientID,
//		ClientSecret: clientSecret,
//		RedirectURL:  "https://bridge.example.com/oauth-callback",
//	}})
//	if err != nil {
//		return err
//	}
//	// hand pd to the server as one of its adapters
package pipedrive
