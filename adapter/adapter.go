package adapter

import (
	"context"
	"encoding/json"
	"net/http"
)

// Adapter is the contract every CRM adapter implements. The server calls it
// for each route of the wire protocol; everything around it (sessions, token
// refresh and storage, phone parsing, dedupe of logs, error mapping) is the
// SDK's.
//
// Each method gets a context that carries the request deadline, and a request
// struct whose [Session] field holds the calling user and an *http.Client that
// already carries that user's credentials. Methods return a result struct and
// an error; classify failures with the errors of this package ([ErrNotFound],
// [ErrUnauthorized], [*RateLimitError], [*UserError]), wrapped with %w as you
// like. Implementations must be safe for concurrent use.
//
// Optional features are separate interfaces ([ContactSearcher],
// [DispositionSetter], [Manifester], [AuthValidator], [SettingsDefaulter],
// [LicenseChecker], [UserLister], [LogFormatter]) discovered by type
// assertion; each one
// documents what the server does when it is absent.
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

	// CreateContact creates a contact with the given name and phone number.
	CreateContact(ctx context.Context, req CreateContactRequest) (CreateContactResult, error)

	// CreateCallLog records a call against a contact and returns the CRM's
	// id for the new record. The server guarantees it is called at most once
	// per (user, call session) at a time and never again once it succeeded.
	CreateCallLog(ctx context.Context, req CreateCallLogRequest) (CreateCallLogResult, error)

	// GetCallLog reads back a call log created by CreateCallLog. Its Note is
	// the user's own note only, without the recording link or call details
	// the adapter composed into the record: the client's edit form shows it
	// as what the user typed, and sends it back as the new note.
	GetCallLog(ctx context.Context, req GetCallLogRequest) (GetCallLogResult, error)

	// UpdateCallLog changes an existing call log. Only the non-nil fields of
	// the request were sent by the client; leave the others untouched. The
	// server never passes an empty value (PROTOCOL.md §3: an empty string
	// never erases; the client's recording sweep sends "note":"" with the
	// link), and an adapter must not erase on its own either: a note
	// replaces only the user's part of the record, never the recording or
	// the call details; a recording link is added once (the sweep may send
	// the same link again); call details correct only their own lines.
	// adaptertest checks all of this with the client's real sequence.
	UpdateCallLog(ctx context.Context, req UpdateCallLogRequest) (UpdateCallLogResult, error)

	// CreateMessageLog records the first message of a conversation day and
	// returns the CRM's id for the new record.
	CreateMessageLog(ctx context.Context, req CreateMessageLogRequest) (CreateMessageLogResult, error)

	// UpdateMessageLog appends a later message of the same conversation day to
	// the record CreateMessageLog created.
	UpdateMessageLog(ctx context.Context, req UpdateMessageLogRequest) error

	// Unauthorize revokes the user's CRM token, if the CRM supports that. The
	// server erases the stored credentials whatever this returns.
	Unauthorize(ctx context.Context, req UnauthorizeRequest) error
}

// ContactSearcher is implemented by adapters that can search contacts by
// name. Without it, GET /custom/contact/search answers that the platform does
// not support searching.
type ContactSearcher interface {
	SearchContacts(ctx context.Context, req SearchContactsRequest) (FindContactsResult, error)
}

// DispositionSetter is implemented by adapters that can set call dispositions
// (outcome fields) on an existing call log. Without it, PUT /callDisposition
// answers successful:false.
type DispositionSetter interface {
	SetCallDisposition(ctx context.Context, req SetCallDispositionRequest) error
}

// Manifester is implemented by adapters that describe themselves to the
// client. The result is the adapter's platform block of GET /crmManifest
// (PROTOCOL.md §6): name, displayName, auth, contactTypes, page, ... It must
// hold no secret. Without it, the server serves a minimal block built from
// Platform and Auth.
type Manifester interface {
	Manifest() json.RawMessage
}

// AuthValidator is implemented by adapters that can tell whether a user's
// credentials still work (for GET /authValidation). Without it, the server
// answers from the stored credentials alone: present and, for OAuth,
// refreshable.
type AuthValidator interface {
	ValidateAuth(ctx context.Context, req ValidateAuthRequest) error
}

// CallLogFinder is implemented by adapters that can ask the CRM whether it
// already holds the call log of a call session (for example by looking for
// the session id the adapter wrote into the record). The server asks only
// in one rare case: a reservation for the session was left pending by a
// holder that may have died after the CRM created the record and before the
// store recorded its id. A record found is recorded and answered instead of
// creating a second one (PROTOCOL.md §7). Without it, the server creates the
// record again in that case.
type CallLogFinder interface {
	FindCallLog(ctx context.Context, req FindCallLogRequest) (FindCallLogResult, error)
}

// ContactCachePolicy is implemented by adapters that decide whether the
// server may reuse their FindContacts answers. The server keeps a lookup's
// real matches for a short time (httpserver.WithContactCacheTTL) because the
// client looks the same number up several times per call; an adapter for a
// CRM whose contacts change under the user's feet (edited by other people or
// systems between a call's lookups) returns false, and every lookup then
// reaches the adapter. Without this interface the cache applies.
type ContactCachePolicy interface {
	// CacheContactMatches reports whether FindContacts answers may be reused
	// for the cache's TTL. It is asked once, when the server starts.
	CacheContactMatches() bool
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

// UnauthorizeRequest is the input of Unauthorize.
type UnauthorizeRequest struct {
	Session
}

// ValidateAuthRequest is the input of AuthValidator.ValidateAuth.
type ValidateAuthRequest struct {
	Session
}
