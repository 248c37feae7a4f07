package adapter

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/crmbridge/crmbridge/auth"
)

// Validate reports everything that makes c unusable to the server, in one
// error, or nil. For [AuthOAuth]: OAuth is set; its ClientID,
// ClientSecret, RedirectURL, AuthURL and TokenURL are not empty; its URLs
// (RevokeURL when set) are absolute http(s) URLs. For
// [AuthAPIKey]: APIKeyScheme is set. Any other Type is refused. An
// adapter's constructor calls it on its own Auth() to refuse a bad
// configuration early, wrapping the error in its own:
//
//	if err := a.Auth().Validate(); err != nil {
//		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
//	}
func (c AuthConfig) Validate() error {
	var problems []string
	switch c.Type {
	case AuthAPIKey:
		if c.APIKeyScheme == nil {
			problems = append(problems, "APIKeyScheme is nil")
		}
	case AuthOAuth:
		p := c.OAuth
		if p == nil {
			problems = append(problems, "OAuth is nil")
			break
		}
		for _, f := range []struct{ name, v string }{
			{"ClientID", p.ClientID}, {"ClientSecret", p.ClientSecret}, {"RedirectURL", p.RedirectURL},
			{"AuthURL", p.AuthURL}, {"TokenURL", p.TokenURL}, {"RevokeURL", p.RevokeURL},
		} {
			switch {
			case strings.TrimSpace(f.v) == "" && f.name != "RevokeURL":
				problems = append(problems, f.name+" is empty")
			case f.v != "" && strings.HasSuffix(f.name, "URL") && !isHTTPURL(f.v):
				problems = append(problems, f.name+" is not an absolute http(s) URL")
			}
		}
	default:
		problems = append(problems, fmt.Sprintf("Type %q is neither AuthOAuth nor AuthAPIKey", c.Type))
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// ManifestAuth is the "auth" block of a platform's manifest (GET
// /crmManifest, PROTOCOL.md §6) as far as an AuthConfig says it, ready to
// marshal: {"type":"oauth","oauth":{"authUrl","clientId","redirectUri",
// "scope"}} or {"type":"apiKey"}. It never holds the client secret. An
// API-key adapter usually adds its login page ("apiKey": {"page": ...})
// in a block of its own.
type ManifestAuth struct {
	// Type is "oauth" or "apiKey".
	Type AuthType `json:"type"`
	// OAuth is what the client needs to open the CRM's authorization page;
	// nil for an API key.
	OAuth *ManifestOAuth `json:"oauth,omitempty"`
}

// ManifestOAuth is the "oauth" part of [ManifestAuth].
type ManifestOAuth struct {
	// AuthURL is the provider's authorization endpoint.
	AuthURL string `json:"authUrl"`
	// ClientID is the app's public client id.
	ClientID string `json:"clientId"`
	// RedirectURI is where the CRM sends the user back with a code.
	RedirectURI string `json:"redirectUri"`
	// Scope is the space-separated scopes the client asks for.
	Scope string `json:"scope"`
}

// ManifestAuth returns the manifest's "auth" block for c.
func (c AuthConfig) ManifestAuth() ManifestAuth {
	m := ManifestAuth{Type: c.Type}
	if p := c.OAuth; c.Type == AuthOAuth && p != nil {
		m.OAuth = &ManifestOAuth{AuthURL: p.AuthURL, ClientID: p.ClientID, RedirectURI: p.RedirectURL, Scope: strings.Join(p.Scopes, " ")}
	}
	return m
}

// OAuthConfig returns the AuthConfig of an adapter whose users log in with
// OAuth 2.0 at p: Type AuthOAuth and a copy of p, its Scopes copied too,
// so nothing the server does with the answer reaches the adapter's own
// provider. An OAuth adapter's Auth method is usually just
//
//	func (a *Adapter) Auth() adapter.AuthConfig { return adapter.OAuthConfig(a.provider) }
func OAuthConfig(p auth.Provider) AuthConfig {
	p.Scopes = slices.Clone(p.Scopes)
	return AuthConfig{Type: AuthOAuth, OAuth: &p}
}
