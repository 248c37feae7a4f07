package adapter

import (
	"github.com/google/go-cmp/cmp"

	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/crmbridge/crmbridge/auth"
)

func TestAuthConfigValidate(t *testing.T) {
	good := func() AuthConfig {
		return AuthConfig{Type: AuthOAuth, OAuth: &auth.Provider{
			AuthURL: "https://crm.example/authorize", TokenURL: "https://crm.example/token",
			ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb",
		}}
	}
	tests := []struct {
		name   string
		change func(*AuthConfig)
		want   string // "" for valid
	}{
		{"oauth", func(*AuthConfig) {}, ""},
		{"oauth with revocation", func(c *AuthConfig) { c.OAuth.RevokeURL = "http://127.0.0.1:8080/revoke" }, ""},
		{"api key", func(c *AuthConfig) { *c = AuthConfig{Type: AuthAPIKey, APIKeyScheme: func(*http.Request, string) {}} }, ""},
		{"api key without scheme", func(c *AuthConfig) { *c = AuthConfig{Type: AuthAPIKey} }, "APIKeyScheme is nil"},
		{"no provider", func(c *AuthConfig) { c.OAuth = nil }, "OAuth is nil"},
		{"no type", func(c *AuthConfig) { c.Type = "" }, `Type "" is neither AuthOAuth nor AuthAPIKey`},
		{"blank id, no secret", func(c *AuthConfig) { c.OAuth.ClientID, c.OAuth.ClientSecret = " ", "" }, "ClientID is empty; ClientSecret is empty"},
		{"relative token url", func(c *AuthConfig) { c.OAuth.TokenURL = "/oauth/token" }, "TokenURL is not an absolute http(s) URL"},
		{"ftp revoke url", func(c *AuthConfig) { c.OAuth.RevokeURL = "ftp://crm.example/revoke" }, "RevokeURL is not an absolute http(s) URL"},
		{"no redirect", func(c *AuthConfig) { c.OAuth.RedirectURL = "" }, "RedirectURL is empty"},
	}
	for _, tt := range tests {
		c := good()
		tt.change(&c)
		err := c.Validate()
		if got := fmt.Sprint(err); (tt.want == "" && err != nil) || (tt.want != "" && got != tt.want) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// The manifest's auth block names the public parts of the provider, never
// the secret.
func TestManifestAuth(t *testing.T) {
	c := AuthConfig{Type: AuthOAuth, OAuth: &auth.Provider{
		AuthURL: "https://crm.example/authorize", TokenURL: "https://crm.example/token",
		ClientID: "id", ClientSecret: "top-secret", RedirectURL: "https://app.example/cb", Scopes: []string{"a", "b"},
	}}
	b, err := json.Marshal(c.ManifestAuth())
	if want := `{"type":"oauth","oauth":{"authUrl":"https://crm.example/authorize","clientId":"id","redirectUri":"https://app.example/cb","scope":"a b"}}`; err != nil || string(b) != want {
		t.Errorf("OAuth: %s, %v; want %s", b, err, want)
	}
	b, err = json.Marshal(AuthConfig{Type: AuthAPIKey, OAuth: c.OAuth}.ManifestAuth())
	if want := `{"type":"apiKey"}`; err != nil || string(b) != want {
		t.Errorf("API key: %s, %v; want %s", b, err, want)
	}
}

func TestOAuthConfig(t *testing.T) {
	t.Parallel()
	p := auth.Provider{
		AuthURL: "https://crm.example/oauth/authorize", TokenURL: "https://crm.example/oauth/token",
		ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb",
		Scopes: []string{"contacts", "calls"},
	}
	c := OAuthConfig(p)
	if c.Type != AuthOAuth || c.OAuth == nil {
		t.Fatalf("OAuthConfig = %+v, want Type AuthOAuth with a provider", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if diff := cmp.Diff(p, *c.OAuth); diff != "" {
		t.Errorf("provider (-given +returned):\n%s", diff)
	}
	// The answer is the caller's to change: the adapter's provider stays.
	c.OAuth.Scopes[0] = "changed"
	c.OAuth.ClientID = "changed"
	if p.Scopes[0] != "contacts" || p.ClientID != "id" {
		t.Errorf("changing OAuthConfig's answer changed the given provider: %+v", p)
	}
}
