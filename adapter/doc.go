// Package adapter is the contract between the crmbridge server and one CRM.
//
// A third party implements [Adapter] for their CRM: five methods (its
// platform name, how users log in, fetch the user after login, find
// contacts by phone, create a call log) are enough to serve the client's
// contact lookup and call log. Everything else is an optional capability,
// a small interface of its own that [Discover] finds by type assertion,
// each documenting what the server does without it: [ContactCreator],
// [CallLogReader], [CallLogUpdater], [MessageLogger], [Unauthorizer],
// [ContactSearcher], [DispositionSetter], [CallLogFinder], [AuthValidator],
// [LicenseChecker], [UserLister], [Manifester], [SettingsDefaulter],
// [ContactCachePolicy], [LogFormatter]. A capability that is there but not
// for this user returns an error wrapping [errors.ErrUnsupported], and the
// server answers as if the adapter lacked it. The logbody package composes
// and updates log bodies in each [LogFormat].
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
// [*RateLimitError] or [*UserError] (wrapped with %w as you like;
// [ResponseError] turns a CRM's HTTP answer into the right one) and the
// server maps them to the wire protocol in one place. Any other error becomes
// a generic "Error <operation>" warning; its text goes to the server log,
// never to the client.
package adapter
