package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// The client's JSON is loose: ids arrive as strings or numbers, times as
// epoch milliseconds or ISO strings, durations as seconds or "pending". The
// types below accept every form the client sends and fail only on values
// that cannot mean anything.

// flexString is a JSON string or number, kept as its text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(canonicalNumber(n))
	default:
		// An UnmarshalTypeError gets the field's path from the decoder,
		// so the refusal can name it.
		return &json.UnmarshalTypeError{Value: jsonValueKind(b), Type: reflect.TypeFor[flexString]()}
	}
	return nil
}

// canonicalNumber is the text of a JSON number used as an id: one spelling
// per whole number ("5", "5.0", "5e0" and "50e-1" are all "5"), so an id the
// client happens to send in another spelling still finds what was logged
// under it. A number that is not whole, or beyond ±2^53 where float64 and
// the client's JavaScript numbers stop being exact, keeps its text.
func canonicalNumber(n json.Number) string {
	if i, err := n.Int64(); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return n.String()
	}
	return strconv.FormatInt(int64(f), 10)
}

// wholeNumber is an id the protocol defines as a number (a message's id,
// PROTOCOL.md §3): a JSON number or a string of its digits, kept in
// canonicalNumber's spelling. Anything else is refused at the edge.
type wholeNumber flexString

func (n *wholeNumber) UnmarshalJSON(b []byte) error {
	var f flexString
	if err := f.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = wholeNumber(f)
	if s := string(f); s != "" && strings.Trim(s, "0123456789") == "" && len(s) <= 16 {
		*n = wholeNumber(canonicalNumber(json.Number(s)))
	}
	return nil
}

// check implements fieldChecker: a non-negative whole number of at most 16
// digits (message ids are JavaScript numbers).
func (n wholeNumber) check() string {
	if s := string(n); s == "" || len(s) > 16 || strings.Trim(s, "0123456789") != "" {
		return "is not a whole number"
	}
	return ""
}

// jsonValueKind names the kind of a JSON value by its first byte.
func jsonValueKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	default:
		return "value"
	}
}

// The range of times and durations a call or a message can have
// (PROTOCOL.md §1): anything else is refused at the edge rather than handed
// to an adapter as a nonsense date.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2101, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive: years up to 2100
)

const maxCallDuration = 10 * 24 * time.Hour

// flexTime is epoch milliseconds (number or numeric string) or an RFC 3339
// string. A value that is not a time, or outside the years 2000 to 2100, is
// kept as a problem for the edge validation (check), which names the field.
type flexTime struct {
	time.Time
	problem string
}

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = flexTime{}
	if s == "" {
		return nil
	}
	if ms, err := strconv.ParseFloat(string(s), 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case ms == 0:
			// 0 is how some client versions say "not known yet": no time,
			// like an empty value, rather than a refusal.
		case math.IsNaN(ms) || math.IsInf(ms, 0):
			t.problem = "is not a finite number"
		case ms < float64(minTime.UnixMilli()) || ms >= float64(maxTime.UnixMilli()):
			t.problem = "is outside the years 2000 to 2100"
		default:
			t.Time = time.UnixMilli(int64(ms)).UTC()
		}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, string(s))
	switch {
	case err != nil:
		t.problem = "is not epoch milliseconds or an RFC 3339 time"
	case v.Before(minTime) || !v.Before(maxTime):
		t.problem = "is outside the years 2000 to 2100"
	default:
		t.Time = v.UTC()
	}
	return nil
}

func (t flexTime) check() string { return t.problem }

// flexDuration is whole seconds (number or numeric string); "pending" (a call
// still in progress) is zero. A value that is not a finite number of seconds
// between 0 and 10 days is kept as a problem for the edge validation.
type flexDuration struct {
	time.Duration
	problem string
}

func (d *flexDuration) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*d = flexDuration{}
	if s == "" || strings.EqualFold(string(s), "pending") {
		return nil
	}
	secs, err := strconv.ParseFloat(string(s), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		d.problem = "is not a number of seconds"
	case math.IsNaN(secs) || math.IsInf(secs, 0):
		d.problem = "is not a finite number"
	case secs < 0:
		d.problem = "is negative"
	case secs > maxCallDuration.Seconds():
		d.problem = "is more than 10 days"
	default:
		d.Duration = time.Duration(secs * float64(time.Second))
	}
	return nil
}

func (d flexDuration) check() string { return d.problem }

// wireParty is a call or message party. Shapes the server does not know are
// ignored rather than refused: the client adds fields over time.
type wireParty struct {
	PhoneNumber string
	Name        string
}

func (p *wireParty) UnmarshalJSON(b []byte) error {
	var v struct {
		PhoneNumber flexString `json:"phoneNumber"`
		Name        flexString `json:"name"`
	}
	if len(b) == 0 || b[0] != '{' {
		*p = wireParty{}
		return nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = wireParty{PhoneNumber: string(v.PhoneNumber), Name: string(v.Name)}
	return nil
}

func (p wireParty) party() adapter.Party {
	return adapter.Party{PhoneNumber: p.PhoneNumber, Name: p.Name}
}

type wireRecording struct {
	Link        string `json:"link"`
	DownloadURL string `json:"downloadUrl"`
}

// logInfo is the call record of POST /callLog.
type logInfo struct {
	ID                 flexString     `json:"id"`
	SessionID          flexString     `json:"sessionId"`
	TelephonySessionID flexString     `json:"telephonySessionId"`
	StartTime          flexTime       `json:"startTime"`
	Duration           flexDuration   `json:"duration"`
	Direction          string         `json:"direction"`
	Result             string         `json:"result"`
	From               wireParty      `json:"from"`
	To                 wireParty      `json:"to"`
	Recording          *wireRecording `json:"recording"`
	CustomSubject      string         `json:"customSubject"`
}

func (l *logInfo) call() adapter.Call {
	c := adapter.Call{
		ID:                 string(l.ID),
		SessionID:          string(l.SessionID),
		TelephonySessionID: string(l.TelephonySessionID),
		StartTime:          l.StartTime.Time,
		Duration:           l.Duration.Duration,
		Direction:          l.Direction,
		Result:             l.Result,
		From:               l.From.party(),
		To:                 l.To.party(),
		CustomSubject:      l.CustomSubject,
	}
	if l.Recording != nil {
		link := l.Recording.Link
		if strings.HasPrefix(link, "(pending") {
			link = ""
		}
		c.Recording = &adapter.Recording{Link: link, DownloadURL: l.Recording.DownloadURL}
	}
	return c
}

type createCallLogRequest struct {
	LogInfo              *logInfo       `json:"logInfo"`
	Note                 string         `json:"note"`
	AINote               string         `json:"aiNote"`
	Transcript           string         `json:"transcript"`
	AdditionalSubmission map[string]any `json:"additionalSubmission"`
	ContactID            flexString     `json:"contactId"`
	ContactType          string         `json:"contactType"`
	ContactName          string         `json:"contactName"`
}

type updateCallLogRequest struct {
	SessionID             flexString     `json:"sessionId"`
	Subject               *string        `json:"subject"`
	Note                  *string        `json:"note"`
	AINote                *string        `json:"aiNote"`
	Transcript            *string        `json:"transcript"`
	RecordingLink         *string        `json:"recordingLink"`
	RecordingDownloadLink *string        `json:"recordingDownloadLink"`
	StartTime             *flexTime      `json:"startTime"`
	Duration              *flexDuration  `json:"duration"`
	Result                *string        `json:"result"`
	Direction             *string        `json:"direction"`
	From                  *wireParty     `json:"from"`
	To                    *wireParty     `json:"to"`
	AdditionalSubmission  map[string]any `json:"additionalSubmission"`
}

type dispositionRequest struct {
	SessionID            flexString     `json:"sessionId"`
	Dispositions         map[string]any `json:"dispositions"`
	AdditionalSubmission map[string]any `json:"additionalSubmission"`
}

type wireAttachment struct {
	Type        string `json:"type"`
	Link        string `json:"link"`
	URI         string `json:"uri"`
	ContentType string `json:"contentType"`
}

type wireMessage struct {
	ID           wholeNumber      `json:"id"`
	Direction    string           `json:"direction"`
	Subject      string           `json:"subject"`
	CreationTime flexTime         `json:"creationTime"`
	From         wireParty        `json:"from"`
	To           []wireParty      `json:"to"`
	Attachments  []wireAttachment `json:"attachments"`
	FaxPageCount int              `json:"faxPageCount"`
}

func (m *wireMessage) message() adapter.Message {
	out := adapter.Message{
		ID:           string(m.ID),
		Direction:    m.Direction,
		Subject:      m.Subject,
		CreationTime: m.CreationTime.Time,
		From:         m.From.party(),
		FaxPageCount: m.FaxPageCount,
	}
	for _, p := range m.To {
		out.To = append(out.To, p.party())
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, adapter.Attachment{Type: a.Type, Link: a.Link, URI: a.URI, ContentType: a.ContentType})
	}
	return out
}

type conversationInfo struct {
	ConversationID    flexString    `json:"conversationId"`
	ConversationLogID string        `json:"conversationLogId"`
	Type              string        `json:"type"`
	Messages          []wireMessage `json:"messages" max:"1000"`
	Correspondents    []wireParty   `json:"correspondents"`
	Self              wireParty     `json:"self"`
	RCAccessToken     string        `json:"rcAccessToken"`
}

func (c *conversationInfo) conversation() adapter.Conversation {
	out := adapter.Conversation{
		ID:    string(c.ConversationID),
		LogID: c.ConversationLogID,
		Type:  c.Type,
		Self:  c.Self.party(),
	}
	for _, p := range c.Correspondents {
		out.Correspondents = append(out.Correspondents, p.party())
	}
	return out
}

type messageLogRequest struct {
	LogInfo              *conversationInfo `json:"logInfo"`
	AdditionalSubmission map[string]any    `json:"additionalSubmission"`
	ContactID            flexString        `json:"contactId"`
	ContactType          string            `json:"contactType"`
	ContactName          string            `json:"contactName"`
}

type createContactRequest struct {
	PhoneNumber          string         `json:"phoneNumber"`
	NewContactName       string         `json:"newContactName"`
	NewContactType       string         `json:"newContactType"`
	AdditionalSubmission map[string]any `json:"additionalSubmission"`
}

type apiKeyLoginRequest struct {
	Platform       string         `json:"platform"`
	APIKey         string         `json:"apiKey"`
	Hostname       string         `json:"hostname"`
	AdditionalInfo map[string]any `json:"additionalInfo"`
}

// wireContact is a contact in a response.
type wireContact struct {
	ID             string                      `json:"id"`
	Name           string                      `json:"name"`
	Phone          string                      `json:"phone,omitempty"`
	Type           string                      `json:"type,omitempty"`
	Organization   string                      `json:"organization,omitempty"`
	AdditionalInfo map[string][]adapter.Option `json:"additionalInfo,omitempty"`
	IsNewContact   bool                        `json:"isNewContact,omitempty"`
}

func toWireContact(c adapter.Contact) wireContact {
	return wireContact{
		ID:             c.ID,
		Name:           c.Name,
		Phone:          c.Phone,
		Type:           c.Type,
		Organization:   c.Organization,
		AdditionalInfo: c.AdditionalInfo,
	}
}
