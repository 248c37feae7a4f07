package hubspot

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
)

// HubSpot's endpoints, used when Config leaves them empty.
const (
	DefaultAuthURL   = "https://app.hubspot.com/oauth/authorize"
	DefaultTokenURL  = "https://api.hubapi.com/oauth/2026-03/token"
	DefaultRevokeURL = "https://api.hubapi.com/oauth/2026-03/token/revoke"
	DefaultAPIBase   = "https://api.hubapi.com"
)

// Platform is the adapter's platform name.
const Platform = "hubspot"

// DefaultScopes are the OAuth scopes the adapter needs: read and write
// contacts (calls and notes use the contact scopes) and read owners.
var DefaultScopes = []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.owners.read"}

// ErrConfig reports an unusable Config; New wraps it with the reason.
var ErrConfig = errors.New("hubspot: invalid config")

// Config is this application's registration with HubSpot.
type Config struct {
	// OAuth is the app's OAuth registration. ClientID, ClientSecret and
	// RedirectURL, from HubSpot's developer account, are required.
	// AuthURL, TokenURL and RevokeURL are the Default* constants when
	// empty (tests point them at a fake); Scopes are DefaultScopes when
	// nil. AuthStyle is ignored: HubSpot takes the client credentials in
	// the form body.
	OAuth auth.Provider
	// APIBase is HubSpot's API; DefaultAPIBase when empty. Tests point it
	// at a fake.
	APIBase string
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithMaxInValues lowers how many candidate strings one IN filter carries
// (default and maximum 100): a lookup with more candidates is split into
// the fewest search requests HubSpot's limits allow. For tests.
func WithMaxInValues(n int) Option { return func(a *Adapter) { a.maxIn = n } }

// Adapter is the HubSpot adapter. Besides the five required methods it
// implements adapter.ContactCreator, CallLogReader, CallLogUpdater,
// MessageLogger, ContactSearcher, AuthValidator, Manifester and
// LogFormatter (TestCapabilities pins the list). It is safe for concurrent
// use.
type Adapter struct {
	cfg      Config
	log      *slog.Logger
	maxIn    int
	manifest json.RawMessage
	records  keyedMutex
	recorded recordedLinks
}

// New returns an Adapter for cfg.
func New(cfg Config, opts ...Option) (*Adapter, error) {
	cfg.OAuth.AuthURL = cmp.Or(cfg.OAuth.AuthURL, DefaultAuthURL)
	cfg.OAuth.TokenURL = cmp.Or(cfg.OAuth.TokenURL, DefaultTokenURL)
	cfg.OAuth.RevokeURL = cmp.Or(cfg.OAuth.RevokeURL, DefaultRevokeURL)
	cfg.OAuth.AuthStyle = auth.AuthInBody
	cfg.APIBase = strings.TrimRight(cmp.Or(cfg.APIBase, DefaultAPIBase), "/")
	if cfg.OAuth.Scopes == nil {
		cfg.OAuth.Scopes = DefaultScopes
	}
	cfg.OAuth.Scopes = slices.Clone(cfg.OAuth.Scopes)
	if u, err := url.Parse(cfg.APIBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: APIBase is not an absolute http(s) URL", ErrConfig)
	}
	a := &Adapter{cfg: cfg, log: slog.New(slog.DiscardHandler), maxIn: maxInValues}
	for _, o := range opts {
		o(a)
	}
	if err := a.Auth().Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if a.log == nil || a.maxIn < 1 || a.maxIn > maxInValues {
		return nil, fmt.Errorf("%w: nil logger, or IN values outside 1..%d", ErrConfig, maxInValues)
	}
	m, err := json.Marshal(a.manifestBlock())
	if err != nil {
		return nil, fmt.Errorf("hubspot: manifest: %w", err)
	}
	a.manifest = m
	return a, nil
}

// Platform returns "hubspot".
func (a *Adapter) Platform() string { return Platform }

// Auth says that users log in with HubSpot's OAuth 2.0. The client
// credentials go in the form body of token and revocation requests
// (HubSpot's 2026-03 OAuth endpoints take them nowhere else). The server
// refreshes the 30-minute access tokens at TokenURL and revokes the
// refresh token at RevokeURL when the user disconnects.
func (a *Adapter) Auth() adapter.AuthConfig {
	p := a.cfg.OAuth
	p.Scopes = slices.Clone(p.Scopes)
	return adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &p}
}

// Manifest returns the HubSpot block of the client's manifest: OAuth login
// (without the client secret) and contacts as the contact type.
func (a *Adapter) Manifest() json.RawMessage { return slices.Clone(a.manifest) }

func (a *Adapter) manifestBlock() map[string]any {
	return map[string]any{
		"name":         Platform,
		"displayName":  "HubSpot",
		"auth":         a.Auth().ManifestAuth(),
		"contactTypes": []any{map[string]string{"display": "Contact", "value": contactType}},
		"page": map[string]any{
			"callLog":    map[string]any{"additionalFields": []any{}},
			"messageLog": map[string]any{"additionalFields": []any{}},
		},
	}
}
