package hubspot

import (
	"cmp"
	"context"
	"errors"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

const notesPath = "/crm/objects/2026-03/notes"

func kindOf(t string) string {
	switch strings.ToLower(t) {
	case "voicemail":
		return "Voicemail"
	case "fax":
		return "Fax"
	}
	return "SMS conversation"
}

// messageItem renders one message as a list item: time, direction,
// sender, text, and links to its voicemail or fax.
func messageItem(m adapter.Message, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("<li>")
	if !m.CreationTime.IsZero() {
		b.WriteString(html.EscapeString(m.CreationTime.In(loc).Format("15:04")) + " ")
	}
	b.WriteString(html.EscapeString(cmp.Or(m.Direction, "Message")))
	if who := logbody.PartyText(m.From); who != "" {
		b.WriteString(" " + html.EscapeString(who))
	}
	if t := strings.TrimSpace(m.Subject); t != "" {
		b.WriteString(": " + strings.ReplaceAll(html.EscapeString(t), "\n", "<br>"))
	}
	for _, att := range m.Attachments {
		if (att.Type == "AudioRecording" || att.Type == "RenderedDocument") && logbody.IsWebLink(att.Link) {
			l := html.EscapeString(att.Link)
			b.WriteString(` <a href="` + l + `">` + html.EscapeString(att.Type) + `</a>`)
		}
	}
	b.WriteString("</li>")
	return b.String()
}

// CreateMessageLog records a conversation day as a note associated with
// the contact: a heading naming the conversation and day, then one list
// item per message.
func (a *Adapter) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	contactID, err := parseID("contact", req.Contact.ID)
	if err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	loc := logbody.Location(req.User.Timezone)
	when := req.Message.CreationTime
	if when.IsZero() {
		when = time.Now()
	}
	who := cmp.Or(strings.TrimSpace(req.Contact.Name), "contact")
	if len(req.Conversation.Correspondents) > 0 {
		who = cmp.Or(strings.TrimSpace(req.Contact.Name), logbody.PartyText(req.Conversation.Correspondents[0]))
	}
	heading := kindOf(req.Conversation.Type) + " with " + who + " on " + when.In(loc).Format("2006-01-02")
	props := map[string]string{
		"hs_timestamp": millis(when),
		"hs_note_body": "<p><b>" + html.EscapeString(heading) + "</b></p><ul>" + messageItem(req.Message, loc) + "</ul>",
	}
	if o := extraOf(req.User).OwnerID; o != "" {
		props["hubspot_owner_id"] = o
	}
	var created record
	if err := a.api(req.Session).Do(ctx, "POST", notesPath, nil, map[string]any{
		"properties":   props,
		"associations": associationTo(contactID, assocNoteToContact),
	}, &created); err != nil {
		return adapter.CreateMessageLogResult{}, err
	}
	if created.ID == "" {
		return adapter.CreateMessageLogResult{}, errors.New("hubspot: POST notes: no id in the answer")
	}
	return adapter.CreateMessageLogResult{LogID: created.ID}, nil
}

// UpdateMessageLog appends the message to the day's note (read, then PATCH
// of the body only; serialized per note within this process).
func (a *Adapter) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	id, err := parseID("note", req.LogID)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	c := a.api(req.Session)
	unlock, err := a.records.lock(ctx, "note/"+id)
	if err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	defer unlock()
	var cur record
	if err := c.Do(ctx, "GET", notesPath+"/"+id, url.Values{"properties": {"hs_note_body"}}, nil, &cur); err != nil {
		return adapter.UpdateMessageLogResult{}, err
	}
	old := cur.Properties["hs_note_body"]
	item := messageItem(req.Message, logbody.Location(req.User.Timezone))
	var body string
	if i := strings.LastIndex(old, "</ul>"); i >= 0 {
		body = old[:i] + item + old[i:]
	} else {
		body = old + "<ul>" + item + "</ul>"
	}
	return adapter.UpdateMessageLogResult{}, c.Do(ctx, "PATCH", notesPath+"/"+id, nil, map[string]any{"properties": map[string]string{"hs_note_body": body}}, nil)
}
