package adapter

import (
	"context"
	"encoding/json"
	"net/http"
)

// Adapter is the contract every CRM adapter implements: the five methods
// the smallest adapter needs to serve the client's contact lookup and call
// log. The server calls it for each route of the wire protocol; everything
// around it (sessions, token refresh and storage, phone parsing, dedupe of
// logs, error mapping) is the SDK's.
//
// Each method gets a context that carries the request deadline, and a request
// struct whose [Session] field holds the calling user and an *http.Client that
// already carries that user's credentials. Methods return a result struct and
// an error; classify failures with the errors of this package ([ErrNotFound],
// [ErrUnauthorized], [*RateLimitError], [*UserError]; [ResponseError] maps a
// CRM's HTTP answer to them), wrapped with %w as you like. Implementations
// must be safe for concurrent use.
//
// Everything else is an optional capability, a small interface of its own
// discovered by type assertion ([Discover]): [ContactCreator],
// [CallLogReader], [CallLogUpdater], [MessageLogger], [Unauthorizer],
// [ContactSearcher], [DispositionSetter], [CallLogFinder], [AuthValidator],
// [LicenseChecker], [UserLister], [Manifester], [SettingsDefaulter],
// [ContactCachePolicy], [LogFormatter]. Each documents what the server does without it. A
// capability method that returns an error wrapping [errors.ErrUnsupported]
// says "not available for this user" (a plan without SMS, a disabled
// module): the server then answers as if the adapter lacked the capability.
type Adapter interface {
	// Platform is the adapter's platform name as it appears in the session JWT
	// and in the client's manifest, e.g. "pipedrive". Lower case, no spaces.
	Platform() string

	// Auth says how users of this CRM log in: OAuth 2.0 or an API key.
	Auth() AuthConfig

	// GetUserInfo fetches the CRM user right after login (OAuth callback or
	// API key login). Returning an error refuses the login; a *UserError's
	// message is shown to the user.
	GetUserInfo(ctx context.Context, req UserInfoRequest) (UserInfo, error)

	// FindContacts returns every contact whose phone matches req.Phone. Zero
	// matches is not an error: return an empty slice. Never pick one of
	// several matches; the user chooses.
	FindContacts(ctx context.Context, req FindContactsRequest) (FindContactsResult, error)

	// CreateCallLog records a call against a contact and returns the CRM's
	// id for the new record. The server guarantees it is called at most once
	// per (user, call session) at a time and never again once it succeeded.
	CreateCallLog(ctx context.Context, req CreateCallLogRequest) (CreateCallLogResult, error)
}

// Session is what every adapter call knows about its caller.
type Session struct {
	// User is the logged-in CRM user, as GetUserInfo described it.
	User User
	// Client sends requests to the CRM with this user's credentials (a
	// Bearer token for OAuth, the adapter's APIKeyScheme for API keys). On a
	// 401 from the CRM it refreshes an OAuth token once and retries once.
	// Never nil.
	Client *http.Client
	// Settings are the user's effective settings: the adapter's defaults
	// (SettingsDefaulter), overridden by what an admin manages for the
	// user's telephony account, overridden by the user's own values (except
	// settings the admin locked). An adapter reads its own custom settings
	// here. Empty, never nil.
	Settings Settings
}

// User identifies the CRM user on whose behalf the adapter is called.
type User struct {
	// ID is the CRM's id for the user (without the platform suffix).
	ID string
	// Platform is the adapter's platform name.
	Platform string
	// Hostname is the user's CRM host, e.g. "acme.pipedrive.com".
	Hostname string
	// Timezone is an IANA zone name such as "Europe/Berlin", or "".
	Timezone string
	// Extra is the adapter's own data about the user, as UserInfo.Extra
	// returned it at login (e.g. an API base URL). Nil when none.
	Extra json.RawMessage
}

// UserInfoRequest is the input of GetUserInfo.
type UserInfoRequest struct {
	// Client carries the credentials that were just obtained.
	Client *http.Client
	// Hostname is the CRM host the client named at login, or "".
	Hostname string
	// APIKey is the key typed by the user (API-key auth only).
	APIKey string
	// TokenExtra holds the extra fields of the OAuth token response (for
	// example Pipedrive's "api_domain"); nil for API-key auth.
	TokenExtra map[string]any
	// Form holds the additional login form fields the client sent
	// ("additionalInfo" of POST /apiKeyLogin); nil when none.
	Form map[string]any
}

// UserInfo describes the CRM user after login.
type UserInfo struct {
	// ID is the CRM's user id; required. The server keys the user as
	// "<ID>-<platform>".
	ID string
	// Name is the user's display name, shown by the client after login.
	Name string
	// Hostname is the user's CRM host; defaults to the login request's.
	Hostname string
	// Timezone is an IANA zone name, or "".
	Timezone string
	// TimezoneOffset is the user's offset from UTC in minutes when the CRM
	// reports only an offset.
	TimezoneOffset int
	// Extra is stored with the user and handed back in every Session.User.
	Extra json.RawMessage
	// Message, when set, replaces the default login success message.
	Message string
}
