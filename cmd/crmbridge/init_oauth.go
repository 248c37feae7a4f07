package main

import (
	"fmt"
	"strings"
)

// rewrite is one exact edit of a skeleton file for --auth oauth; it
// replaces the first occurrence of old. When examples/template changes so that an
// edit no longer applies, init fails loudly (and TestInitThenGoTest with
// oauth catches it) instead of writing a half-converted adapter.
type rewrite struct{ old, new string }

// oauthRewrites turn the template's API-key adapter into an OAuth one: the
// Config carries the provider (an auth.Provider: the server does the code
// exchange and every refresh, and sends the access token as a Bearer token,
// so the API calls stay as they are), the manifest names the authorize URL,
// and the fake CRM gains a token endpoint that mints single-use codes.
var oauthRewrites = map[string][]rewrite{
	"api.go": {
		{"\tBaseURL string\n}", "\tBaseURL string\n" +
			"\t// OAuth is the CRM's OAuth 2.0 provider and this app's registration\n" +
			"\t// with it. AuthURL, TokenURL, ClientID, ClientSecret and RedirectURL\n" +
			"\t// are required.\n" +
			"\tOAuth auth.Provider\n}"},
		{"\tbase string\n}", "\tbase  string\n\toauth auth.Provider\n}"},
		{"\treturn &Adapter{base: strings.TrimRight(cfg.BaseURL, \"/\")}, nil",
			"\tp := cfg.OAuth\n" +
				"\tfor _, f := range []struct{ name, v string }{{\"AuthURL\", p.AuthURL}, {\"TokenURL\", p.TokenURL}, {\"ClientID\", p.ClientID}, {\"ClientSecret\", p.ClientSecret}, {\"RedirectURL\", p.RedirectURL}} {\n" +
				"\t\tif strings.TrimSpace(f.v) == \"\" {\n" +
				"\t\t\treturn nil, fmt.Errorf(\"%w: OAuth.%s is required\", ErrConfig, f.name)\n" +
				"\t\t}\n" +
				"\t}\n" +
				"\tp.Scopes = append([]string(nil), p.Scopes...)\n" +
				"\treturn &Adapter{base: strings.TrimRight(cfg.BaseURL, \"/\"), oauth: p}, nil"},
		{"// Auth says users paste an API key, sent as a Bearer token.\n" +
			"func (a *Adapter) Auth() adapter.AuthConfig {\n" +
			"\treturn adapter.AuthConfig{Type: adapter.AuthAPIKey, APIKeyScheme: auth.BearerScheme}\n}",
			"// Auth says users log in with OAuth 2.0 at the provider of Config.OAuth.\n" +
				"// The server exchanges the code, refreshes the token ahead of expiry and\n" +
				"// sends the access token as a Bearer token on every API call.\n" +
				"func (a *Adapter) Auth() adapter.AuthConfig { return adapter.OAuthConfig(a.oauth) }"},
	},
	"user.go": {
		{"  \"auth\": {\n    \"type\": \"apiKey\",\n    \"apiKey\": {\n      \"page\": {\n        \"title\": \"TemplateCRM\",\n        \"content\": [\n          {\"const\": \"apiKey\", \"title\": \"API key\", \"type\": \"inputField\", \"required\": true}\n        ]\n      }\n    }\n  },",
			"  \"auth\": {\"type\": \"oauth\"},"},
		{"func (a *Adapter) Manifest() json.RawMessage { return json.RawMessage(manifest) }",
			"// The OAuth block is filled from Config.OAuth; the client secret never\n" +
				"// appears in it.\n" +
				"func (a *Adapter) Manifest() json.RawMessage {\n" +
				"\tvar m map[string]any\n" +
				"\tif err := json.Unmarshal([]byte(manifest), &m); err != nil {\n" +
				"\t\tpanic(err) // a constant: the example test parses it\n" +
				"\t}\n" +
				"\tm[\"auth\"] = map[string]any{\"type\": \"oauth\", \"oauth\": map[string]any{\n" +
				"\t\t\"authUrl\": a.oauth.AuthURL, \"clientId\": a.oauth.ClientID,\n" +
				"\t\t\"redirectUri\": a.oauth.RedirectURL, \"scope\": strings.Join(a.oauth.Scopes, \" \"),\n" +
				"\t}}\n" +
				"\tb, err := json.Marshal(m)\n" +
				"\tif err != nil {\n" +
				"\t\tpanic(err)\n" +
				"\t}\n" +
				"\treturn b\n}"},
		{"\t\"errors\"\n", "\t\"errors\"\n\t\"strings\"\n"},
	},
	"template_test.go": {
		{"template.New(template.Config{BaseURL: crm.URL})", "template.New(template.Config{BaseURL: crm.URL, OAuth: crm.provider()})"},
		{"\t\tAPIKey:            \"test-key\",\n", "\t\tAuthorizationCode: crm.authorize,\n"},
	},
	"example_test.go": {
		{"template.New(template.Config{BaseURL: \"https://api.templatecrm.example\"})",
			"template.New(template.Config{BaseURL: \"https://api.templatecrm.example\", OAuth: auth.Provider{\n" +
				"\t\tAuthURL: \"https://templatecrm.example/oauth/authorize\", TokenURL: \"https://templatecrm.example/oauth/token\",\n" +
				"\t\tClientID: \"my-client\", ClientSecret: \"my-secret\", RedirectURL: \"https://app.example/redirect\",\n" +
				"\t}})"},
		{"\t// templatecrm apiKey search:", "\t// templatecrm oauth search:"},
		{"\t\"github.com/crmbridge/crmbridge/adapter\"\n", "\t\"github.com/crmbridge/crmbridge/adapter\"\n\t\"github.com/crmbridge/crmbridge/auth\"\n"},
	},
	"sequence_test.go": {
		{"\tjwt, _ := send(\"POST\", \"/apiKeyLogin\", map[string]any{\"platform\": template.Platform, \"apiKey\": \"test-key\"})[\"jwtToken\"].(string)\n",
			"\tcode, _ := crm.authorize(t.Context())\n" +
				"\tjwt, _ := send(\"GET\", \"/oauth-callback?callbackUri=\"+fakeRedirectURL+\"?code=\"+code+\"&state=platform=\"+template.Platform, nil)[\"jwtToken\"].(string)\n"},
	},
	"fakecrm_test.go": {
		{"\t\"encoding/json\"\n", "\t\"context\"\n\t\"encoding/json\"\n"},
		{"\t\"testing\"\n)", "\t\"testing\"\n\n\t\"github.com/crmbridge/crmbridge/auth\"\n)"},
		{"\tnext       map[string]int // route -> HTTP status to answer once\n",
			"\tnext       map[string]int // route -> HTTP status to answer once\n\tcodes      map[string]bool\n"},
		{"f.Server = httptest.NewServer(f.guard(mux))",
			"outer := http.NewServeMux()\n\touter.HandleFunc(\"POST /oauth/token\", f.token)\n\touter.Handle(\"/\", f.guard(mux))\n\tf.Server = httptest.NewServer(outer)"},
	},
}

// oauthFakeCRM is appended to fakecrm_test.go for --auth oauth: the fake's
// OAuth provider. Its access token is the fake's key, so the rest of the
// fake stays as it is.
const oauthFakeCRM = `
// Fake OAuth app registration of the tests.
const (
	fakeClientID     = "test-client"
	fakeClientSecret = "test-secret"
	fakeRedirectURL  = "https://app.example/redirect"
)

// provider is the fake's OAuth provider, as the adapter's Config takes it.
func (f *fakeCRM) provider() auth.Provider {
	return auth.Provider{
		AuthURL: f.URL + "/oauth/authorize", TokenURL: f.URL + "/oauth/token",
		ClientID: fakeClientID, ClientSecret: fakeClientSecret, RedirectURL: fakeRedirectURL,
	}
}

// authorize mints a single-use authorization code, as if a user had just
// approved the app.
func (f *fakeCRM) authorize(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.codes == nil {
		f.codes = map[string]bool{}
	}
	f.lastID++
	code := "code-" + strconv.Itoa(f.lastID)
	f.codes[code] = true
	return code, nil
}

// token is the token endpoint: a code (once) or a refresh token for an
// access token, with the client's credentials by HTTP Basic.
func (f *fakeCRM) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != fakeClientID || secret != fakeClientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(` + "`" + `{"error":"invalid_client"}` + "`" + `))
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	valid := false
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		valid = f.codes[code] && r.PostForm.Get("redirect_uri") == fakeRedirectURL
		delete(f.codes, code)
	case "refresh_token":
		valid = r.PostForm.Get("refresh_token") == "refresh-"+f.key
	}
	f.mu.Unlock()
	if !valid {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(` + "`" + `{"error":"invalid_grant"}` + "`" + `))
		return
	}
	reply(w, map[string]any{"access_token": f.key, "refresh_token": "refresh-" + f.key, "token_type": "bearer", "expires_in": 3600})
}
`

// applyOAuth edits one skeleton file (by its skeleton name) for --auth
// oauth.
func applyOAuth(name, src string) (string, error) {
	for _, rw := range oauthRewrites[name] {
		if n := strings.Count(src, rw.old); n == 0 {
			return "", fmt.Errorf("examples/template/%s changed: the OAuth edit of %.60q no longer applies; update cmd/crmbridge/init_oauth.go", name, rw.old)
		}
		src = strings.Replace(src, rw.old, rw.new, 1)
	}
	if name == "fakecrm_test.go" {
		src += oauthFakeCRM
	}
	return src, nil
}
