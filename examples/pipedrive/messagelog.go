package pipedrive

import (
	"context"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// location is the user's time zone, UTC when unknown. Results are cached:
// time.LoadLocation reads the zone database every time.
func (a *Adapter) location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if v, ok := a.zones.Load(name); ok {
		if loc, _ := v.(*time.Location); loc != nil {
			return loc
		}
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	a.zones.Store(name, loc)
	if loc == nil {
		return time.UTC
	}
	return loc
}

// kindOf names a conversation's type for people.
func kindOf(conversationType string) string {
	switch conversationType {
	case "VoiceMail":
		return "voicemail"
	case "Fax":
		return "fax"
	default:
		return "SMS"
	}
}

// messageSubject names the conversation day's activity.
func messageSubject(conv adapter.Conversation, contact adapter.ContactRef, day time.Time) string {
	who := contact.Name
	if who == "" && len(conv.Correspondents) > 0 {
		who = partyText(conv.Correspondents[0])
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

// messageHTML renders one message as a paragraph: time, direction, kind
// and parties, then its text and the links of its media (a voicemail's
// recording, a fax's document, MMS pictures). Links need the telephony
// user's own login to open: the fax access token is never written into the
// CRM.
func messageHTML(conv adapter.Conversation, m adapter.Message, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("<p><b>")
	if !m.CreationTime.IsZero() {
		b.WriteString(html.EscapeString(m.CreationTime.In(loc).Format("15:04 MST")) + " ")
	}
	b.WriteString(html.EscapeString(cmpOr(m.Direction, "Message") + " " + kindOf(conv.Type)))
	b.WriteString("</b>")
	if t := partyText(m.From); t != "" {
		b.WriteString(" from " + html.EscapeString(t))
	}
	var to []string
	for _, p := range m.To {
		if t := partyText(p); t != "" {
			to = append(to, t)
		}
	}
	if len(to) > 0 {
		b.WriteString(" to " + html.EscapeString(strings.Join(to, ", ")))
	}
	if s := strings.TrimSpace(strings.ReplaceAll(m.Subject, "\r\n", "\n")); s != "" {
		b.WriteString("<br>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>"))
	}
	for _, att := range m.Attachments {
		if !isWebLink(att.Link) {
			continue
		}
		label := "Attachment"
		switch att.Type {
		case "AudioRecording":
			label = "Voicemail recording"
		case "RenderedDocument":
			label = "Fax document"
			if m.FaxPageCount > 0 {
				label += " (" + strconv.Itoa(m.FaxPageCount) + " pages)"
			}
		}
		b.WriteString("<br>" + label + ": " + link(att.Link))
	}
	b.WriteString("</p>")
	return b.String()
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
	loc := a.location(req.User.Timezone)
	when := req.Message.CreationTime
	day := when
	if day.IsZero() {
		day = time.Now()
	}
	subject := messageSubject(req.Conversation, req.Contact, day.In(loc))
	note := messageHTML(req.Conversation, req.Message, loc)
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

// UpdateMessageLog appends the message to the day's activity note. The
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
	note := act.Note + messageHTML(req.Conversation, req.Message, a.location(req.User.Timezone))
	return adapter.UpdateMessageLogResult{}, c.do(ctx, "PATCH", activityPath(id), nil, activityWrite{Note: &note}, nil)
}
