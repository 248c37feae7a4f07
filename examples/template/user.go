package template

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/crmbridge/crmbridge/adapter"
)

// user is TemplateCRM's /v1/me.
type user struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
}

// GetUserInfo checks the key by reading the user it belongs to.
func (a *Adapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	var u user
	if err := a.do(ctx, req.Client, "GET", "/v1/me", nil, nil, &u); err != nil {
		return adapter.UserInfo{}, err
	}
	if u.ID == "" {
		return adapter.UserInfo{}, errors.New("templatecrm: GET /v1/me: no user id in the answer")
	}
	return adapter.UserInfo{ID: u.ID, Name: u.Name, Timezone: u.Timezone, Hostname: req.Hostname}, nil
}

// ValidateAuth asks TemplateCRM whether the key still works.
func (a *Adapter) ValidateAuth(ctx context.Context, req adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	return adapter.ValidateAuthResult{}, a.do(ctx, req.Client, "GET", "/v1/me", nil, nil, nil)
}

// manifest is the platform block of the client's manifest: the login page
// asking for the key, and the contact types. It holds no secret.
const manifest = `{
  "name": "templatecrm",
  "displayName": "TemplateCRM",
  "auth": {
    "type": "apiKey",
    "apiKey": {
      "page": {
        "title": "TemplateCRM",
        "content": [
          {"const": "apiKey", "title": "API key", "type": "inputField", "required": true}
        ]
      }
    }
  },
  "contactTypes": [{"display": "Contact", "value": "Contact"}],
  "page": {
    "callLog": {"additionalFields": []},
    "messageLog": {"additionalFields": []}
  }
}`

// Manifest returns the platform block of GET /crmManifest.
func (a *Adapter) Manifest() json.RawMessage { return json.RawMessage(manifest) }
