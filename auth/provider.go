package auth

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
