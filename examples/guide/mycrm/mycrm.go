// Package mycrm connects crmbridge to MyCRM, a CRM with a small JSON API:
// users authenticate with an API key in the X-API-Key header; contacts are
// found by their exact phone string; calls are logged as activities with a
// subject and a note.
package mycrm

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/logbody"
)

// Contact is a MyCRM contact as its API sends it.
type Contact struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Activity is a MyCRM activity: one logged call.
type Activity struct {
	ID        string `json:"id"`
	ContactID string `json:"contactId"`
	Subject   string `json:"subject"`
	Note      string `json:"note"`
}

// Adapter talks to one MyCRM installation. It is safe for concurrent use.
type Adapter struct {
	baseURL string
}

// New returns an adapter for the MyCRM API at baseURL.
func New(baseURL string) *Adapter {
	return &Adapter{baseURL: strings.TrimRight(baseURL, "/")}
}

// Platform is the name the client and the session know this CRM by.
func (a *Adapter) Platform() string { return "mycrm" }

// Auth says users paste an API key, which goes in the X-API-Key header.
func (a *Adapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthAPIKey, APIKeyScheme: auth.HeaderScheme("X-API-Key")}
}

// GetUserInfo checks the key by asking MyCRM who it belongs to.
func (a *Adapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	var me struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := a.api(req.Client).Do(ctx, "GET", "/api/me", nil, nil, &me); err != nil {
		return adapter.UserInfo{}, err
	}
	return adapter.UserInfo{ID: me.ID, Name: me.Name}, nil
}

// FindContacts tries each candidate form of the number, because MyCRM
// matches phone strings exactly.
func (a *Adapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	found := []adapter.Contact{}
	seen := map[string]bool{}
	for _, phone := range req.Phone.Candidates {
		var page []Contact
		if err := a.api(req.Client).Do(ctx, "GET", "/api/contacts", url.Values{"phone": {phone}}, nil, &page); err != nil {
			return adapter.FindContactsResult{}, err
		}
		for _, c := range page {
			if !seen[c.ID] {
				seen[c.ID] = true
				found = append(found, adapter.Contact{ID: c.ID, Name: c.Name, Phone: c.Phone})
			}
		}
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

// CreateCallLog records the call as an activity. logbody composes the
// note: what the user typed, then the call details their settings ask for
// (the recording link once it is known).
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	note := logbody.New(adapter.LogFormatText, req).String()
	in := Activity{ContactID: req.Contact.ID, Subject: logbody.Subject(req.Call, req.Contact), Note: note}
	var out Activity
	if err := a.api(req.Client).Do(ctx, "POST", "/api/activities", nil, in, &out); err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	return adapter.CreateCallLogResult{LogID: out.ID}, nil
}

// api sends the user's requests to MyCRM: adapter.JSONClient encodes the
// body, sends it with the user's client (which adds the key), bounds and
// decodes the JSON answer, and turns MyCRM's error statuses into the errors
// the server understands (adapter.ResponseError).
func (a *Adapter) api(c *http.Client) adapter.JSONClient {
	return adapter.JSONClient{Client: c, BaseURL: a.baseURL, Name: "mycrm"}
}
