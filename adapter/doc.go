// Package adapter is the contract between the crmbridge server and one CRM.
//
// A third party implements [Adapter] for their CRM (find contacts by phone,
// create contacts, create, read and update call logs, create and append
// message logs, fetch the user after login, revoke) and hands it to the
// server. Optional capabilities are small separate interfaces the server
// discovers by type assertion: [ContactSearcher], [DispositionSetter],
// [Manifester], [AuthValidator], [SettingsDefaulter], [LicenseChecker],
// [UserLister], [CallLogFinder], [LogFormatter]. The logbody package
// composes and updates log bodies in each [LogFormat].
//
// The user's settings live on the server (the client keeps none of its
// own): every call's [Session] carries the effective [Settings], the
// adapter's defaults overridden by what an admin manages for the account
// and by the user's own values, so an adapter reads its custom settings
// there.
//
// An adapter never touches the token lifecycle. Its AuthConfig says whether
// users log in with OAuth 2.0 (the SDK exchanges codes, refreshes tokens
// ahead of expiry, persists rotated refresh tokens, and retries once after a
// 401) or an API key (the adapter says how the key goes on a request). Each
// call receives a [Session] whose Client already carries valid credentials.
//
// Errors are values: return [ErrNotFound], [ErrUnauthorized],
// [*RateLimitError] or [*UserError] (wrapped with %w as you like) and the
// server maps them to the wire protocol in one place. Any other error becomes
// a generic "Error <operation>" warning; its text goes to the server log,
// never to the client.
package adapter
