package adapter

import (
	"net/http"
	"time"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/phone"
)

// AuthType says how users of a CRM log in.
type AuthType string

// The login methods the server supports.
const (
	// AuthOAuth is the OAuth 2.0 authorization-code flow.
	AuthOAuth AuthType = "oauth"
	// AuthAPIKey is a key the user pastes into the client.
	AuthAPIKey AuthType = "apiKey"
)

// AuthConfig is an adapter's answer to "how do I authenticate?".
type AuthConfig struct {
	// Type is AuthOAuth or AuthAPIKey.
	Type AuthType
	// OAuth describes the CRM's OAuth 2.0 provider; required for AuthOAuth.
	// The server performs the code exchange and every refresh with it.
	OAuth *auth.Provider
	// APIKeyScheme puts an API key on an outgoing request; required for
	// AuthAPIKey. For example:
	//
	//	func(r *http.Request, key string) { r.SetBasicAuth(key, "") }
	APIKeyScheme func(r *http.Request, key string)
}

// PhoneQuery is a phone number to look up, prepared for exact-match CRMs.
type PhoneQuery struct {
	// Raw is the number as the client sent it, after restoring a lost "+".
	Raw string
	// IsExtension is true when the client looks up an internal extension
	// (such as "101"); then Number is the zero value and Candidates is
	// []string{Raw}.
	IsExtension bool
	// Number is the parsed number (E.164, national form, region, ...). A
	// number the phone library cannot place is still searched (PROTOCOL.md
	// §5): then Number.Valid() is false and its E.164 form is the digits as
	// received. Number is the zero value for an extension and for digits
	// sent without a '+', which are searched exactly as received (Raw).
	Number phone.Number
	// Candidates are the strings an exact-match CRM should try, in order:
	// E.164 first, then its equivalent forms (Mexico with and without the
	// old "1", Argentina with and without the mobile "9"), then the user's
	// overridingFormat patterns expanded, without duplicates (see
	// phone.Candidates). Never empty.
	Candidates []string
}

// Contact is a CRM contact as the client shows it.
type Contact struct {
	// ID is the CRM's id for the contact; required.
	ID string
	// Name is the display name.
	Name string
	// Phone is the phone number as stored in the CRM.
	Phone string
	// Type is the CRM entity type ("Contact", "Lead", ...), if it has several.
	Type string
	// Organization is the contact's company, if known.
	Organization string
	// AdditionalInfo offers choices for the log form, keyed by the manifest's
	// additional-field const (for example open deals: "deals" → options).
	AdditionalInfo map[string][]Option
}

// Option is one choice of an additional field, such as one open deal.
type Option struct {
	// Const is the value submitted back when the user picks this option.
	Const string `json:"const"`
	// Title is what the user sees.
	Title string `json:"title"`
}

// ContactRef points at the contact a log belongs to, as the client chose it.
type ContactRef struct {
	// ID is the contact's CRM id.
	ID string
	// Type is the contact's entity type, if the CRM has several.
	Type string
	// Name is the contact's display name.
	Name string
}

// FindContactsRequest is the input of FindContacts.
type FindContactsRequest struct {
	Session
	// Phone is the number to look up.
	Phone PhoneQuery
}

// FindContactsResult is the output of FindContacts and SearchContacts.
type FindContactsResult struct {
	// Contacts are all matches; empty when there is none.
	Contacts []Contact
	// Message, when set, is shown to the user with the result.
	Message string
}

// SearchContactsRequest is the input of ContactSearcher.SearchContacts.
type SearchContactsRequest struct {
	Session
	// Name is the (partial) name typed by the user.
	Name string
}

// CreateContactRequest is the input of ContactCreator.CreateContact.
type CreateContactRequest struct {
	Session
	// Phone is the new contact's number; never an extension.
	Phone PhoneQuery
	// Name is the new contact's name; never empty.
	Name string
	// Type is the entity type the user picked, if the CRM has several.
	Type string
	// AdditionalSubmission holds extra form fields the client sent.
	AdditionalSubmission map[string]any
}

// CreateContactResult is the output of ContactCreator.CreateContact.
type CreateContactResult struct {
	// Contact is the created contact; its ID is required.
	Contact Contact
	// Message, when set, replaces the default success message.
	Message string
}

// Party is one end of a call or message.
type Party struct {
	// PhoneNumber is the party's number as the telephony system reports it.
	PhoneNumber string
	// Name is the party's caller-id name, if any.
	Name string
}

// Recording is a call recording.
type Recording struct {
	// Link is the URL users open to listen; "" while it is being processed.
	Link string
	// DownloadURL downloads the media, if the client sent one.
	DownloadURL string
}

// Call is the telephony record of one call (the client's "logInfo").
type Call struct {
	// ID is the telephony system's call-log record id.
	ID string
	// SessionID identifies the call; the server dedupes logs by it.
	SessionID string
	// TelephonySessionID is the telephony session id, when known.
	TelephonySessionID string
	// StartTime is when the call started.
	StartTime time.Time
	// Duration is how long the call lasted.
	Duration time.Duration
	// Direction is "Inbound" or "Outbound".
	Direction string
	// Result is the call result, e.g. "Call connected" or "Missed".
	Result string
	// From and To are the two ends.
	From, To Party
	// Recording is nil when the call was not recorded.
	Recording *Recording
	// CustomSubject is a subject the user typed, if any.
	CustomSubject string
}

// ContactPhone returns the contact's end of the call: From for inbound calls,
// To otherwise.
func (c Call) ContactPhone() Party {
	if c.Direction == "Inbound" {
		return c.From
	}
	return c.To
}

// CreateCallLogRequest is the input of CreateCallLog.
type CreateCallLogRequest struct {
	Session
	// Contact is the contact to log against.
	Contact ContactRef
	// Call is the telephony record.
	Call Call
	// Note is the user's note.
	Note string
	// AINote is an AI-generated summary, if the client sent one.
	AINote string
	// Transcript is the call transcript, if the client sent one.
	Transcript string
	// AdditionalSubmission holds the additional fields the user filled in,
	// keyed by the manifest's const (e.g. "deals" → the chosen deal id).
	AdditionalSubmission map[string]any
}

// CreateCallLogResult is the output of CreateCallLog.
type CreateCallLogResult struct {
	// LogID is the CRM's id for the new record; required.
	LogID string
	// Message, when set, replaces the default success message.
	Message string
}

// FindCallLogRequest is the input of CallLogFinder.FindCallLog.
type FindCallLogRequest struct {
	Session
	// Contact and Call are what the POST /callLog being retried carries:
	// the record, if it exists, was created from them (Call.SessionID is
	// the key, Call.StartTime and Contact narrow a search).
	Contact ContactRef
	Call    Call
}

// FindCallLogResult is the output of CallLogFinder.FindCallLog.
type FindCallLogResult struct {
	// LogID is the CRM's id of the call log of Call.SessionID, or "" when
	// the CRM holds none.
	LogID string
}

// GetCallLogRequest is the input of CallLogReader.GetCallLog.
type GetCallLogRequest struct {
	Session
	// LogID is the CRM record to read.
	LogID string
}

// GetCallLogResult is the output of CallLogReader.GetCallLog.
type GetCallLogResult struct {
	// Subject is the record's subject or title.
	Subject string
	// Note is the user's own note (without subject, recording link or the
	// call details the adapter added to the record).
	Note string
	// Dispositions are the record's current disposition fields, if any.
	Dispositions map[string]any
}

// UpdateCallLogRequest is the input of CallLogUpdater.UpdateCallLog. A nil pointer means the
// client did not send that field, or sent it empty: leave it as it is. The
// server sets a pointer only for a non-empty value (a non-blank string, a
// non-zero time or duration, a party with a number or a name).
type UpdateCallLogRequest struct {
	Session
	// LogID is the CRM record to change.
	LogID string
	// SessionID is the call's session id.
	SessionID string
	// Subject replaces the record's subject. Note replaces the user's part
	// of the record's note only; a recording link or call details the
	// adapter composed into the record stay.
	Subject, Note *string
	// AINote and Transcript replace the record's, where the CRM keeps them.
	AINote, Transcript *string
	// RecordingLink is added to the record once (it arrives after the call,
	// and the client's sweep may send the same link again: add nothing then).
	RecordingLink *string
	// RecordingDownloadLink downloads the recording media.
	RecordingDownloadLink *string
	// StartTime, Duration, Result and Direction correct the call's data.
	StartTime *time.Time
	Duration  *time.Duration
	Result    *string
	Direction *string
	// From and To correct the parties.
	From, To *Party
	// AdditionalSubmission holds changed additional fields.
	AdditionalSubmission map[string]any
}

// UpdateCallLogResult is the output of CallLogUpdater.UpdateCallLog.
type UpdateCallLogResult struct {
	// UpdatedNote is the record's note after the update, if the CRM returns
	// it; the client shows it.
	UpdatedNote string
	// Message, when set, replaces the default success message.
	Message string
}

// SetCallDispositionRequest is the input of DispositionSetter.SetCallDisposition.
type SetCallDispositionRequest struct {
	Session
	// LogID is the CRM record to change.
	LogID string
	// Dispositions are the disposition fields the user picked.
	Dispositions map[string]any
	// AdditionalSubmission holds other fields the client sent.
	AdditionalSubmission map[string]any
}

// Conversation is one day of a message conversation (the client's "logInfo").
type Conversation struct {
	// ID is the telephony system's conversation id.
	ID string
	// LogID identifies the conversation day, "<conversationId>/<M>/<D>/<YYYY>".
	// The server keeps one CRM record per (user, LogID).
	LogID string
	// Type is "SMS", "VoiceMail" or "Fax".
	Type string
	// Correspondents are the other parties; the first one is the contact.
	Correspondents []Party
	// Self is the user's own end.
	Self Party
}

// Message is one SMS, voicemail or fax.
type Message struct {
	// ID is the telephony system's message id; the server dedupes by it.
	ID string
	// Direction is "Inbound" or "Outbound".
	Direction string
	// Subject is the message text (for SMS) or a title.
	Subject string
	// CreationTime is when the message was sent or received.
	CreationTime time.Time
	// From is the sender.
	From Party
	// To are the recipients.
	To []Party
	// Attachments are the message's media: a voicemail's AudioRecording, a
	// fax's RenderedDocument, MMS pictures.
	Attachments []Attachment
	// FaxPageCount is the number of pages of a fax.
	FaxPageCount int
}

// Attachment is a media item of a message.
type Attachment struct {
	// Type is the attachment kind: "AudioRecording", "RenderedDocument",
	// "MmsAttachment", "Text", ...
	Type string
	// Link is the URL users open, when the telephony system provides one.
	Link string
	// URI is the telephony API resource of the media.
	URI string
	// ContentType is the media type, e.g. "audio/mpeg".
	ContentType string
}

// CreateMessageLogRequest is the input of MessageLogger.CreateMessageLog.
type CreateMessageLogRequest struct {
	Session
	// Contact is the contact to log against.
	Contact ContactRef
	// Conversation is the conversation day the message belongs to.
	Conversation Conversation
	// Message is the message to record.
	Message Message
	// AdditionalSubmission holds the additional fields the user filled in.
	AdditionalSubmission map[string]any
	// FaxAccessToken is a short-lived telephony token that downloads a fax's
	// document; it is never stored or logged.
	FaxAccessToken string
}

// CreateMessageLogResult is the output of MessageLogger.CreateMessageLog.
type CreateMessageLogResult struct {
	// LogID is the CRM's id for the new record; required.
	LogID string
}

// UpdateMessageLogRequest is the input of MessageLogger.UpdateMessageLog.
type UpdateMessageLogRequest struct {
	Session
	// LogID is the CRM record that CreateMessageLog returned for this
	// conversation day.
	LogID string
	// Contact is the contact to log against.
	Contact ContactRef
	// Conversation is the conversation day the message belongs to.
	Conversation Conversation
	// Message is the message to append.
	Message Message
	// AdditionalSubmission holds the additional fields the user filled in.
	AdditionalSubmission map[string]any
	// FaxAccessToken is as in CreateMessageLogRequest.
	FaxAccessToken string
}
