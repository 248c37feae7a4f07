// Package mycrm connects crmbridge to MyCRM, a CRM with a small JSON API:
// users authenticate with an API key in the X-API-Key header; contacts are
// found by their exact phone string; calls and messages are logged as
// activities with a subject and a note.
package mycrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// Activity is a MyCRM activity: one logged call or one day of messages.
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
	if err := a.do(ctx, req.Client, "GET", "/api/me", nil, &me); err != nil {
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
		if err := a.do(ctx, req.Client, "GET", "/api/contacts?phone="+url.QueryEscape(phone), nil, &page); err != nil {
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

// CreateContact creates a contact with the number in E.164 form.
func (a *Adapter) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	var c Contact
	in := Contact{Name: req.Name, Phone: req.Phone.Number.E164()}
	if err := a.do(ctx, req.Client, "POST", "/api/contacts", in, &c); err != nil {
		return adapter.CreateContactResult{}, err
	}
	return adapter.CreateContactResult{Contact: adapter.Contact{ID: c.ID, Name: c.Name, Phone: c.Phone}}, nil
}

// CreateCallLog records the call as an activity. logbody composes the
// note: what the user typed, then the call details their settings ask for
// (the recording link once it is known).
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	note := logbody.New(adapter.LogFormatText, req).String()
	in := Activity{ContactID: req.Contact.ID, Subject: logbody.Subject(req.Call, req.Contact), Note: note}
	var out Activity
	if err := a.do(ctx, req.Client, "POST", "/api/activities", in, &out); err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	return adapter.CreateCallLogResult{LogID: out.ID}, nil
}

// GetCallLog reads a call activity back; the note is the user's part only.
func (a *Adapter) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	act, err := a.activity(ctx, req.Client, req.LogID)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	note, err := logbody.Parse(adapter.LogFormatText, act.Note)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	return adapter.GetCallLogResult{Subject: act.Subject, Note: note.Note()}, nil
}

// UpdateCallLog replaces the subject when sent with a value (an empty
// string never erases); logbody updates the note (the user's part, the
// details, a new recording link once).
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	act, err := a.activity(ctx, req.Client, req.LogID)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	if req.Subject != nil && *req.Subject != "" {
		act.Subject = *req.Subject
	}
	note, err := logbody.Parse(adapter.LogFormatText, act.Note)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	note.Update(req)
	act.Note = note.String()
	if err := a.do(ctx, req.Client, "PATCH", "/api/activities/"+url.PathEscape(act.ID), act, nil); err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	return adapter.UpdateCallLogResult{UpdatedNote: note.Note()}, nil
}

// CreateMessageLog starts the activity of a conversation day.
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	line := logbody.Message(adapter.LogFormatText, req.Session, req.Conversation, req.Message)
	in := Activity{ContactID: req.Contact.ID, Subject: "Messages with " + req.Contact.Name, Note: line}
	var out Activity
	if err := a.do(ctx, req.Client, "POST", "/api/activities", in, &out); err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	return adapter.CreateMessageLogResult{LogID: out.ID}, nil
}

// UpdateMessageLog appends a later message of the day to its activity.
func (a *Adapter) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) error {
	act, err := a.activity(ctx, req.Client, req.LogID)
	if err != nil {
		return err
	}
	line := logbody.Message(adapter.LogFormatText, req.Session, req.Conversation, req.Message)
	act.Note = logbody.AppendMessage(adapter.LogFormatText, act.Note, line)
	return a.do(ctx, req.Client, "PATCH", "/api/activities/"+url.PathEscape(act.ID), act, nil)
}

// Unauthorize has nothing to do: MyCRM cannot revoke an API key through
// its API, and the server forgets the key itself.
func (a *Adapter) Unauthorize(context.Context, adapter.UnauthorizeRequest) error { return nil }

func (a *Adapter) activity(ctx context.Context, c *http.Client, id string) (Activity, error) {
	var act Activity
	err := a.do(ctx, c, "GET", "/api/activities/"+url.PathEscape(id), nil, &act)
	return act, err
}

// do sends one API request with the user's client (which adds the key) and
// decodes the JSON answer into out, turning MyCRM's statuses into the
// errors the server understands.
func (a *Adapter) do(ctx context.Context, c *http.Client, method, path string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, a.baseURL+path, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("mycrm %s %s: %w", method, req.URL.Path, err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("mycrm %s %s: %w", method, req.URL.Path, adapter.ErrUnauthorized)
	case res.StatusCode == http.StatusNotFound:
		return fmt.Errorf("mycrm %s %s: %w", method, req.URL.Path, adapter.ErrNotFound)
	case res.StatusCode >= 300:
		return fmt.Errorf("mycrm %s %s: HTTP %d", method, req.URL.Path, res.StatusCode)
	case out == nil:
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("mycrm %s %s: reading the answer: %w", method, req.URL.Path, err)
	}
	return nil
}
