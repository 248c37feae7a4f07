package testcrm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

// Platform is the adapter's platform name.
const Platform = "testcrm"

// HeaderAPIKey is the request header that carries a user's API key.
const HeaderAPIKey = "X-TestCRM-Key"

// DefaultHostname is the user's hostname when the login named none.
const DefaultHostname = "testcrm.local"

// DealsField is the const of the "deals" additional field: the key of
// Contact.AdditionalInfo and of a log's AdditionalSubmission.
const DealsField = "deals"

// errRevoked is what every call on behalf of a revoked user returns.
var errRevoked = fmt.Errorf("api key revoked: %w", adapter.ErrUnauthorized)

// LogFormat says that call log bodies are plain text (see CallActivity.Note).
func (a *Adapter) LogFormat() adapter.LogFormat { return adapter.LogFormatText }

// DefaultPhoneFormat is testcrm's default overridingPhoneNumberFormat: the
// way Bob Brown's number is stored, so a newcomer finds him without
// configuring a format.
const DefaultPhoneFormat = "(***) ***-****"

// DefaultSettings declares one default user setting,
// overridingPhoneNumberFormat = DefaultPhoneFormat. An admin or the user
// can change it.
func (a *Adapter) DefaultSettings() adapter.Settings {
	return adapter.Settings{
		adapter.SettingPhoneFormat: json.RawMessage(`{"value":"` + DefaultPhoneFormat + `","defaultValue":"` + DefaultPhoneFormat + `"}`),
	}
}

// LicenseStatus returns the license set with CRM.SetLicense.
func (a *Adapter) LicenseStatus(ctx context.Context, req adapter.LicenseStatusRequest) (adapter.LicenseStatus, error) {
	if err := a.crm.begin(ctx, OpLicense, req.User.ID); err != nil {
		return adapter.LicenseStatus{}, err
	}
	a.crm.mu.Lock()
	defer a.crm.mu.Unlock()
	return a.crm.license, nil
}

// ListUsers returns the CRM's users, for the admin's user mapping.
func (a *Adapter) ListUsers(ctx context.Context, req adapter.ListUsersRequest) (adapter.ListUsersResult, error) {
	if err := a.crm.begin(ctx, OpListUsers, req.User.ID); err != nil {
		return adapter.ListUsersResult{}, err
	}
	return adapter.ListUsersResult{Users: a.crm.Users()}, nil
}

// Adapter connects the crmbridge server to a [CRM]. It implements
// adapter.Adapter and every optional capability but
// adapter.ContactCachePolicy (TestCapabilities pins the list). It is safe
// for concurrent use.
type Adapter struct {
	crm *CRM
}

// New returns an adapter for crm; a nil crm gets a fresh [NewCRM].
func New(crm *CRM) *Adapter {
	if crm == nil {
		crm = NewCRM()
	}
	return &Adapter{crm: crm}
}

// CRM returns the CRM the adapter works on.
func (a *Adapter) CRM() *CRM { return a.crm }

// Platform returns "testcrm".
func (a *Adapter) Platform() string { return Platform }

// Auth says that users log in with an API key, sent in the X-TestCRM-Key
// header.
func (a *Adapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{
		Type: adapter.AuthAPIKey,
		APIKeyScheme: func(r *http.Request, key string) {
			r.Header.Set(HeaderAPIKey, key)
		},
	}
}

// UserID returns the id of the user who logs in with key: "u-" and the first
// 32 hex digits (128 bits) of the key's SHA-256, so one key is always one
// user, two keys share a user only by a hash collision, and the id reveals
// nothing usable of the key. (With 32 bits, a birthday search over about
// 2^16 keys found two keys sharing one user, and so one user's logs.)
func UserID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "u-" + hex.EncodeToString(sum[:16])
}

// GetUserInfo accepts any non-blank API key, as a sandbox does, and lifts a
// revocation of that key's user. A blank key is refused with a
// *adapter.UserError.
func (a *Adapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	if err := a.crm.begin(ctx, OpUserInfo, ""); err != nil {
		return adapter.UserInfo{}, err
	}
	if strings.TrimSpace(req.APIKey) == "" {
		return adapter.UserInfo{}, &adapter.UserError{Message: "API key is required"}
	}
	id := UserID(req.APIKey)
	a.crm.mu.Lock()
	delete(a.crm.revoked, id)
	a.crm.mu.Unlock()
	host := req.Hostname
	if host == "" {
		host = DefaultHostname
	}
	return adapter.UserInfo{ID: id, Name: "Test User", Hostname: host, Timezone: "UTC"}, nil
}

// FindContacts returns every contact whose stored phone equals one of the
// candidates, exactly: contacts matching the first candidate first, each
// contact once. An extension matches nothing.
func (a *Adapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpFind, req.User.ID); err != nil {
		return adapter.FindContactsResult{}, err
	}
	found := []adapter.Contact{}
	if req.Phone.IsExtension {
		return adapter.FindContactsResult{Contacts: found}, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	for _, cand := range req.Phone.Candidates {
		for _, ct := range c.contacts {
			if ct.Phone == cand && !seen[ct.ID] {
				seen[ct.ID] = true
				found = append(found, toAdapterContact(ct))
			}
		}
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

// SearchContacts returns every contact whose name contains req.Name, ignoring
// case, in id order. A blank name is refused with a *adapter.UserError.
func (a *Adapter) SearchContacts(ctx context.Context, req adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpSearch, req.User.ID); err != nil {
		return adapter.FindContactsResult{}, err
	}
	q := strings.ToLower(strings.TrimSpace(req.Name))
	if q == "" {
		return adapter.FindContactsResult{}, &adapter.UserError{Message: "Enter a name to search for"}
	}
	found := []adapter.Contact{}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ct := range c.contacts {
		if strings.Contains(strings.ToLower(ct.Name), q) {
			found = append(found, toAdapterContact(ct))
		}
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

// CreateContact stores a new contact with the number in E.164 form (the raw
// number when it did not parse). A blank name, a missing number or a type
// other than "Contact" or "Lead" is refused with a *adapter.UserError.
func (a *Adapter) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	if err := a.crm.begin(ctx, OpCreateContact, req.User.ID); err != nil {
		return adapter.CreateContactResult{}, err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return adapter.CreateContactResult{}, &adapter.UserError{Message: "Name is required"}
	}
	number := req.Phone.Number.E164()
	if number == "" {
		number = strings.TrimSpace(req.Phone.Raw)
	}
	if number == "" {
		return adapter.CreateContactResult{}, &adapter.UserError{Message: "Phone number is required"}
	}
	typ := req.Type
	switch typ {
	case "":
		typ = TypeContact
	case TypeContact, TypeLead:
	default:
		return adapter.CreateContactResult{}, &adapter.UserError{Message: fmt.Sprintf("Unknown contact type %q", typ)}
	}
	ct := a.crm.AddContact(Contact{Name: name, Phone: number, Type: typ})
	return adapter.CreateContactResult{Contact: toAdapterContact(ct)}, nil
}

// CreateCallLog records a call against an existing contact. The subject is
// logbody.Subject of the call and the contact's name; the body
// (CallActivity.Note) is composed by logbody in plain text from the note
// and the call, as the user's settings say. An unknown contact or a deal
// that is not one of the contact's is refused with a *adapter.UserError.
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpCreateCallLog, req.User.ID); err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ct := c.contactLocked(req.Contact.ID)
	if ct == nil {
		return adapter.CreateCallLogResult{}, unknownContact(req.Contact.ID)
	}
	deal, err := dealOf(ct, req.AdditionalSubmission)
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	call := req.Call
	contact := adapter.ContactRef{ID: ct.ID, Type: ct.Type, Name: ct.Name}
	body := req
	body.Contact = contact
	act := CallActivity{
		ID:         c.newIDLocked(),
		OwnerID:    req.User.ID,
		ContactID:  ct.ID,
		SessionID:  call.SessionID,
		Subject:    logbody.Subject(call, contact),
		Note:       logbody.New(adapter.LogFormatText, body).String(),
		AINote:     req.AINote,
		Transcript: req.Transcript,
		Direction:  call.Direction,
		Result:     call.Result,
		From:       call.From,
		To:         call.To,
		StartTime:  call.StartTime,
		Duration:   call.Duration,
		DealID:     deal,
	}
	if call.Recording != nil && logbody.IsWebLink(call.Recording.Link) {
		act.RecordingLink = call.Recording.Link
	}
	c.calls = append(c.calls, act)
	return adapter.CreateCallLogResult{LogID: act.ID}, nil
}

// FindCallLog looks for the user's call activity of req.Call.SessionID
// (adapter.CallLogFinder): the CRM keeps each activity's session id.
func (a *Adapter) FindCallLog(ctx context.Context, req adapter.FindCallLogRequest) (adapter.FindCallLogResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpFindCallLog, req.User.ID); err != nil {
		return adapter.FindCallLogResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, act := range c.calls {
		if act.OwnerID == req.User.ID && act.SessionID == req.Call.SessionID {
			return adapter.FindCallLogResult{LogID: act.ID}, nil
		}
	}
	return adapter.FindCallLogResult{}, nil
}

// GetCallLog reads a call activity back. An unknown id is adapter.ErrNotFound.
func (a *Adapter) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpGetCallLog, req.User.ID); err != nil {
		return adapter.GetCallLogResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	act := c.callLocked(req.LogID)
	if act == nil {
		return adapter.GetCallLogResult{}, unknownCallLog(req.LogID)
	}
	body, err := logbody.Parse(adapter.LogFormatText, act.Note)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	return adapter.GetCallLogResult{
		Subject:      act.Subject,
		Note:         body.Note(),
		Dispositions: maps.Clone(act.Dispositions),
	}, nil
}

// UpdateCallLog changes the fields the client sent with a value: the
// subject and the call's data are replaced, and the body is updated by
// logbody (Body.Update: a note replaces the user's part only, keeping the
// recording and the call details; a recording link is added once). An
// empty value never erases anything (the client's recording sweep sends
// "note":""). It returns the user's note as it is now. An unknown id is
// adapter.ErrNotFound; a deal that is not one of the contact's is a
// *adapter.UserError, and then nothing changes.
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpUpdateCallLog, req.User.ID); err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	act := c.callLocked(req.LogID)
	if act == nil {
		return adapter.UpdateCallLogResult{}, unknownCallLog(req.LogID)
	}
	deal := act.DealID
	if _, ok := req.AdditionalSubmission[DealsField]; ok {
		ct := c.contactLocked(act.ContactID)
		if ct == nil {
			return adapter.UpdateCallLogResult{}, unknownContact(act.ContactID)
		}
		var err error
		if deal, err = dealOf(ct, req.AdditionalSubmission); err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
	}
	body, err := logbody.Parse(adapter.LogFormatText, act.Note)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	act.DealID = deal
	setIf(&act.Subject, req.Subject)
	if body.Update(req) {
		act.Note = body.String()
	}
	setIf(&act.AINote, req.AINote)
	setIf(&act.Transcript, req.Transcript)
	setIf(&act.Result, req.Result)
	setIf(&act.Direction, req.Direction)
	if req.RecordingLink != nil && logbody.IsWebLink(*req.RecordingLink) {
		act.RecordingLink = *req.RecordingLink
	}
	if req.StartTime != nil {
		act.StartTime = *req.StartTime
	}
	if req.Duration != nil {
		act.Duration = *req.Duration
	}
	if req.From != nil {
		act.From = *req.From
	}
	if req.To != nil {
		act.To = *req.To
	}
	return adapter.UpdateCallLogResult{UpdatedNote: body.Note()}, nil
}

// SetCallDisposition merges the dispositions into the call activity's. An
// unknown id is adapter.ErrNotFound.
func (a *Adapter) SetCallDisposition(ctx context.Context, req adapter.SetCallDispositionRequest) (adapter.SetCallDispositionResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpSetDisposition, req.User.ID); err != nil {
		return adapter.SetCallDispositionResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	act := c.callLocked(req.LogID)
	if act == nil {
		return adapter.SetCallDispositionResult{}, unknownCallLog(req.LogID)
	}
	if act.Dispositions == nil {
		act.Dispositions = map[string]any{}
	}
	maps.Copy(act.Dispositions, req.Dispositions)
	return adapter.SetCallDispositionResult{}, nil
}

// CreateMessageLog creates the activity of a conversation day holding the
// message's line. It creates a new activity every time it is called: keeping
// one per day is the server's job. An unknown contact is a
// *adapter.UserError.
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpCreateMessageLog, req.User.ID); err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ct := c.contactLocked(req.Contact.ID)
	if ct == nil {
		return adapter.CreateMessageLogResult{}, unknownContact(req.Contact.ID)
	}
	typ := conversationType(req.Conversation.Type)
	act := MessageActivity{
		ID:                c.newIDLocked(),
		OwnerID:           req.User.ID,
		ContactID:         ct.ID,
		ConversationLogID: req.Conversation.LogID,
		Type:              typ,
		Subject:           fmt.Sprintf("%s conversation with %s", typ, ct.Name),
		Lines:             []string{logbody.Message(adapter.LogFormatText, req.Session, adapter.Conversation{Type: typ}, req.Message)},
		MessageIDs:        []string{req.Message.ID},
	}
	c.messages = append(c.messages, act)
	return adapter.CreateMessageLogResult{LogID: act.ID}, nil
}

// UpdateMessageLog appends the message's line to the activity. An unknown id
// is adapter.ErrNotFound.
func (a *Adapter) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpUpdateMessageLog, req.User.ID); err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	act := c.messageLocked(req.LogID)
	if act == nil {
		return adapter.UpdateMessageLogResult{}, fmt.Errorf("message log %s: %w", req.LogID, adapter.ErrNotFound)
	}
	act.Lines = append(act.Lines, logbody.Message(adapter.LogFormatText, req.Session, adapter.Conversation{Type: act.Type}, req.Message))
	act.MessageIDs = append(act.MessageIDs, req.Message.ID)
	return adapter.UpdateMessageLogResult{}, nil
}

// Unauthorize revokes the user's API key: [CRM.Revocations] records it, and
// the user's calls fail with adapter.ErrUnauthorized until they log in again.
// Revoking twice is not an error.
func (a *Adapter) Unauthorize(ctx context.Context, req adapter.UnauthorizeRequest) (adapter.UnauthorizeResult, error) {
	c := a.crm
	if err := c.begin(ctx, OpUnauthorize, ""); err != nil {
		return adapter.UnauthorizeResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[req.User.ID] = true
	c.revocations = append(c.revocations, req.User.ID)
	return adapter.UnauthorizeResult{}, nil
}

// ValidateAuth reports adapter.ErrUnauthorized for a revoked user, an error
// injected with FailNext(OpValidateAuth, ...), and nil otherwise.
func (a *Adapter) ValidateAuth(ctx context.Context, req adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	return adapter.ValidateAuthResult{}, a.crm.begin(ctx, OpValidateAuth, req.User.ID)
}

func toAdapterContact(ct Contact) adapter.Contact {
	out := adapter.Contact{
		ID:           ct.ID,
		Name:         ct.Name,
		Phone:        ct.Phone,
		Type:         ct.Type,
		Organization: ct.Organization,
	}
	if len(ct.Deals) > 0 {
		opts := make([]adapter.Option, len(ct.Deals))
		for i, d := range ct.Deals {
			opts[i] = adapter.Option{Const: d.ID, Title: d.Title}
		}
		out.AdditionalInfo = map[string][]adapter.Option{DealsField: opts}
	}
	return out
}

func unknownContact(id string) error {
	return &adapter.UserError{Message: fmt.Sprintf("Contact %q does not exist", id)}
}

func unknownCallLog(id string) error {
	return fmt.Errorf("call log %s: %w", id, adapter.ErrNotFound)
}

// dealOf returns the deal id submitted in the "deals" field, "" when none was
// picked, or a *adapter.UserError when the deal is not one of ct's. The
// client sends the option's const, a string; a number decoded from JSON is
// accepted as its decimal form.
func dealOf(ct *Contact, submission map[string]any) (string, error) {
	var id string
	switch v := submission[DealsField].(type) {
	case nil:
		return "", nil
	case string:
		id = v
	case float64:
		id = strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		id = v.String()
	default:
		return "", &adapter.UserError{Message: fmt.Sprintf("Deal must be a deal id, not %T", v)}
	}
	if id == "" {
		return "", nil
	}
	if !slices.ContainsFunc(ct.Deals, func(d Deal) bool { return d.ID == id }) {
		return "", &adapter.UserError{Message: fmt.Sprintf("Deal %q is not an open deal of %s", id, ct.Name)}
	}
	return id, nil
}

// setIf sets *dst to a sent, non-empty value: an empty string never erases.
func setIf(dst *string, v *string) {
	if v != nil && *v != "" {
		*dst = *v
	}
}

func conversationType(t string) string {
	if t == "" {
		return "SMS"
	}
	return t
}
