package pipedrive

import (
	"context"
	"strconv"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

// messageSubject names the conversation day's activity.
func messageSubject(conv adapter.Conversation, contact adapter.ContactRef, day time.Time) string {
	who := contact.Name
	if who == "" && len(conv.Correspondents) > 0 {
		who = logbody.PartyText(conv.Correspondents[0])
	}
	date := day.Format("2006-01-02")
	switch conv.Type {
	case "VoiceMail":
		return "Voicemail from " + who + " on " + date
	case "Fax":
		return "Fax with " + who + " on " + date
	default:
		return "SMS conversation with " + who + " on " + date
	}
}

// CreateMessageLog records the first message of a conversation day as a
// done activity (the company's SMS type when it has one, else its call
// type) linked to the person and the chosen deal; later messages of the day
// are appended by UpdateMessageLog.
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	c, x, err := userAPI(req.Session)
	if err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	parts, dealID, err := links(req.Contact.ID, req.AdditionalSubmission)
	if err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	loc := logbody.Location(req.User.Timezone)
	when := req.Message.CreationTime
	day := when
	if day.IsZero() {
		day = time.Now()
	}
	subject := messageSubject(req.Conversation, req.Contact, day.In(loc))
	note := logbody.Message(adapter.LogFormatHTML, req.Session, req.Conversation, req.Message)
	w := activityWrite{
		Subject:      &subject,
		Note:         &note,
		DealID:       dealID,
		Participants: parts,
	}
	if !when.IsZero() {
		w.DueDate, w.DueTime = due(when)
	}
	id, err := a.createActivity(ctx, c, x, w, func(t activityTypes) string { return t.message })
	if err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	return adapter.CreateMessageLogResult{LogID: id}, nil
}

// UpdateMessageLog appends the message to the day's activity note, once
// (logbody.AppendMessage). The
// read-modify-write is serialized per activity within this process, so
// concurrent appends to one day do not lose messages.
func (a *Adapter) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	c, x, err := userAPI(req.Session)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	id, err := parseID("activity", req.LogID)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	unlock, err := a.notes.lock(ctx, x.companyKey()+"/"+strconv.FormatInt(id, 10))
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	defer unlock()
	act, err := getActivity(ctx, c, id)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	note := logbody.AppendMessage(adapter.LogFormatHTML, act.Note, logbody.Message(adapter.LogFormatHTML, req.Session, req.Conversation, req.Message))
	if note == act.Note {
		return adapter.UpdateMessageLogResult{}, nil
	}
	return adapter.UpdateMessageLogResult{}, c.Do(ctx, "PATCH", activityPath(id), nil, activityWrite{Note: &note}, nil)
}
