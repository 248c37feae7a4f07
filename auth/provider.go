package auth

import (
	"fmt"
	"net/url"
	"strings"
)

// AuthStyle says how an OAuth client authenticates at the token endpoint.
type AuthStyle int

const (
	// AuthInHeader sends client_id and client_secret with HTTP Basic
	// authentication (RFC 6749 §2.3.1). The default.
	AuthInHeader AuthStyle = iota
	// AuthInBody sends client_id and client_secret as form fields.
	AuthInBody
)

// Provider describes an OAuth 2.0 provider as plain data: a CRM's endpoints
// and this application's registration with it. The zero AuthStyle is
// AuthInHeader.
type Provider struct {
	// AuthURL is the authorization endpoint the user's browser is sent to.
	AuthURL string
	// TokenURL is the token endpoint for code exchange and refresh.
	TokenURL string
	// RevokeURL is the token revocation endpoint (RFC 7009), or "" when
	// the provider has none. The server revokes the user's refresh token
	// there when the user disconnects.
	RevokeURL string
	// ClientID and ClientSecret are this application's credentials.
	ClientID     string
	ClientSecret string
	// RedirectURL is the redirect_uri registered with the provider.
	RedirectURL string
	// Scopes are requested at authorization, space-separated on the wire.
	Scopes []string
	// AuthStyle selects how the client authenticates at TokenURL.
	AuthStyle AuthStyle
}

// String hides ClientSecret.
func (p Provider) String() string {
	return fmt.Sprintf("auth.Provider{AuthURL: %s, TokenURL: %s, ClientID: %s, ClientSecret: %s, RedirectURL: %s, Scopes: %v}",
		p.AuthURL, p.TokenURL, p.ClientID, presence(p.ClientSecret), p.RedirectURL, p.Scopes)
}

// GoString is String.
func (p Provider) GoString() string { return p.String() }

// AuthCodeURL returns the URL of the provider's consent page for the
// authorization code flow, with response_type=code, client_id,
// redirect_uri, scope (space-separated) and state. Query parameters already
// in AuthURL are kept.
func (p Provider) AuthCodeURL(state string) string {
	v := url.Values{
		"response_type": {"code"},
		"client_id":     {p.ClientID},
	}
	if p.RedirectURL != "" {
		v.Set("redirect_uri", p.RedirectURL)
	}
	if len(p.Scopes) > 0 {
		v.Set("scope", strings.Join(p.Scopes, " "))
	}
	if state != "" {
		v.Set("state", state)
	}
	sep := "?"
	if strings.Contains(p.AuthURL, "?") {
		sep = "&"
	}
	return p.AuthURL + sep + v.Encode()
}

func presence(s string) string {
	if s == "" {
		return "none"
	}
	return "redacted"
}
