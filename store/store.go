package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound reports that the requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable reports that the database cannot be reached or failed in a
// way that is not the caller's fault (connection refused, reset, shut down).
// The server answers 503. Implementations wrap their driver error with it:
// fmt.Errorf("%w: %w", store.ErrUnavailable, err).
var ErrUnavailable = errors.New("store: database unavailable")

// User is a logged-in CRM user. Key is "<crm user id>-<platform>"; it is the
// session JWT's id claim.
type User struct {
	// Key identifies the user: "<crm user id>-<platform>".
	Key string
	// Platform is the adapter's platform name.
	Platform string
	// CRMUserID is the CRM's id for the user.
	CRMUserID string
	// Hostname is the user's CRM host.
	Hostname string
	// Timezone is an IANA zone name or "".
	Timezone string
	// TimezoneOffset is minutes east of UTC when only an offset is known.
	TimezoneOffset int
	// AccessToken, RefreshToken and APIKey are sealed by auth.SealingKeyRing; the
	// store keeps them as opaque bytes and never sees plaintext. Nil when
	// absent (an API-key user has no refresh token; a user who logged out
	// has none of them).
	AccessToken  []byte
	RefreshToken []byte
	APIKey       []byte
	// TokenExpiry is when AccessToken expires; zero when unknown.
	TokenExpiry time.Time
	// Extra is the adapter's JSON data about the user; nil when none.
	Extra []byte
	// SessionsValidFrom is when the user last logged out: session tokens
	// issued before it are refused (PROTOCOL.md §4). Zero when the user
	// never logged out. UpsertUser ignores it and keeps the stored value;
	// only EndSessions changes it.
	SessionsValidFrom time.Time
	// CreatedAt and UpdatedAt are maintained by the store.
	CreatedAt, UpdatedAt time.Time
}

// Tokens are the credential columns of a user, replaced together. The
// byte fields hold sealed values (auth.SealingKeyRing), never plaintext;
// nil means absent, as in User.
type Tokens struct {
	// AccessToken is the sealed OAuth access token; nil for API-key users.
	AccessToken []byte
	// RefreshToken is the sealed OAuth refresh token; nil when the
	// provider issued none.
	RefreshToken []byte
	// APIKey is the sealed API key; nil for OAuth users.
	APIKey []byte
	// TokenExpiry is when AccessToken expires; zero when unknown or for
	// API keys.
	TokenExpiry time.Time
}

// Reservation is the state of a (user, key) dedupe slot after Reserve.
type Reservation struct {
	// Won is true when this call claimed the slot: the caller must now do the
	// work (create the CRM record) and then Confirm or Release.
	Won bool
	// TakenOver is true when Won came from taking over a pending slot whose
	// lease ran out: its owner may have died after creating the CRM record
	// and before confirming it, so the caller should ask the CRM, when it
	// can, before creating another (adapter.CallLogFinder).
	TakenOver bool
	// LogID is the confirmed CRM id when the slot was already confirmed;
	// "" when it is still pending (another caller is working on it) or when
	// Won is true.
	LogID string
}

// Store persists users, log mappings and locks. Implementations must be safe
// for concurrent use; every method that takes a userKey only ever sees or
// changes rows of that user. Errors wrap ErrNotFound or ErrUnavailable where
// those apply.
type Store interface {
	// GetUser returns the user, or an error wrapping ErrNotFound.
	GetUser(ctx context.Context, key string) (User, error)
	// UpsertUser inserts the user or replaces every field of an existing one
	// (CreatedAt is kept).
	UpsertUser(ctx context.Context, u User) error
	// UpdateTokens replaces the user's credentials atomically. It fails
	// with ErrNotFound when the user does not exist.
	UpdateTokens(ctx context.Context, key string, t Tokens) error
	// EndSessions records that every session of the user so far is over
	// (logout, PROTOCOL.md §4): SessionsValidFrom becomes the later of at
	// and the value already stored plus one microsecond. It never moves
	// back, and every call moves it, so each logout starts a new session
	// generation (auth.SessionGeneration) even within one microsecond or
	// with a clock behind another replica's. It survives UpsertUser (a new
	// login). It fails with ErrNotFound when the user does not exist.
	EndSessions(ctx context.Context, key string, at time.Time) error
	// DeleteUser removes the user, every mapping, its settings and cached
	// notes. Deleting a missing user is not an error.
	DeleteUser(ctx context.Context, key string) error

	// ReserveCallLog claims the call-log slot (userKey, sessionID) so that
	// only one caller creates the CRM record. It returns Won=true when the
	// slot was free, or held by a pending reservation older than lease
	// (its owner is presumed dead); otherwise Won=false with the confirmed
	// LogID, or "" while another caller's reservation is pending.
	ReserveCallLog(ctx context.Context, userKey, sessionID string, lease time.Duration) (Reservation, error)
	// ConfirmCallLog records the CRM id for a slot this caller won.
	ConfirmCallLog(ctx context.Context, userKey, sessionID, logID string) error
	// ReleaseCallLog frees a pending slot (the CRM call failed) so that a
	// later request may try again. Confirmed slots are never released.
	ReleaseCallLog(ctx context.Context, userKey, sessionID string) error
	// CallLogIDs returns the confirmed CRM ids of the given sessions of the
	// user, keyed by session id; sessions without a confirmed log are absent.
	CallLogIDs(ctx context.Context, userKey string, sessionIDs []string) (map[string]string, error)

	// ReserveMessage, ConfirmMessage and ReleaseMessage are the same
	// protocol for single messages, keyed by (userKey, messageID);
	// ConfirmMessage records the CRM record the message went into.
	ReserveMessage(ctx context.Context, userKey, messageID string, lease time.Duration) (Reservation, error)
	ConfirmMessage(ctx context.Context, userKey, messageID, logID string) error
	ReleaseMessage(ctx context.Context, userKey, messageID string) error

	// ConversationLogID returns the CRM record kept for a conversation day
	// of the user, or an error wrapping ErrNotFound.
	ConversationLogID(ctx context.Context, userKey, conversationLogID string) (string, error)
	// PutConversationLogID records the CRM record of a conversation day. If
	// one is already recorded it is kept and returned; otherwise logID is
	// stored and returned.
	PutConversationLogID(ctx context.Context, userKey, conversationLogID, logID string) (string, error)

	// UserSettings returns the user's own settings (a JSON object the
	// server wrote with PutUserSettings), or nil when the user has none.
	// Settings are the user's own: UpsertUser and UpdateTokens keep them (a
	// user logging out and in again keeps them); DeleteUser removes them.
	UserSettings(ctx context.Context, userKey string) ([]byte, error)
	// PutUserSettings replaces the user's own settings, byte for byte.
	PutUserSettings(ctx context.Context, userKey string, settings []byte) error
	// AdminSettings returns the settings an admin stored for a telephony
	// account (accountKey is the server's hash of the account id), or nil
	// when none were stored.
	AdminSettings(ctx context.Context, accountKey string) ([]byte, error)
	// PutAdminSettings replaces the settings of a telephony account, byte
	// for byte.
	PutAdminSettings(ctx context.Context, accountKey string, settings []byte) error
	// PutCachedNote keeps a note for (userKey, sessionID) until expires,
	// replacing an earlier one. It keeps at most maxPerUser notes per user:
	// notes that have expired by now, then those expiring first, are
	// dropped to make room, so a user cannot grow the table without bound.
	PutCachedNote(ctx context.Context, userKey, sessionID, note string, now, expires time.Time, maxPerUser int) error
	// CachedNote returns the note kept for (userKey, sessionID) if it
	// expires after now, or an error wrapping ErrNotFound.
	CachedNote(ctx context.Context, userKey, sessionID string, now time.Time) (string, error)
	// Lock takes an exclusive lock on name, shared by every process using
	// the same database, waiting until ctx is done. The returned unlock
	// function releases it; call it exactly once. The server locks
	// "refresh:<userKey>" around OAuth refreshes and "conversation:<userKey>:<id>"
	// around logging one conversation day.
	//
	// Avoid taking a lock while holding another: a store may hold one
	// connection per held lock from a bounded set (store/postgres does), so
	// many nested holders can wait for each other until their contexts end.
	// The server refreshes a due token before taking a conversation lock;
	// only a CRM 401 in the middle of logging a day nests the refresh lock.
	Lock(ctx context.Context, name string) (unlock func(), err error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
