package pipedrive

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
)

// Pipedrive's OAuth endpoints, used when Config leaves them empty.
const (
	DefaultAuthURL   = "https://oauth.pipedrive.com/oauth/authorize"
	DefaultTokenURL  = "https://oauth.pipedrive.com/oauth/token"
	DefaultRevokeURL = "https://oauth.pipedrive.com/oauth/revoke"
)

// Platform is the adapter's platform name.
const Platform = "pipedrive"

// dealsField is the manifest's additional-field const for a contact's open
// deals, the key of Contact.AdditionalInfo and of AdditionalSubmission.
const dealsField = "deals"

// ErrConfig reports an unusable Config; New wraps it with the reason.
var ErrConfig = errors.New("pipedrive: invalid config")

// Config is this application's registration with Pipedrive.
type Config struct {
	// OAuth is the app's OAuth registration. ClientID, ClientSecret and
	// RedirectURL, from Pipedrive's Developer Hub, are required. AuthURL,
	// TokenURL and RevokeURL are Pipedrive's OAuth endpoints, the Default*
	// constants when empty (tests point them at a fake); the server
	// revokes a disconnecting user's refresh token at RevokeURL. Scopes
	// are shown in the client's manifest: Pipedrive grants the scopes
	// chosen at app registration, whatever the app asks for. AuthStyle is
	// ignored: Pipedrive takes the client credentials by HTTP Basic.
	OAuth auth.Provider
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(a *Adapter) { a.log = l }
}

// WithLookupConcurrency bounds how many Pipedrive requests one FindContacts
// runs at once (default 4). Pipedrive's search API allows 10 requests per 2
// seconds per token, so more rarely pays off.
func WithLookupConcurrency(n int) Option {
	return func(a *Adapter) { a.concurrency = n }
}

// Adapter is the Pipedrive adapter. Besides the five required methods it
// implements adapter.ContactCreator, CallLogReader, CallLogUpdater,
// MessageLogger, CallLogFinder, AuthValidator, Manifester and LogFormatter
// (TestCapabilities pins the list). It is safe for concurrent use.
type Adapter struct {
	cfg         Config
	log         *slog.Logger
	concurrency int
	manifest    json.RawMessage
	types       typeCache
	notes       keyedMutex
}

// New returns an Adapter for cfg.
func New(cfg Config, opts ...Option) (*Adapter, error) {
	cfg.OAuth.AuthURL = cmp.Or(cfg.OAuth.AuthURL, DefaultAuthURL)
	cfg.OAuth.TokenURL = cmp.Or(cfg.OAuth.TokenURL, DefaultTokenURL)
	cfg.OAuth.RevokeURL = cmp.Or(cfg.OAuth.RevokeURL, DefaultRevokeURL)
	cfg.OAuth.AuthStyle = auth.AuthInHeader
	cfg.OAuth.Scopes = slices.Clone(cfg.OAuth.Scopes)
	a := &Adapter{
		cfg:         cfg,
		log:         slog.New(slog.DiscardHandler),
		concurrency: 4,
	}
	for _, o := range opts {
		o(a)
	}
	if err := a.Auth().Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if a.log == nil || a.concurrency < 1 {
		return nil, fmt.Errorf("%w: nil logger, or concurrency below 1", ErrConfig)
	}
	m, err := json.Marshal(a.manifestBlock())
	if err != nil {
		return nil, fmt.Errorf("pipedrive: manifest: %w", err)
	}
	a.manifest = m
	return a, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Platform returns "pipedrive".
func (a *Adapter) Platform() string { return Platform }

// Auth says that users log in with Pipedrive's OAuth 2.0, the client
// authenticating by HTTP Basic at the token and revocation endpoints. The
// server refreshes tokens at TokenURL and, when a user disconnects, revokes
// the user's refresh token at RevokeURL.
func (a *Adapter) Auth() adapter.AuthConfig {
	p := a.cfg.OAuth
	p.Scopes = slices.Clone(p.Scopes)
	return adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &p}
}

// Manifest returns the Pipedrive block of the client's manifest: OAuth
// login (without the client secret), persons as the contact type and open
// deals as an additional field of call and message logs.
func (a *Adapter) Manifest() json.RawMessage { return slices.Clone(a.manifest) }

type manifestField struct {
	Const            string `json:"const"`
	Title            string `json:"title"`
	Type             string `json:"type"`
	ContactDependent bool   `json:"contactDependent"`
}

type manifestLogPage struct {
	AdditionalFields []manifestField `json:"additionalFields"`
}

type manifestBlock struct {
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	Auth         any    `json:"auth"`
	ContactTypes []any  `json:"contactTypes"`
	Page         any    `json:"page"`
}

func (a *Adapter) manifestBlock() manifestBlock {
	deals := []manifestField{{Const: dealsField, Title: "Deal", Type: "selection", ContactDependent: true}}
	return manifestBlock{
		Name:         Platform,
		DisplayName:  "Pipedrive",
		Auth:         a.Auth().ManifestAuth(),
		ContactTypes: []any{map[string]string{"display": "Person", "value": "Person"}},
		Page: map[string]manifestLogPage{
			"callLog":    {AdditionalFields: deals},
			"messageLog": {AdditionalFields: deals},
		},
	}
}
