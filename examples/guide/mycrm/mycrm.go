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
	"slices"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
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

// CreateCallLog records the call as an activity: the user's note, then
// the recording link when it is already known.
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	note := req.Note
	if r := req.Call.Recording; r != nil && strings.HasPrefix(r.Link, "http") {
		note += "\n" + recordingPrefix + r.Link
	}
	in := Activity{ContactID: req.Contact.ID, Subject: "Call with " + req.Contact.Name, Note: note}
	var out Activity
	if err := a.do(ctx, req.Client, "POST", "/api/activities", in, &out); err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	return adapter.CreateCallLogResult{LogID: out.ID}, nil
}

// recordingPrefix starts the line a recording link is kept on.
const recordingPrefix = "Recording: "

// splitNote separates what the user typed from the recording lines.
func splitNote(note string) (user string, recordings []string) {
	var typed []string
	for _, line := range strings.Split(note, "\n") {
		if strings.HasPrefix(line, recordingPrefix) {
			recordings = append(recordings, line)
		} else {
			typed = append(typed, line)
		}
	}
	return strings.Join(typed, "\n"), recordings
}

// GetCallLog reads a call activity back; the note is the user's part only.
func (a *Adapter) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	act, err := a.activity(ctx, req.Client, req.LogID)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	user, _ := splitNote(act.Note)
	return adapter.GetCallLogResult{Subject: act.Subject, Note: user}, nil
}

// UpdateCallLog replaces the subject and the user's part of the note when
// sent with a value (an empty string never erases), keeps the recording
// lines, and adds a new recording link once.
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	act, err := a.activity(ctx, req.Client, req.LogID)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	if req.Subject != nil && *req.Subject != "" {
		act.Subject = *req.Subject
	}
	user, recordings := splitNote(act.Note)
	if req.Note != nil && *req.Note != "" {
		user = *req.Note
	}
	if l := req.RecordingLink; l != nil && *l != "" && !slices.Contains(recordings, recordingPrefix+*l) {
		recordings = append(recordings, recordingPrefix+*l)
	}
	act.Note = strings.Join(append([]string{user}, recordings...), "\n")
	if err := a.do(ctx, req.Client, "PATCH", "/api/activities/"+url.PathEscape(act.ID), act, nil); err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	return adapter.UpdateCallLogResult{UpdatedNote: user}, nil
}

// CreateMessageLog starts the activity of a conversation day.
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	in := Activity{ContactID: req.Contact.ID, Subject: "Messages with " + req.Contact.Name, Note: messageLine(req.Message)}
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
	act.Note += "\n" + messageLine(req.Message)
	return a.do(ctx, req.Client, "PATCH", "/api/activities/"+url.PathEscape(act.ID), act, nil)
}

// Unauthorize has nothing to do: MyCRM cannot revoke an API key through
// its API, and the server forgets the key itself.
func (a *Adapter) Unauthorize(context.Context, adapter.UnauthorizeRequest) error { return nil }

func messageLine(m adapter.Message) string {
	return m.CreationTime.Format("15:04") + " " + m.Direction + ": " + m.Subject
}

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
