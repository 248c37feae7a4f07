package adapter

import (
	"context"
	"encoding/json"
)

// Settings are a user's settings as the client keeps them (PROTOCOL.md §3,
// "Settings, admin and the rest"): setting id → a JSON object
// {"value", "customizable"?, "readOnly"?, "defaultValue"?, "options"?, ...}.
// Ids are the client's ("autoLogCall", "overridingPhoneNumberFormat") or
// the ids of the adapter's own manifest settings. Use [Settings.Value],
// [Settings.String] and [Settings.Bool] to read a value.
type Settings map[string]json.RawMessage

// Value returns the raw JSON "value" of setting id, or nil when the setting
// is absent or has no value.
func (s Settings) Value(id string) json.RawMessage {
	raw, ok := s[id]
	if !ok {
		return nil
	}
	var obj struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	return obj.Value
}

// String returns the value of setting id when it is a JSON string, else "".
func (s Settings) String(id string) string {
	var v string
	if json.Unmarshal(s.Value(id), &v) != nil {
		return ""
	}
	return v
}

// Bool returns the value of setting id when it is a JSON boolean, else
// false.
func (s Settings) Bool(id string) bool {
	var v bool
	if json.Unmarshal(s.Value(id), &v) != nil {
		return false
	}
	return v
}

// The setting ids whose values the server uses itself: the user's phone
// formats, applied when a contact lookup arrives without overridingFormat
// (PROTOCOL.md §5).
const (
	SettingPhoneFormat  = "overridingPhoneNumberFormat"
	SettingPhoneFormat2 = "overridingPhoneNumberFormat2"
	SettingPhoneFormat3 = "overridingPhoneNumberFormat3"
)

// SettingsDefaulter is implemented by adapters that declare default user
// settings: the lowest layer of the effective settings (below the settings
// an admin manages for the account, below the user's own values). For
// example a default SettingPhoneFormat, or defaults of the adapter's own
// manifest settings. DefaultSettings is called once per request that reads
// settings and must be cheap and safe for concurrent use. Without it, the
// defaults are empty.
type SettingsDefaulter interface {
	// DefaultSettings returns the adapter's default settings.
	DefaultSettings() Settings
}

// LicenseChecker is implemented by adapters whose CRM (or vendor) licenses
// the integration per user, for GET /licenseStatus. Without it, the server
// answers a valid "Basic" license. An error answers an invalid license
// (never an HTTP error: with useLicense in the manifest, a failing request
// would stop the client altogether).
type LicenseChecker interface {
	// LicenseStatus returns the user's license.
	LicenseStatus(ctx context.Context, req LicenseStatusRequest) (LicenseStatus, error)
}

// LicenseStatusRequest is the input of LicenseChecker.LicenseStatus.
type LicenseStatusRequest struct {
	Session
}

// LicenseStatus is the user's license, as the client shows it.
type LicenseStatus struct {
	// Valid is false when the client should stop offering the CRM features.
	Valid bool
	// Status is a short label, e.g. "Basic" or "Pro".
	Status string
	// Description explains the status to the user, or "".
	Description string
}

// UserLister is implemented by adapters that can list the CRM's users, for
// the admin's user mapping (POST /admin/userMapping): CRM users are matched
// to telephony extensions by email. Without it, the mapping answers an
// empty list. The server uses at most the first 10,000 users.
type UserLister interface {
	// ListUsers returns the CRM's users.
	ListUsers(ctx context.Context, req ListUsersRequest) (ListUsersResult, error)
}

// ListUsersResult is the output of UserLister.ListUsers.
type ListUsersResult struct {
	// Users are the CRM's users; the server reads at most 10,000.
	Users []CRMUser
}

// ListUsersRequest is the input of UserLister.ListUsers.
type ListUsersRequest struct {
	Session
}

// CRMUser is one user of the CRM, for the admin's user mapping.
type CRMUser struct {
	// ID is the CRM's id for the user; required.
	ID string
	// Name is the user's display name.
	Name string
	// Email is the user's email address, matched case-insensitively.
	Email string
}
