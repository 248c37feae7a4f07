package testcrm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

// Op names one operation of the in-memory CRM, for failure injection
// ([CRM.FailNext], [CRM.SetDelay], [CRM.PanicNext]) and call counting
// ([CRM.Invocations]). Each [Adapter] method is one Op.
type Op string

// The operations of the CRM, one per [Adapter] method.
const (
	OpUserInfo         Op = "userInfo"
	OpFind             Op = "find"
	OpSearch           Op = "search"
	OpCreateContact    Op = "createContact"
	OpCreateCallLog    Op = "createCallLog"
	OpGetCallLog       Op = "getCallLog"
	OpFindCallLog      Op = "findCallLog"
	OpUpdateCallLog    Op = "updateCallLog"
	OpSetDisposition   Op = "setDisposition"
	OpCreateMessageLog Op = "createMessageLog"
	OpUpdateMessageLog Op = "updateMessageLog"
	OpUnauthorize      Op = "unauthorize"
	OpValidateAuth     Op = "validateAuth"
	OpLicense          Op = "license"
	OpListUsers        Op = "listUsers"
)

// Contact types the CRM knows. A contact's Type is one of them.
const (
	TypeContact = "Contact"
	TypeLead    = "Lead"
)

// Deal is an open deal of a contact, offered on the call-log form as the
// "deals" additional field.
type Deal struct {
	// ID is the deal's id, submitted back when the user picks the deal.
	ID string
	// Title is what the user sees.
	Title string
}

// Contact is a person stored in the CRM.
type Contact struct {
	// ID is the CRM's numeric id, as a string ("1001").
	ID string
	// Name is the display name.
	Name string
	// Phone is the number exactly as it was typed into the CRM; lookups
	// compare it byte for byte with the search candidates.
	Phone string
	// Type is TypeContact or TypeLead.
	Type string
	// Organization is the contact's company, or "".
	Organization string
	// Deals are the contact's open deals.
	Deals []Deal
}

// CallActivity is a call logged in the CRM.
type CallActivity struct {
	// ID is the activity's numeric id, as a string.
	ID string
	// OwnerID is the id of the CRM user who logged the call.
	OwnerID string
	// ContactID is the contact the call was logged against.
	ContactID string
	// SessionID is the telephony call session.
	SessionID string
	// Subject is the activity's title.
	Subject string
	// Note is the activity's body, composed by logbody in plain text: the
	// user's note, then the AI note, the transcript and the call details
	// (with the recording link once it is known), as the user's settings
	// say. GetCallLog returns the user's part only.
	Note string
	// AINote and Transcript are kept as the client sent them.
	AINote, Transcript string
	// Direction is "Inbound" or "Outbound"; Result is e.g. "Call connected".
	Direction, Result string
	// From and To are the call's two ends.
	From, To adapter.Party
	// StartTime and Duration describe the call.
	StartTime time.Time
	Duration  time.Duration
	// DealID is the deal the call is linked to, or "".
	DealID string
	// RecordingLink is the latest recording link, or "".
	RecordingLink string
	// Dispositions are the outcome fields set by SetCallDisposition.
	Dispositions map[string]any
}

// UserNote is the user's own note in the activity's body (what GetCallLog
// returns), "" when the body cannot be read.
func (c CallActivity) UserNote() string {
	b, err := logbody.Parse(adapter.LogFormatText, c.Note)
	if err != nil {
		return ""
	}
	return b.Note()
}

// MessageActivity is one conversation day of SMS, voicemails or faxes logged
// in the CRM.
type MessageActivity struct {
	// ID is the activity's numeric id, as a string.
	ID string
	// OwnerID is the id of the CRM user who logged the conversation.
	OwnerID string
	// ContactID is the contact the conversation was logged against.
	ContactID string
	// ConversationLogID is the conversation day, "<conversationId>/<M>/<D>/<YYYY>".
	ConversationLogID string
	// Type is "SMS", "VoiceMail" or "Fax".
	Type string
	// Subject is the activity's title.
	Subject string
	// Lines hold one line per logged message (logbody.Message in plain
	// text), in the order they were logged.
	Lines []string
	// MessageIDs are the telephony ids of the logged messages, in the same
	// order as Lines.
	MessageIDs []string
}

// CRM is an in-memory CRM: contacts, call activities and message activities,
// with hooks that let tests observe it and make its next calls fail, slow
// down or panic. It is safe for concurrent use.
type CRM struct {
	mu          sync.Mutex
	nextID      int
	contacts    []Contact
	calls       []CallActivity
	messages    []MessageActivity
	revoked     map[string]bool
	revocations []string
	failures    map[Op][]error
	panics      map[Op]int
	delays      map[Op]time.Duration
	invocations map[Op]int
	users       []adapter.CRMUser
	license     adapter.LicenseStatus
}

// NewCRM returns a CRM seeded with these contacts:
//
//	1001 Alice Anderson  "+16505551212"    Acme Inc      deal-1 "Acme renewal"
//	1002 Bob Brown       "(650) 555-1213"  Globex        (found only through a format)
//	1003 Carol Chen      "+14155550100"    Initech       deal-2 "Initech pilot", deal-3 "Initech support plan"
//	1004 Dave Davis      "+14155550100"    Hooli         (a lead sharing Carol's number)
//	1005 Emma Evans      "+442079460958"   Evans & Sons
//
// Records created later get ids from 1006 on, one sequence for every kind
// of record.
func NewCRM() *CRM {
	c := &CRM{
		nextID:      1001,
		revoked:     map[string]bool{},
		failures:    map[Op][]error{},
		panics:      map[Op]int{},
		delays:      map[Op]time.Duration{},
		invocations: map[Op]int{},
		users: []adapter.CRMUser{
			{ID: "u-ann", Name: "Ann Admin", Email: "ann@acme.example"},
			{ID: "u-ben", Name: "Ben Sales", Email: "Ben.Sales@acme.example"},
		},
		license: adapter.LicenseStatus{Valid: true, Status: "Pro", Description: "testcrm sandbox license"},
	}
	for _, ct := range []Contact{
		{Name: "Alice Anderson", Phone: "+16505551212", Type: TypeContact, Organization: "Acme Inc",
			Deals: []Deal{{ID: "deal-1", Title: "Acme renewal"}}},
		{Name: "Bob Brown", Phone: "(650) 555-1213", Type: TypeContact, Organization: "Globex"},
		{Name: "Carol Chen", Phone: "+14155550100", Type: TypeContact, Organization: "Initech",
			Deals: []Deal{{ID: "deal-2", Title: "Initech pilot"}, {ID: "deal-3", Title: "Initech support plan"}}},
		{Name: "Dave Davis", Phone: "+14155550100", Type: TypeLead, Organization: "Hooli"},
		{Name: "Emma Evans", Phone: "+442079460958", Type: TypeContact, Organization: "Evans & Sons"},
	} {
		c.AddContact(ct)
	}
	return c
}

// Users returns a copy of the CRM's users (for the admin's user mapping);
// a new CRM has u-ann "Ann Admin" <ann@acme.example> and u-ben "Ben Sales"
// <Ben.Sales@acme.example>.
func (c *CRM) Users() []adapter.CRMUser {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.users)
}

// AddUser adds a CRM user.
func (c *CRM) AddUser(u adapter.CRMUser) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users = append(c.users, u)
}

// SetLicense sets the license every user of the CRM has (a new CRM's is
// valid, "Pro").
func (c *CRM) SetLicense(l adapter.LicenseStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.license = l
}

// AddContact stores a contact under a new id, whatever ct.ID says, and
// returns it as stored. An empty Type becomes TypeContact.
func (c *CRM) AddContact(ct Contact) Contact {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct.ID = c.newIDLocked()
	if ct.Type == "" {
		ct.Type = TypeContact
	}
	ct.Deals = slices.Clone(ct.Deals)
	c.contacts = append(c.contacts, ct)
	return cloneContact(ct)
}

// Contacts returns a copy of every contact, in id order.
func (c *CRM) Contacts() []Contact {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Contact, len(c.contacts))
	for i, ct := range c.contacts {
		out[i] = cloneContact(ct)
	}
	return out
}

// Contact returns a copy of the contact with the given id.
func (c *CRM) Contact(id string) (Contact, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ct := c.contactLocked(id); ct != nil {
		return cloneContact(*ct), true
	}
	return Contact{}, false
}

// CallLogs returns a copy of every call activity, in creation order.
func (c *CRM) CallLogs() []CallActivity {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CallActivity, len(c.calls))
	for i, a := range c.calls {
		out[i] = cloneCall(a)
	}
	return out
}

// CallLog returns a copy of the call activity with the given id.
func (c *CRM) CallLog(id string) (CallActivity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.callLocked(id); a != nil {
		return cloneCall(*a), true
	}
	return CallActivity{}, false
}

// MessageLogs returns a copy of every message activity, in creation order.
func (c *CRM) MessageLogs() []MessageActivity {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]MessageActivity, len(c.messages))
	for i, a := range c.messages {
		out[i] = cloneMessage(a)
	}
	return out
}

// MessageLog returns a copy of the message activity with the given id.
func (c *CRM) MessageLog(id string) (MessageActivity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.messageLocked(id); a != nil {
		return cloneMessage(*a), true
	}
	return MessageActivity{}, false
}

// ContactCount returns the number of contacts.
func (c *CRM) ContactCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.contacts)
}

// CallLogCount returns the number of call activities.
func (c *CRM) CallLogCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// MessageLogCount returns the number of message activities.
func (c *CRM) MessageLogCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.messages)
}

// Revocations returns the ids of the users whose API key was revoked through
// Unauthorize, in order, including users who have logged in again since.
func (c *CRM) Revocations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.revocations)
}

// Revoked reports whether the user's key is revoked now: Unauthorize revoked
// it and the user has not logged in again. Every call on behalf of a revoked
// user fails with adapter.ErrUnauthorized.
func (c *CRM) Revoked(userID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.revoked[userID]
}

// Invocations returns how many times op was called, counting calls that
// failed, panicked or were cancelled.
func (c *CRM) Invocations(op Op) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.invocations[op]
}

// FailNext makes the next call of op return err without changing anything.
// Failures queue up: calling FailNext twice fails the next two calls.
func (c *CRM) FailNext(op Op, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures[op] = append(c.failures[op], err)
}

// PanicNext makes the next call of op panic, as a buggy adapter would.
// Panics queue up like failures.
func (c *CRM) PanicNext(op Op) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.panics[op]++
}

// SetDelay makes every later call of op wait d before doing anything; 0
// removes the delay. A delayed call whose context ends first returns the
// context's error and changes nothing.
func (c *CRM) SetDelay(op Op, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		delete(c.delays, op)
		return
	}
	c.delays[op] = d
}

// begin runs the injection hooks of op, in this order: count the call, panic
// if armed, wait out the delay (or the context), return an armed failure,
// refuse a revoked user. A nil result lets the operation proceed.
func (c *CRM) begin(ctx context.Context, op Op, userID string) error {
	c.mu.Lock()
	c.invocations[op]++
	if c.panics[op] > 0 {
		c.panics[op]--
		c.mu.Unlock()
		panic(fmt.Sprintf("testcrm: injected panic in %s", op))
	}
	delay := c.delays[op]
	c.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("testcrm %s: %w", op, context.Cause(ctx))
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("testcrm %s: %w", op, context.Cause(ctx))
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.failures[op]; len(q) > 0 {
		err := q[0]
		c.failures[op] = q[1:]
		return err
	}
	if userID != "" && c.revoked[userID] {
		return fmt.Errorf("testcrm %s: user %s: %w", op, userID, errRevoked)
	}
	return nil
}

func (c *CRM) newIDLocked() string {
	id := strconv.Itoa(c.nextID)
	c.nextID++
	return id
}

func (c *CRM) contactLocked(id string) *Contact {
	for i := range c.contacts {
		if c.contacts[i].ID == id {
			return &c.contacts[i]
		}
	}
	return nil
}

func (c *CRM) callLocked(id string) *CallActivity {
	for i := range c.calls {
		if c.calls[i].ID == id {
			return &c.calls[i]
		}
	}
	return nil
}

func (c *CRM) messageLocked(id string) *MessageActivity {
	for i := range c.messages {
		if c.messages[i].ID == id {
			return &c.messages[i]
		}
	}
	return nil
}

func cloneContact(ct Contact) Contact {
	ct.Deals = slices.Clone(ct.Deals)
	return ct
}

func cloneCall(a CallActivity) CallActivity {
	a.Dispositions = maps.Clone(a.Dispositions)
	return a
}

func cloneMessage(a MessageActivity) MessageActivity {
	a.Lines = slices.Clone(a.Lines)
	a.MessageIDs = slices.Clone(a.MessageIDs)
	return a
}
