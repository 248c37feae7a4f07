package logbody

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/crmbridge/crmbridge/adapter"
)

// MaxBodyBytes is the largest body Parse reads: 4 MiB, four times the
// server's request limit, which a CRM note field rarely allows anyway.
const MaxBodyBytes = 4 << 20

// ErrTooLarge is returned (wrapped) by Parse for a body over MaxBodyBytes.
// An adapter that gets it must not rewrite the body: it would lose the
// part it could not read.
var ErrTooLarge = errors.New("logbody: body too large")

// The titles of a body's sections, after the user's note.
const (
	SectionAINote     = "AI note"
	SectionTranscript = "Transcript"
	SectionDetails    = "Call details"
)

// The labels of the call details, in the order New writes them.
const (
	LabelSubject       = "Subject"
	LabelContactNumber = "Contact number"
	LabelDateTime      = "Date/Time"
	LabelDuration      = "Duration"
	LabelResult        = "Result"
	LabelRecording     = "Recording"
	LabelSessionID     = "Session ID"
)

var labelOrder = []string{
	LabelSubject, LabelContactNumber, LabelDateTime, LabelDuration,
	LabelResult, LabelRecording, LabelSessionID,
}

// Body is a call log body split into its sections. The zero value is not
// usable; get one from New or Parse. Parts the caller does not change are
// written back as they were read, so text the CRM's users edited there
// stays. A Body is not safe for concurrent use.
type Body struct {
	codec   codec
	note    string // raw, in the body's format
	ai      string // raw
	script  string // raw transcript
	details []detail
}

// detail is one "Label: value" line of the call details; raw is the value
// as it appears in the body. A line that is not "Label: value" has an
// empty label and is kept as it is.
type detail struct {
	label, raw string
}

// Detail is one line of a body's call details.
type Detail struct {
	// Label is the detail's name, e.g. LabelResult; "" for a line the
	// body holds that is not "Label: value".
	Label string
	// Value is the detail's text, without markup.
	Value string
}

// New composes the body of a new call log in format (an unknown format is
// plain text) from the request: the user's note, the AI note and the
// transcript when sent, and the call details, each as the user's settings
// (req.Settings) allow. The date and time are in the user's time zone
// (req.User.Timezone, UTC when unknown) with their logDateFormat; the
// subject is Subject(req.Call, req.Contact); the recording appears only
// once its link is a web link (not the client's "(pending...)").
func New(format adapter.LogFormat, req adapter.CreateCallLogRequest) *Body {
	o := optionsOf(req.Session)
	b := &Body{codec: codecOf(format)}
	if o.note {
		b.SetNote(req.Note)
	}
	b.SetAINote(req.AINote)
	b.SetTranscript(req.Transcript)
	call := req.Call
	if o.subject {
		b.SetDetail(LabelSubject, Subject(call, req.Contact))
	}
	if o.contactNumber {
		b.SetDetail(LabelContactNumber, call.ContactPhone().PhoneNumber)
	}
	if o.dateTime && !call.StartTime.IsZero() {
		b.SetDetail(LabelDateTime, FormatDate(call.StartTime, o.loc, o.dateFormat))
	}
	if o.duration {
		b.SetDetail(LabelDuration, FormatDuration(call.Duration))
	}
	if o.result {
		b.SetDetail(LabelResult, call.Result)
	}
	if o.recording && call.Recording != nil && IsWebLink(call.Recording.Link) {
		b.SetDetail(LabelRecording, call.Recording.Link)
	}
	if o.sessionID {
		b.SetDetail(LabelSessionID, call.SessionID)
	}
	return b
}

// Parse splits a body written in format (by New and Update, or by hand in
// the CRM) into its sections. A body without section headings, such as a
// note typed in the CRM, is all user note. Parse never fails on content;
// it refuses only a body over MaxBodyBytes, with ErrTooLarge. Work is
// linear in the body's size.
func Parse(format adapter.LogFormat, body string) (*Body, error) {
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(body), MaxBodyBytes)
	}
	c := codecOf(format)
	b := &Body{codec: c}
	user, sections := c.split(body)
	b.note = user
	// A section repeated (by hand, in the CRM) is kept as one: its parts
	// joined once, so many repeats cost linear time.
	var ai, script []string
	for _, s := range sections {
		switch s.title {
		case SectionAINote:
			ai = appendRaw(ai, s.raw)
		case SectionTranscript:
			script = appendRaw(script, s.raw)
		case SectionDetails:
			b.details = append(b.details, c.parseDetails(s.raw)...)
		}
	}
	b.ai = strings.Join(ai, c.blockSep())
	b.script = strings.Join(script, c.blockSep())
	return b, nil
}

func appendRaw(parts []string, raw string) []string {
	if raw == "" {
		return parts
	}
	return append(parts, raw)
}

// Format is the body's format.
func (b *Body) Format() adapter.LogFormat { return b.codec.format() }

// String renders the body: the user's note, then the AI note, transcript
// and call details sections that are not empty.
func (b *Body) String() string {
	var parts []string
	if b.note != "" {
		parts = append(parts, b.note)
	}
	if b.ai != "" {
		parts = append(parts, b.codec.heading(SectionAINote)+b.codec.afterHeading()+b.ai)
	}
	if b.script != "" {
		parts = append(parts, b.codec.heading(SectionTranscript)+b.codec.afterHeading()+b.script)
	}
	if len(b.details) > 0 {
		parts = append(parts, b.codec.heading(SectionDetails)+b.codec.afterHeading()+b.codec.details(b.details))
	}
	return strings.Join(parts, b.codec.blockSep())
}

// Note returns the user's own note as plain text: what GET /callLog shows
// in the client's edit form, without the sections the SDK composed.
func (b *Body) Note() string { return b.codec.plain(b.note) }

// AINote returns the AI note section as plain text, or "".
func (b *Body) AINote() string { return b.codec.plain(b.ai) }

// Transcript returns the transcript section as plain text, or "".
func (b *Body) Transcript() string { return b.codec.plain(b.script) }

// Details returns the call details in body order.
func (b *Body) Details() []Detail {
	out := make([]Detail, len(b.details))
	for i, d := range b.details {
		out[i] = Detail{Label: d.label, Value: b.codec.plainValue(d.raw)}
	}
	return out
}

// Detail returns the value of the first detail labelled label.
func (b *Body) Detail(label string) (string, bool) {
	for _, d := range b.details {
		if d.label == label {
			return b.codec.plainValue(d.raw), true
		}
	}
	return "", false
}

// SetNote replaces the user's note with text (plain text, escaped for the
// format). Blank text changes nothing: an empty string never erases.
func (b *Body) SetNote(text string) {
	if t := normalize(text); t != "" {
		b.note = b.codec.block(t)
	}
}

// SetAINote replaces the AI note section; blank text changes nothing.
func (b *Body) SetAINote(text string) {
	if t := normalize(text); t != "" {
		b.ai = b.codec.block(t)
	}
}

// SetTranscript replaces the transcript section; blank text changes
// nothing.
func (b *Body) SetTranscript(text string) {
	if t := normalize(text); t != "" {
		b.script = b.codec.block(t)
	}
}

// SetDetail sets the detail labelled label to value (plain text on one
// line; line breaks become spaces), replacing the first detail with that
// label or adding one in the standard order (labels of other names go
// last). A blank value changes nothing. A LabelRecording value that is a
// web link is written as a link. An adapter may add details of its own
// labels; a blank label is ignored.
func (b *Body) SetDetail(label, value string) {
	label, value = oneLine(label), oneLine(value)
	if label == "" || value == "" {
		return
	}
	raw := b.codec.value(label, value)
	for i := range b.details {
		if b.details[i].label == label {
			b.details[i].raw = raw
			return
		}
	}
	rank := rankOf(label)
	at := len(b.details)
	for i, d := range b.details {
		if d.label != "" && rankOf(d.label) > rank {
			at = i
			break
		}
	}
	b.details = append(b.details, detail{})
	copy(b.details[at+1:], b.details[at:])
	b.details[at] = detail{label: label, raw: raw}
}

func rankOf(label string) int {
	for i, l := range labelOrder {
		if l == label {
			return i
		}
	}
	return len(labelOrder)
}

// Update applies a PATCH /callLog (PROTOCOL.md §3) to the body and reports
// whether it changed. Only fields sent with a value change anything: an
// empty string never erases. A note replaces the user's note only (kept
// are the AI note, the transcript, the recording and the other details);
// AI note and transcript replace their sections; a recording link that is
// a web link is set once (the client's sweep sends the same link again:
// nothing changes then); subject, start time, duration, result and the
// contact's number (when the request names the direction) correct their
// own detail. The user's settings apply as in New.
func (b *Body) Update(req adapter.UpdateCallLogRequest) bool {
	before := b.String()
	o := optionsOf(req.Session)
	if o.note && req.Note != nil {
		b.SetNote(*req.Note)
	}
	if req.AINote != nil {
		b.SetAINote(*req.AINote)
	}
	if req.Transcript != nil {
		b.SetTranscript(*req.Transcript)
	}
	if o.subject && req.Subject != nil {
		b.SetDetail(LabelSubject, *req.Subject)
	}
	if o.contactNumber && req.Direction != nil {
		p := req.To
		if strings.EqualFold(strings.TrimSpace(*req.Direction), "Inbound") {
			p = req.From
		}
		if p != nil {
			b.SetDetail(LabelContactNumber, p.PhoneNumber)
		}
	}
	if o.dateTime && req.StartTime != nil && !req.StartTime.IsZero() {
		b.SetDetail(LabelDateTime, FormatDate(*req.StartTime, o.loc, o.dateFormat))
	}
	if o.duration && req.Duration != nil && *req.Duration > 0 {
		b.SetDetail(LabelDuration, FormatDuration(*req.Duration))
	}
	if o.result && req.Result != nil {
		b.SetDetail(LabelResult, *req.Result)
	}
	if o.recording && req.RecordingLink != nil && IsWebLink(*req.RecordingLink) {
		if cur, _ := b.Detail(LabelRecording); cur != oneLine(*req.RecordingLink) {
			b.SetDetail(LabelRecording, *req.RecordingLink)
		}
	}
	return b.String() != before
}

// Subject is a call log's subject: the subject the user typed
// (Call.CustomSubject), else "Inbound call from <contact>", "Outbound call
// to <contact>" or "Call with <contact>" (the direction read ignoring
// case), the contact being its name, else the contact's end of the call.
func Subject(call adapter.Call, contact adapter.ContactRef) string {
	if s := oneLine(call.CustomSubject); s != "" {
		return s
	}
	who := oneLine(contact.Name)
	if who == "" {
		who = PartyText(call.ContactPhone())
	}
	switch {
	case strings.EqualFold(call.Direction, "Inbound"):
		return "Inbound call from " + who
	case strings.EqualFold(call.Direction, "Outbound"):
		return "Outbound call to " + who
	}
	return "Call with " + who
}

// PartyText shows a party as "Name (number)", or whichever it has.
func PartyText(p adapter.Party) string {
	name, number := oneLine(p.Name), oneLine(p.PhoneNumber)
	switch {
	case name != "" && number != "":
		return name + " (" + number + ")"
	case name != "":
		return name
	}
	return number
}

// IsWebLink reports whether s is an absolute http or https URL, as a
// recording link is once the telephony system has processed it (the
// client sends "(pending...)" before).
func IsWebLink(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) > maxLink || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// maxLink bounds the links written as links.
const maxLink = 4096

// normalize is text as users mean it: valid UTF-8, "\n" line ends, no
// surrounding space.
func normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.TrimSpace(s)
}

// oneLine is normalized text on one line: line breaks become spaces.
func oneLine(s string) string {
	s = normalize(s)
	if strings.IndexByte(s, '\n') >= 0 {
		s = strings.ReplaceAll(s, "\n", " ")
	}
	return s
}
