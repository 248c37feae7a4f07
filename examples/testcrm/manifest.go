package testcrm

import (
	"encoding/json"
	"slices"
)

// manifest is the platform block of GET /crmManifest (PROTOCOL.md §6). The
// login page asks for the API key; the call-log form offers the contact's
// open deals. requestConfig.timeout is in seconds.
const manifest = `{
  "name": "testcrm",
  "displayName": "Test CRM",
  "auth": {
    "type": "apiKey",
    "apiKey": {
      "page": {
        "title": "Test CRM",
        "content": [
          {"const": "apiKey", "title": "API key", "type": "inputField", "required": true}
        ]
      }
    }
  },
  "contactTypes": [
    {"display": "Contact", "value": "Contact"},
    {"display": "Lead", "value": "Lead"}
  ],
  "page": {
    "callLog": {
      "additionalFields": [
        {"const": "deals", "title": "Deal", "type": "selection", "contactDependent": true}
      ]
    },
    "messageLog": {
      "additionalFields": []
    }
  },
  "requestConfig": {
    "timeout": 30
  }
}`

// Manifest returns the adapter's platform block of the client manifest: the
// API-key login page, the contact types, the "deals" field of the call-log
// form and the request timeout. It holds no secret. Each call returns a new
// copy.
func (a *Adapter) Manifest() json.RawMessage {
	return json.RawMessage(slices.Clone([]byte(manifest)))
}
