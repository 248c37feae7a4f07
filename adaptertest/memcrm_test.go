package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
)

// flaws are the mistakes a memCRM adapter can be told to make, one per
// kind of breakage the suite must catch.
type flaws struct {
	noUserID            bool // GetUserInfo returns an empty id
	badTimezone         bool // GetUserInfo returns a zone that does not exist
	contactWithoutID    bool // FindContacts returns contacts without ids
	missExisting        bool // FindContacts never finds anything
	findAbsent          bool // FindContacts returns a contact for any number
	ignoreFormats       bool // FindContacts tries only the E.164 candidate
	duplicateContacts   bool // FindContacts returns each match twice
	createContactNoID   bool // CreateContact returns no id
	createContactLost   bool // CreateContact returns an id but stores nothing
	emptyCallLogID      bool // CreateCallLog returns ""
	callLogError        bool // CreateCallLog fails
	getCallLogPanics    bool // GetCallLog panics
	noSubject           bool // GetCallLog returns no subject
	ignoreSubject       bool // UpdateCallLog leaves the subject
	appendNote          bool // UpdateCallLog appends the note instead of replacing
	ignoreRecording     bool // UpdateCallLog drops the recording link
	recordingReplaces   bool // UpdateCallLog replaces the note with the link
	eraseOnSweep        bool // UpdateCallLog rebuilds the note from the call's details
	recordingTwice      bool // UpdateCallLog adds the same link again
	noteWithRecording   bool // GetCallLog returns the link inside the note
	noteDropsRecording  bool // UpdateCallLog's note replaces the whole record
	emptyMessageLogID   bool // CreateMessageLog returns ""
	ignoreMessageAppend bool // UpdateMessageLog returns nil and does nothing
	messageAppendFails  bool // UpdateMessageLog fails
	dispositionIgnored  bool // SetCallDisposition stores nothing
	searchMisses        bool // SearchContacts finds nothing
	manifestLeaksKey    bool // Manifest includes the API key
	manifestInvalid     bool // Manifest is not JSON
	manifestWrongName   bool // Manifest names another platform
	validateFails       bool // ValidateAuth refuses the credentials
	unauthorizePanics   bool // Unauthorize panics
}

const (
	memPlatform = "memcrm"
	memKey      = "mem-key"
	memHeader   = "X-Mem-Key"
)

type memContact struct {
	id, name, phone string
}

type memCall struct {
	subject, note string
	recordings    []string
	dispositions  map[string]any
}

// record is the call log as the CRM shows it: the note, then one line per
// recording link.
func (cl *memCall) record() string {
	text := cl.note
	for _, l := range cl.recordings {
		text += "\nRecording: " + l
	}
	return text
}

// memCRM is an in-memory CRM whose adapter makes the mistakes its flaws
// say. Without flaws it passes the suite.
type memCRM struct {
	f flaws

	mu       sync.Mutex
	nextID   int
	contacts []memContact
	calls    map[string]*memCall
	messages map[string][]string
}

func newMemCRM(f flaws) *memCRM {
	return &memCRM{
		f:      f,
		nextID: 3,
		contacts: []memContact{
			{"1", "Alice Anderson", "+16505551212"},
			{"2", "Bob Brown", "(650) 555-1213"},
		},
		calls:    map[string]*memCall{},
		messages: map[string][]string{},
	}
}

func (c *memCRM) newID() string {
	id := strconv.Itoa(c.nextID)
	c.nextID++
	return id
}

// readMessageLog is Config.ReadMessageLog for this CRM.
func (c *memCRM) readMessageLog(_ context.Context, id string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines, ok := c.messages[id]
	if !ok {
		return "", fmt.Errorf("no message log %s", id)
	}
	return strings.Join(lines, "\n"), nil
}

// readCallLog is Config.ReadCallLog for this CRM.
func (c *memCRM) readCallLog(_ context.Context, id string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.calls[id]
	if !ok {
		return "", fmt.Errorf("no call log %s", id)
	}
	return cl.record(), nil
}

// config is a passing Config for an adapter over c.
func (c *memCRM) config(a adapter.Adapter) Config {
	return Config{
		Adapter:           a,
		APIKey:            memKey,
		Hostname:          "mem.example",
		ExistingPhone:     "+16505551212",
		ExistingContactID: "1",
		AbsentPhone:       "+16505550000",
		FormatPhone:       "+16505551213",
		OverridingFormat:  "(***) ***-****",
		FormatContactID:   "2",
		ReadMessageLog:    c.readMessageLog,
		ReadCallLog:       c.readCallLog,
	}
}

// memBasic is the adapter with the required methods and the capabilities
// every adapter of the examples has: creating contacts, reading and
// updating call logs, message logs and Unauthorize.
type memBasic struct{ crm *memCRM }

// memFull adds every optional capability.
type memFull struct{ memBasic }

// memRequired has the five required methods of memBasic and nothing else,
// as the guide's first adapter.
type memRequired struct{ b memBasic }

func (a memRequired) Platform() string         { return a.b.Platform() }
func (a memRequired) Auth() adapter.AuthConfig { return a.b.Auth() }
func (a memRequired) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	return a.b.GetUserInfo(ctx, req)
}
func (a memRequired) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	return a.b.FindContacts(ctx, req)
}
func (a memRequired) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	return a.b.CreateCallLog(ctx, req)
}

var (
	_ adapter.Adapter           = memBasic{}
	_ adapter.Adapter           = memRequired{}
	_ adapter.ContactSearcher   = memFull{}
	_ adapter.DispositionSetter = memFull{}
	_ adapter.Manifester        = memFull{}
	_ adapter.AuthValidator     = memFull{}
)

func (a memBasic) Platform() string { return memPlatform }

func (a memBasic) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthAPIKey, APIKeyScheme: auth.HeaderScheme(memHeader)}
}

func (a memBasic) GetUserInfo(_ context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	if req.APIKey != memKey {
		return adapter.UserInfo{}, &adapter.UserError{Message: "wrong key"}
	}
	info := adapter.UserInfo{ID: "u1", Name: "Mem User", Timezone: "Europe/Paris"}
	if a.crm.f.noUserID {
		info.ID = ""
	}
	if a.crm.f.badTimezone {
		info.Timezone = "Mars/Olympus_Mons"
	}
	return info, nil
}

func (a memBasic) FindContacts(_ context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	c := a.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	found := []adapter.Contact{}
	if c.f.missExisting {
		return adapter.FindContactsResult{Contacts: found}, nil
	}
	cands := req.Phone.Candidates
	if c.f.ignoreFormats {
		cands = cands[:1]
	}
	for _, cand := range cands {
		for _, ct := range c.contacts {
			if ct.phone == cand {
				found = append(found, adapter.Contact{ID: ct.id, Name: ct.name, Phone: ct.phone})
			}
		}
	}
	if c.f.findAbsent && len(found) == 0 {
		found = append(found, adapter.Contact{ID: "1", Name: "Alice Anderson"})
	}
	if c.f.duplicateContacts {
		found = append(found, found...)
	}
	if c.f.contactWithoutID {
		for i := range found {
			found[i].ID = ""
		}
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

func (a memBasic) CreateContact(_ context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	c := a.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	ct := memContact{id: c.newID(), name: req.Name, phone: req.Phone.Number.E164()}
	if !c.f.createContactLost {
		c.contacts = append(c.contacts, ct)
	}
	if c.f.createContactNoID {
		ct.id = ""
	}
	return adapter.CreateContactResult{Contact: adapter.Contact{ID: ct.id, Name: ct.name}}, nil
}

func (a memBasic) CreateCallLog(_ context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	c := a.crm
	if c.f.callLogError {
		return adapter.CreateCallLogResult{}, errors.New("memcrm is down")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.newID()
	c.calls[id] = &memCall{subject: "Call with " + req.Contact.Name, note: req.Note}
	if c.f.emptyCallLogID {
		id = ""
	}
	return adapter.CreateCallLogResult{LogID: id}, nil
}

func (a memBasic) GetCallLog(_ context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	c := a.crm
	if c.f.getCallLogPanics {
		panic("memcrm: nil map")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.calls[req.LogID]
	if !ok {
		return adapter.GetCallLogResult{}, fmt.Errorf("call %s: %w", req.LogID, adapter.ErrNotFound)
	}
	res := adapter.GetCallLogResult{Subject: cl.subject, Note: cl.note, Dispositions: maps.Clone(cl.dispositions)}
	if c.f.noteWithRecording {
		res.Note = cl.record()
	}
	if c.f.noSubject {
		res.Subject = ""
	}
	return res, nil
}

func (a memBasic) UpdateCallLog(_ context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	c := a.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.calls[req.LogID]
	if !ok {
		return adapter.UpdateCallLogResult{}, fmt.Errorf("call %s: %w", req.LogID, adapter.ErrNotFound)
	}
	if req.Subject != nil && !c.f.ignoreSubject {
		cl.subject = *req.Subject
	}
	if req.Note != nil {
		if c.f.appendNote {
			cl.note += "\n" + *req.Note
		} else {
			cl.note = *req.Note
		}
		if c.f.noteDropsRecording {
			cl.recordings = nil
		}
	}
	if c.f.eraseOnSweep && req.StartTime != nil {
		cl.note = ""
	}
	if l := req.RecordingLink; l != nil && !c.f.ignoreRecording {
		if c.f.recordingReplaces {
			cl.note = ""
		}
		if c.f.recordingTwice || !slices.Contains(cl.recordings, *l) {
			cl.recordings = append(cl.recordings, *l)
		}
	}
	return adapter.UpdateCallLogResult{UpdatedNote: cl.note}, nil
}

func (a memBasic) CreateMessageLog(_ context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	c := a.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.newID()
	c.messages[id] = []string{req.Message.Subject}
	if c.f.emptyMessageLogID {
		id = ""
	}
	return adapter.CreateMessageLogResult{LogID: id}, nil
}

func (a memBasic) UpdateMessageLog(_ context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	c := a.crm
	if c.f.messageAppendFails {
		return adapter.UpdateMessageLogResult{}, fmt.Errorf("message log %s: %w", req.LogID, adapter.ErrNotFound)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.messages[req.LogID]; !ok {
		return adapter.UpdateMessageLogResult{}, fmt.Errorf("message log %s: %w", req.LogID, adapter.ErrNotFound)
	}
	if !c.f.ignoreMessageAppend {
		c.messages[req.LogID] = append(c.messages[req.LogID], req.Message.Subject)
	}
	return adapter.UpdateMessageLogResult{}, nil
}

func (a memBasic) Unauthorize(context.Context, adapter.UnauthorizeRequest) (adapter.UnauthorizeResult, error) {
	if a.crm.f.unauthorizePanics {
		panic("memcrm: unauthorize")
	}
	return adapter.UnauthorizeResult{}, nil
}

func (a memFull) SearchContacts(_ context.Context, req adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	c := a.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	found := []adapter.Contact{}
	if c.f.searchMisses {
		return adapter.FindContactsResult{Contacts: found}, nil
	}
	for _, ct := range c.contacts {
		if strings.Contains(strings.ToLower(ct.name), strings.ToLower(req.Name)) {
			found = append(found, adapter.Contact{ID: ct.id, Name: ct.name, Phone: ct.phone})
		}
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

func (a memFull) SetCallDisposition(_ context.Context, req adapter.SetCallDispositionRequest) (adapter.SetCallDispositionResult, error) {
	c := a.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.calls[req.LogID]
	if !ok {
		return adapter.SetCallDispositionResult{}, fmt.Errorf("call %s: %w", req.LogID, adapter.ErrNotFound)
	}
	if c.f.dispositionIgnored {
		cl.dispositions = map[string]any{"unrelated": true}
		return adapter.SetCallDispositionResult{}, nil
	}
	cl.dispositions = maps.Clone(req.Dispositions)
	return adapter.SetCallDispositionResult{}, nil
}

func (a memFull) Manifest() json.RawMessage {
	f := a.crm.f
	switch {
	case f.manifestInvalid:
		return json.RawMessage(`{"name": "memcrm",`)
	case f.manifestLeaksKey:
		return json.RawMessage(`{"name":"memcrm","displayName":"Mem CRM","auth":{"type":"apiKey"},"demoKey":"` + memKey + `"}`)
	case f.manifestWrongName:
		return json.RawMessage(`{"name":"othercrm","displayName":"Mem CRM","auth":{"type":"apiKey"}}`)
	}
	return json.RawMessage(`{"name":"memcrm","displayName":"Mem CRM","auth":{"type":"apiKey"}}`)
}

func (a memFull) ValidateAuth(context.Context, adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	if a.crm.f.validateFails {
		return adapter.ValidateAuthResult{}, fmt.Errorf("memcrm: key refused: %w", adapter.ErrUnauthorized)
	}
	return adapter.ValidateAuthResult{}, nil
}

// memOAuth is memFull logging in with OAuth at a provider served by
// newProvider.
type memOAuth struct {
	memFull
	base string
}

func (a memOAuth) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &auth.Provider{
		AuthURL:      a.base + "/authorize",
		TokenURL:     a.base + "/token",
		ClientID:     "mem-client",
		ClientSecret: "mem-client-secret",
		RedirectURL:  "https://bridge.example/oauth-callback",
	}}
}

func (a memOAuth) Manifest() json.RawMessage {
	return json.RawMessage(`{"name":"memcrm","displayName":"Mem CRM","auth":{"type":"oauth"}}`)
}

// GetUserInfo reads /me with the token the server obtained.
func (a memOAuth) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	r, err := http.NewRequestWithContext(ctx, "GET", a.base+"/me", nil)
	if err != nil {
		return adapter.UserInfo{}, err
	}
	res, err := req.Client.Do(r)
	if err != nil {
		return adapter.UserInfo{}, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return adapter.UserInfo{}, fmt.Errorf("GET /me: HTTP %d: %w", res.StatusCode, adapter.ErrUnauthorized)
	}
	return adapter.UserInfo{ID: "u1", Name: "Mem User", Timezone: "UTC"}, nil
}

// newProvider serves an OAuth token endpoint that exchanges the code
// "good-code" for the access token "access-1", and /me, which wants it.
func newProvider() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if id, secret, _ := r.BasicAuth(); id != "mem-client" || secret != "mem-client-secret" ||
			r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("code") != "good-code" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"access-1","refresh_token":"refresh-1","expires_in":3600,"token_type":"bearer"}`)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer access-1" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	return mux
}
