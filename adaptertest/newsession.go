package adaptertest

import (
	"maps"
	"net/http"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
)

// NewSession returns the Session the server would hand a's methods after
// user logged in with secret, for calling the adapter directly in a unit
// test against a fake CRM (no server, no store, no login):
//
//   - Client sends every request with secret applied as a's Auth says: the
//     adapter's APIKeyScheme for API-key auth, "Authorization: Bearer
//     <secret>" for OAuth. It never refreshes; a 401 reaches the adapter.
//   - User is user, its Platform set to a.Platform() when empty.
//   - Settings are a's DefaultSettings when it is an
//     adapter.SettingsDefaulter, else empty; never nil. Set more on the
//     returned value as a user would.
func NewSession(a adapter.Adapter, user adapter.User, secret string) adapter.Session {
	if user.Platform == "" {
		user.Platform = a.Platform()
	}
	scheme := auth.BearerScheme
	if cfg := a.Auth(); cfg.Type == adapter.AuthAPIKey && cfg.APIKeyScheme != nil {
		scheme = cfg.APIKeyScheme
	}
	settings := adapter.Settings{}
	if d, ok := a.(adapter.SettingsDefaulter); ok {
		maps.Copy(settings, d.DefaultSettings())
	}
	return adapter.Session{
		User:     user,
		Client:   &http.Client{Transport: credential.NewTransport(nil, credential.APIKey(secret, scheme))},
		Settings: settings,
	}
}
