package auth

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
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
	// the provider has none. When the user logs out (POST /unAuthorize)
	// the server revokes the user's refresh token there, or the access
	// token when there is no refresh token; a failure is logged and the
	// stored tokens are erased anyway.
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

// Format prints String for every verb (GoString for %#v): without it, %d
// or %t would print the fields, ClientSecret included.
func (p Provider) Format(f fmt.State, verb rune) { formatRedacted(f, verb, p.String(), p.GoString()) }

// LogValue makes log/slog record the provider without ClientSecret, also
// with a handler that would otherwise marshal the struct (slog.JSONHandler).
func (p Provider) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("auth_url", p.AuthURL),
		slog.String("token_url", p.TokenURL),
		slog.String("revoke_url", p.RevokeURL),
		slog.String("client_id", p.ClientID),
		slog.String("client_secret", presence(p.ClientSecret)),
		slog.String("redirect_url", p.RedirectURL),
		slog.Any("scopes", p.Scopes),
	)
}

// formatRedacted is the Format of a type holding a secret: s, the type's
// redacted String, for every verb; gos for %#v.
func formatRedacted(f fmt.State, verb rune, s, gos string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, gos)
	case verb == 'q':
		io.WriteString(f, strconv.Quote(s))
	default:
		io.WriteString(f, s)
	}
}

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
