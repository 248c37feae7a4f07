package template

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// activity is TemplateCRM's activity: a logged call, or one day of a
// message conversation.
type activity struct {
	ID        string `json:"id,omitempty"`
	ContactID string `json:"contactId,omitempty"`
	Kind      string `json:"kind,omitempty"` // "call" or "messages"
	Subject   string `json:"subject"`
	Note      string `json:"note"`
}

func activityPath(id string) string { return "/v1/activities/" + url.PathEscape(id) }

func (a *Adapter) createActivity(ctx context.Context, s adapter.Session, act activity) (string, error) {
	var created activity
	if err := a.do(ctx, s.Client, "POST", "/v1/activities", act, &created); err != nil {
		return "", err
	}
	if created.ID == "" {
		return "", errors.New("templatecrm POST /v1/activities: no id in the answer")
	}
	return created.ID, nil
}

func (a *Adapter) getActivity(ctx context.Context, s adapter.Session, id string) (activity, error) {
	var act activity
	err := a.do(ctx, s.Client, "GET", activityPath(id), nil, &act)
	return act, err
}

func (a *Adapter) patchActivity(ctx context.Context, s adapter.Session, id string, act activity) error {
	return a.do(ctx, s.Client, "PATCH", activityPath(id), activity{Subject: act.Subject, Note: act.Note}, nil)
}

// recordingLine is how a recording link appears in a call's note.
func recordingLine(link string) string { return "Recording: " + link }

// addLine appends line to text unless text already has it, so a recording
// link sent twice appears once.
func addLine(text, line string) string {
	if slices.Contains(strings.Split(text, "\n"), line) {
		return text
	}
	if text == "" {
		return line
	}
	return text + "\n" + line
}

// CreateCallLog records the call: "Inbound call from <contact>" with the
// user's note and, when the recording is ready, its link.
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	subject := req.Call.CustomSubject
	if subject == "" {
		who := req.Contact.Name
		if who == "" {
			who = req.Call.ContactPhone().PhoneNumber
		}
		switch req.Call.Direction {
		case "Inbound":
			subject = "Inbound call from " + who
		case "Outbound":
			subject = "Outbound call to " + who
		default:
			subject = "Call with " + who
		}
	}
	note := req.Note
	if r := req.Call.Recording; r != nil && strings.HasPrefix(r.Link, "http") {
		note = addLine(note, recordingLine(r.Link))
	}
	id, err := a.createActivity(ctx, req.Session, activity{ContactID: req.Contact.ID, Kind: "call", Subject: subject, Note: note})
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	return adapter.CreateCallLogResult{LogID: id}, nil
}

// GetCallLog reads a call back. The note is the user's part only: the
// client's edit form shows it as what the user typed.
func (a *Adapter) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	act, err := a.getActivity(ctx, req.Session, req.LogID)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	return adapter.GetCallLogResult{Subject: act.Subject, Note: userNote(act.Note)}, nil
}

// UpdateCallLog replaces the subject and the user's part of the note when
// they were sent with a value (an empty string never erases: the client's
// recording sweep sends "note":""), keeps the recording lines, and adds a
// recording link once. It writes nothing when nothing changes.
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	act, err := a.getActivity(ctx, req.Session, req.LogID)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	next := act
	if req.Subject != nil && *req.Subject != "" {
		next.Subject = *req.Subject
	}
	if req.Note != nil && *req.Note != "" {
		next.Note = *req.Note
		for _, line := range strings.Split(act.Note, "\n") {
			if isRecordingLine(line) {
				next.Note = addLine(next.Note, line)
			}
		}
	}
	if l := req.RecordingLink; l != nil && strings.HasPrefix(*l, "http") {
		next.Note = addLine(next.Note, recordingLine(*l))
	}
	if next != act {
		if err := a.patchActivity(ctx, req.Session, req.LogID, next); err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
	}
	return adapter.UpdateCallLogResult{UpdatedNote: userNote(next.Note)}, nil
}

// isRecordingLine reports a line this adapter added to a call's note.
func isRecordingLine(line string) bool { return strings.HasPrefix(line, recordingLine("")) }

// userNote is a call note without the recording lines this adapter added.
func userNote(note string) string {
	var keep []string
	for _, line := range strings.Split(note, "\n") {
		if !isRecordingLine(line) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// messageLine renders one message as a line of the day's activity, with a
// voicemail's or fax's link.
func messageLine(m adapter.Message) string {
	line := fmt.Sprintf("[%s] %s: %s", m.CreationTime.UTC().Format(time.DateTime), m.Direction, m.Subject)
	for _, att := range m.Attachments {
		if strings.HasPrefix(att.Link, "http") {
			line += " (" + att.Link + ")"
		}
	}
	return line
}

// CreateMessageLog creates the activity of a conversation day with its
// first message.
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	subject := req.Conversation.Type + " conversation with " + req.Contact.Name
	id, err := a.createActivity(ctx, req.Session, activity{ContactID: req.Contact.ID, Kind: "messages", Subject: subject, Note: messageLine(req.Message)})
	if err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	return adapter.CreateMessageLogResult{LogID: id}, nil
}

// UpdateMessageLog appends a later message to the day's activity.
func (a *Adapter) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	act, err := a.getActivity(ctx, req.Session, req.LogID)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	act.Note = addLine(act.Note, messageLine(req.Message))
	return adapter.UpdateMessageLogResult{}, a.patchActivity(ctx, req.Session, req.LogID, act)
}
