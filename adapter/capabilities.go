package adapter

import (
	"context"
	"encoding/json"
)

// ContactCreator is implemented by adapters that can create a contact.
// Without it (or when CreateContact returns [errors.ErrUnsupported]), a
// lookup without a match offers no "Create new contact..." placeholder and
// POST /contact answers that the platform cannot create contacts.
type ContactCreator interface {
	// CreateContact creates a contact with the given name and phone number.
	CreateContact(ctx context.Context, req CreateContactRequest) (CreateContactResult, error)
}

// CallLogReader is implemented by adapters that can read back the call logs
// they created. Without it, GET /callLog answers which calls are logged
// (from the server's own records) without the subject and note the client
// shows in its edit form.
type CallLogReader interface {
	// GetCallLog reads back a call log created by CreateCallLog. Its Note is
	// the user's own note only, without the recording link or call details
	// the adapter composed into the record: the client's edit form shows it
	// as what the user typed, and sends it back as the new note.
	GetCallLog(ctx context.Context, req GetCallLogRequest) (GetCallLogResult, error)
}

// CallLogUpdater is implemented by adapters that can change a call log
// after it was created: the user's edits and the recording link that
// arrives after the call. Without it, PATCH /callLog answers
// successful:false with a warning that the platform cannot update call
// logs, and the record keeps what CreateCallLog wrote.
type CallLogUpdater interface {
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
}

// MessageLogger is implemented by adapters that log SMS, voicemail and fax
// messages: one CRM record per conversation day, created by the day's
// first message and appended to by the later ones. Without it, POST
// /messageLog answers successful:false with a warning that the platform
// cannot log messages, and nothing is recorded.
type MessageLogger interface {
	// CreateMessageLog records the first message of a conversation day and
	// returns the CRM's id for the new record.
	CreateMessageLog(ctx context.Context, req CreateMessageLogRequest) (CreateMessageLogResult, error)

	// UpdateMessageLog appends a later message of the same conversation day
	// to the record CreateMessageLog created.
	UpdateMessageLog(ctx context.Context, req UpdateMessageLogRequest) (UpdateMessageLogResult, error)
}

// Unauthorizer is implemented by adapters whose CRM can revoke a token or
// key. Without it, POST /unAuthorize only erases the stored credentials and
// ends the user's sessions, which the server does in every case.
type Unauthorizer interface {
	// Unauthorize revokes the user's CRM credentials. The server erases the
	// stored credentials whatever this returns.
	Unauthorize(ctx context.Context, req UnauthorizeRequest) (UnauthorizeResult, error)
}

// ContactSearcher is implemented by adapters that can search contacts by
// name. Without it, GET /custom/contact/search answers that the platform does
// not support searching.
type ContactSearcher interface {
	// SearchContacts returns the contacts whose name matches req.Name;
	// zero matches is not an error.
	SearchContacts(ctx context.Context, req SearchContactsRequest) (FindContactsResult, error)
}

// DispositionSetter is implemented by adapters that can set call dispositions
// (outcome fields) on an existing call log. Without it, PUT /callDisposition
// answers successful:false.
type DispositionSetter interface {
	// SetCallDisposition writes req.Dispositions to the call log req.LogID.
	SetCallDisposition(ctx context.Context, req SetCallDispositionRequest) (SetCallDispositionResult, error)
}

// Manifester is implemented by adapters that describe themselves to the
// client. Without it, the server serves a minimal block built from
// Platform and Auth.
type Manifester interface {
	// Manifest returns the adapter's platform block of GET /crmManifest
	// (PROTOCOL.md §6): name, displayName, auth, contactTypes, page, ... It
	// must be valid JSON and hold no secret. It is a fixed description, asked
	// per request, so it takes no context and makes no CRM call.
	Manifest() json.RawMessage
}

// AuthValidator is implemented by adapters that can tell whether a user's
// credentials still work (for GET /authValidation). Without it, the server
// answers from the stored credentials alone: present and, for OAuth,
// refreshable.
type AuthValidator interface {
	// ValidateAuth asks the CRM whether req.Session's credentials work; an
	// error wrapping ErrUnauthorized says they do not.
	ValidateAuth(ctx context.Context, req ValidateAuthRequest) (ValidateAuthResult, error)
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
	// FindCallLog returns the id of req.Call.SessionID's call log, or "".
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

// UnauthorizeRequest is the input of Unauthorizer.Unauthorize.
type UnauthorizeRequest struct {
	Session
}

// UnauthorizeResult is the output of Unauthorizer.Unauthorize. It has no
// fields yet; a struct lets it grow without breaking adapters.
type UnauthorizeResult struct{}

// ValidateAuthRequest is the input of AuthValidator.ValidateAuth.
type ValidateAuthRequest struct {
	Session
}

// ValidateAuthResult is the output of AuthValidator.ValidateAuth. It has no
// fields yet; a struct lets it grow without breaking adapters.
type ValidateAuthResult struct{}

// SetCallDispositionResult is the output of
// DispositionSetter.SetCallDisposition. It has no fields yet; a struct lets
// it grow without breaking adapters.
type SetCallDispositionResult struct{}

// UpdateMessageLogResult is the output of MessageLogger.UpdateMessageLog.
// It has no fields yet; a struct lets it grow without breaking adapters.
type UpdateMessageLogResult struct{}

// Capabilities are the optional interfaces one adapter implements, found by
// [Discover]. A nil field is a capability the adapter lacks. The server,
// its GET /implementedInterfaces and adaptertest all read them from here,
// so they cannot disagree.
type Capabilities struct {
	// AuthType is the adapter's Auth().Type.
	AuthType AuthType

	// Each field below is the adapter as that capability, or nil when the
	// adapter lacks it.

	ContactCreator     ContactCreator     // POST /contact, the create-contact placeholder
	CallLogReader      CallLogReader      // logData of GET /callLog
	CallLogUpdater     CallLogUpdater     // PATCH /callLog
	MessageLogger      MessageLogger      // POST /messageLog
	Unauthorizer       Unauthorizer       // revocation at POST /unAuthorize
	ContactSearcher    ContactSearcher    // GET /custom/contact/search
	DispositionSetter  DispositionSetter  // PUT /callDisposition
	CallLogFinder      CallLogFinder      // a taken-over call-log reservation
	AuthValidator      AuthValidator      // GET /authValidation
	LicenseChecker     LicenseChecker     // GET /licenseStatus
	UserLister         UserLister         // POST /admin/userMapping
	Manifester         Manifester         // the platform block of GET /crmManifest
	SettingsDefaulter  SettingsDefaulter  // the lowest layer of the user's settings
	ContactCachePolicy ContactCachePolicy // the contact-match cache
	LogFormatter       LogFormatter       // logFormat of GET /implementedInterfaces
}

// Wrapper is implemented by an adapter that wraps another one to observe
// it (record calls, log, count) and implements every optional capability by
// forwarding to the wrapped adapter. [Discover] then reports exactly the
// wrapped adapter's capabilities, served by the wrapper's methods, so the
// server answers as it would for the wrapped adapter, and a wrapper's
// capability method is only called when the wrapped adapter has it.
type Wrapper interface {
	Adapter
	// Unwrap returns the wrapped adapter.
	Unwrap() Adapter
}

// Discover finds a's optional capabilities by type assertion. For a
// [Wrapper] it reports the wrapped adapter's capabilities, each served by
// the wrapper: a capability is there when the wrapper and every adapter it
// wraps (at most 16 deep) implement it. It calls a.Auth() once, nothing
// else.
func Discover(a Adapter) Capabilities {
	c := Capabilities{AuthType: a.Auth().Type}
	for _, k := range capabilityList {
		if k.everyLayer(a) {
			k.set(&c, a)
		}
	}
	return c
}

// Names returns the names of the optional interfaces c holds, in the
// order of the fields of Capabilities: "ContactCreator", "CallLogReader",
// ... Empty, not nil, for an adapter with none.
func (c Capabilities) Names() []string {
	names := []string{}
	for _, k := range capabilityList {
		if k.held(&c) {
			names = append(names, k.name)
		}
	}
	return names
}

// maxWrapDepth bounds how many Wrappers Discover unwraps.
const maxWrapDepth = 16

// capability is one optional interface: its name, whether an adapter
// implements it, and its field of Capabilities.
type capability struct {
	name       string
	implements func(Adapter) bool
	set        func(*Capabilities, Adapter)
	held       func(*Capabilities) bool
}

// capabilityOf describes the optional interface T, held in the field that
// field points to.
func capabilityOf[T any](name string, field func(*Capabilities) *T) capability {
	return capability{
		name:       name,
		implements: func(a Adapter) bool { _, ok := a.(T); return ok },
		set:        func(c *Capabilities, a Adapter) { *field(c), _ = a.(T) },
		held:       func(c *Capabilities) bool { return any(*field(c)) != nil },
	}
}

// everyLayer reports whether a, and every adapter it wraps, implements k.
func (k capability) everyLayer(a Adapter) bool {
	for range maxWrapDepth {
		if !k.implements(a) {
			return false
		}
		w, ok := a.(Wrapper)
		if !ok {
			return true
		}
		a = w.Unwrap()
	}
	return false
}

// capabilityList is every optional interface, in the order of the fields
// of Capabilities.
var capabilityList = []capability{
	capabilityOf("ContactCreator", func(c *Capabilities) *ContactCreator { return &c.ContactCreator }),
	capabilityOf("CallLogReader", func(c *Capabilities) *CallLogReader { return &c.CallLogReader }),
	capabilityOf("CallLogUpdater", func(c *Capabilities) *CallLogUpdater { return &c.CallLogUpdater }),
	capabilityOf("MessageLogger", func(c *Capabilities) *MessageLogger { return &c.MessageLogger }),
	capabilityOf("Unauthorizer", func(c *Capabilities) *Unauthorizer { return &c.Unauthorizer }),
	capabilityOf("ContactSearcher", func(c *Capabilities) *ContactSearcher { return &c.ContactSearcher }),
	capabilityOf("DispositionSetter", func(c *Capabilities) *DispositionSetter { return &c.DispositionSetter }),
	capabilityOf("CallLogFinder", func(c *Capabilities) *CallLogFinder { return &c.CallLogFinder }),
	capabilityOf("AuthValidator", func(c *Capabilities) *AuthValidator { return &c.AuthValidator }),
	capabilityOf("LicenseChecker", func(c *Capabilities) *LicenseChecker { return &c.LicenseChecker }),
	capabilityOf("UserLister", func(c *Capabilities) *UserLister { return &c.UserLister }),
	capabilityOf("Manifester", func(c *Capabilities) *Manifester { return &c.Manifester }),
	capabilityOf("SettingsDefaulter", func(c *Capabilities) *SettingsDefaulter { return &c.SettingsDefaulter }),
	capabilityOf("ContactCachePolicy", func(c *Capabilities) *ContactCachePolicy { return &c.ContactCachePolicy }),
	capabilityOf("LogFormatter", func(c *Capabilities) *LogFormatter { return &c.LogFormatter }),
}

// ImplementedInterfaces is the body of GET /implementedInterfaces: the
// reference contract's connector method names (app-connect OpenAPI 1.7.42,
// ImplementedInterfacesResponse), each true when the adapter implements it.
// Appointments, managed auth options and refreshUserInfo have no
// counterpart in this SDK and are always false. The server adds
// "cacheCallNote" (its deployment setting, not the adapter's) and
// "logFormat" (the media type of LogFormatter, not a boolean).
func (c Capabilities) ImplementedInterfaces() map[string]bool {
	return map[string]bool{
		"getAuthType":           true,
		"getOauthInfo":          c.AuthType == AuthOAuth,
		"getBasicAuth":          c.AuthType == AuthAPIKey,
		"getUserInfo":           true,
		"findContact":           true,
		"createCallLog":         true,
		"createContact":         c.ContactCreator != nil,
		"getCallLog":            c.CallLogReader != nil,
		"updateCallLog":         c.CallLogUpdater != nil,
		"createMessageLog":      c.MessageLogger != nil,
		"updateMessageLog":      c.MessageLogger != nil,
		"unAuthorize":           c.Unauthorizer != nil,
		"findContactWithName":   c.ContactSearcher != nil,
		"upsertCallDisposition": c.DispositionSetter != nil,
		"getLicenseStatus":      c.LicenseChecker != nil,
		"getUserList":           c.UserLister != nil,
		"getLogFormatType":      c.LogFormatter != nil,
		"listAppointments":      false,
		"createAppointment":     false,
		"updateAppointment":     false,
		"refreshAppointment":    false,
		"confirmAppointment":    false,
		"cancelAppointment":     false,
		"getManagedAuthOptions": false,
		"refreshUserInfo":       false,
	}
}
