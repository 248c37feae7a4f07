package template

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
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
	if err := a.do(ctx, s.Client, "POST", "/v1/activities", nil, act, &created); err != nil {
		return "", err
	}
	if created.ID == "" {
		return "", errors.New("templatecrm: POST /v1/activities: no id in the answer")
	}
	return created.ID, nil
}

func (a *Adapter) getActivity(ctx context.Context, s adapter.Session, id string) (activity, error) {
	var act activity
	err := a.do(ctx, s.Client, "GET", activityPath(id), nil, nil, &act)
	return act, err
}

func (a *Adapter) patchActivity(ctx context.Context, s adapter.Session, id string, act activity) error {
	return a.do(ctx, s.Client, "PATCH", activityPath(id), nil, activity{Subject: act.Subject, Note: act.Note}, nil)
}

// LogFormat says that activity notes are plain text; logbody composes
// them. Use adapter.LogFormatHTML or LogFormatMarkdown if your CRM renders
// those (and in the logbody calls below).
func (a *Adapter) LogFormat() adapter.LogFormat { return adapter.LogFormatText }

// CreateCallLog records the call: "Inbound call from <contact>" with a
// note composed by logbody: the user's note, the AI note and transcript
// when sent, and the call details the user's settings ask for (the
// recording link once it is ready).
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	act := activity{
		ContactID: req.Contact.ID, Kind: "call",
		Subject: logbody.Subject(req.Call, req.Contact),
		Note:    logbody.New(a.LogFormat(), req).String(),
	}
	id, err := a.createActivity(ctx, req.Session, act)
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
	body, err := logbody.Parse(a.LogFormat(), act.Note)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	return adapter.GetCallLogResult{Subject: act.Subject, Note: body.Note()}, nil
}

// UpdateCallLog replaces the subject when it was sent with a value, and
// lets logbody update the note (Body.Update: an empty string never erases,
// as the client's recording sweep sends "note":""; a new note keeps the
// recording and the call details; a recording link is added once). It
// writes nothing when nothing changes.
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	act, err := a.getActivity(ctx, req.Session, req.LogID)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	body, err := logbody.Parse(a.LogFormat(), act.Note)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	next := act
	if req.Subject != nil && strings.TrimSpace(*req.Subject) != "" {
		next.Subject = *req.Subject
	}
	if body.Update(req) {
		next.Note = body.String()
	}
	if next != act {
		if err := a.patchActivity(ctx, req.Session, req.LogID, next); err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
	}
	return adapter.UpdateCallLogResult{UpdatedNote: body.Note()}, nil
}

// CreateMessageLog creates the activity of a conversation day with its
// first message, one entry made by logbody.Message (time in the user's
// zone, direction, parties, text, a voicemail's or fax's link).
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	subject := req.Conversation.Type + " conversation with " + req.Contact.Name
	id, err := a.createActivity(ctx, req.Session, activity{ContactID: req.Contact.ID, Kind: "messages", Subject: subject, Note: logbody.Message(a.LogFormat(), req.Session, req.Conversation, req.Message)})
	if err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	return adapter.CreateMessageLogResult{LogID: id}, nil
}

// UpdateMessageLog appends a later message to the day's activity, once.
func (a *Adapter) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	act, err := a.getActivity(ctx, req.Session, req.LogID)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	act.Note = logbody.AppendMessage(a.LogFormat(), act.Note, logbody.Message(a.LogFormat(), req.Session, req.Conversation, req.Message))
	return adapter.UpdateMessageLogResult{}, a.patchActivity(ctx, req.Session, req.LogID, act)
}
