package auth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testProvider(tokenURL string) Provider {
	return Provider{
		AuthURL:      "https://crm.example/oauth/authorize",
		TokenURL:     tokenURL,
		ClientID:     "client id",
		ClientSecret: "s3cr:et/+&=x",
		RedirectURL:  "https://app.example/oauth-callback",
		Scopes:       []string{"contacts:read", "calls:write"},
	}
}

func TestAuthCodeURL(t *testing.T) {
	tests := []struct {
		name    string
		authURL string
		scopes  []string
		want    url.Values
	}{
		{"plain", "https://crm.example/oauth/authorize", []string{"contacts:read", "calls:write"}, url.Values{
			"response_type": {"code"}, "client_id": {"client id"}, "redirect_uri": {"https://app.example/oauth-callback"},
			"scope": {"contacts:read calls:write"}, "state": {"platform=pipedrive"},
		}},
		{"existing query kept", "https://crm.example/oauth/authorize?prompt=consent", nil, url.Values{
			"prompt": {"consent"}, "response_type": {"code"}, "client_id": {"client id"},
			"redirect_uri": {"https://app.example/oauth-callback"}, "state": {"platform=pipedrive"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProvider("")
			p.AuthURL, p.Scopes = tt.authURL, tt.scopes
			u, err := url.Parse(p.AuthCodeURL("platform=pipedrive"))
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != "https://crm.example/oauth/authorize" {
				t.Errorf("endpoint = %q", got)
			}
			if diff := cmp.Diff(tt.want, u.Query()); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

// A Provider is configuration that ends up in logs and panics: no verb and
// no slog handler shows ClientSecret, and the rest stays readable.
func TestProviderDoesNotPrintSecret(t *testing.T) {
	p := testProvider("https://crm.example/oauth/token")
	p.ClientSecret = "the-client-secret-1"
	for _, out := range []string{sprintAll(p), sprintAll(&p), sprintAll([]Provider{p}), logAll(p)} {
		if strings.Contains(out, p.ClientSecret) {
			t.Errorf("formatted Provider shows ClientSecret: %s", out)
		}
		if !strings.Contains(out, "https://crm.example/oauth/token") {
			t.Errorf("formatted Provider lost its TokenURL: %s", out)
		}
	}
}
