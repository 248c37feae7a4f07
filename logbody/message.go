package logbody

import (
	"html"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

// Message renders one message of a conversation day (an SMS, a voicemail
// or a fax) as one entry of a message log body in format: when (in the
// user's time zone, with their logDateFormat), direction, kind, sender
// and recipients, the text, and the links of its media (a voicemail's
// recording, a fax's document with its page count, MMS attachments). The
// text is escaped for the format and kept on the entry's line (plain text
// and Markdown) or paragraph (HTML). Only web links are written; a fax's
// access token never is.
func Message(format adapter.LogFormat, s adapter.Session, conv adapter.Conversation, m adapter.Message) string {
	var head strings.Builder
	if !m.CreationTime.IsZero() {
		head.WriteString("[" + FormatDate(m.CreationTime, Location(s.User.Timezone), s.Settings.String(SettingDateFormat)) + "] ")
	}
	if dir := oneLine(m.Direction); dir != "" {
		head.WriteString(dir + " ")
	}
	head.WriteString(kindOf(conv.Type, m.FaxPageCount))
	if t := PartyText(m.From); t != "" {
		head.WriteString(" from " + t)
	}
	var to []string
	for _, p := range m.To {
		if t := PartyText(p); t != "" {
			to = append(to, t)
		}
	}
	if len(to) > 0 {
		head.WriteString(" to " + strings.Join(to, ", "))
	}
	text := oneLine(m.Subject)
	var links [][2]string // label, link
	for _, att := range m.Attachments {
		if !IsWebLink(att.Link) {
			continue
		}
		label := "Attachment"
		switch att.Type {
		case "AudioRecording":
			label = "Recording"
		case "RenderedDocument":
			label = "Document"
		}
		links = append(links, [2]string{label, strings.TrimSpace(att.Link)})
	}

	var b strings.Builder
	switch format {
	case adapter.LogFormatHTML:
		b.WriteString("<p><b>" + html.EscapeString(head.String()) + "</b>")
		if text != "" {
			b.WriteString("<br>" + html.EscapeString(text))
		}
		for _, l := range links {
			e := html.EscapeString(l[1])
			b.WriteString("<br>" + l[0] + `: <a href="` + e + `" target="_blank" rel="noopener">` + e + "</a>")
		}
		b.WriteString("</p>")
	case adapter.LogFormatMarkdown:
		b.WriteString("- **" + mdEscape(head.String()) + "**")
		if text != "" {
			b.WriteString(": " + mdEscape(text))
		}
		for _, l := range links {
			b.WriteString(" | " + l[0] + ": <" + l[1] + ">")
		}
	default:
		b.WriteString(head.String())
		if text != "" {
			b.WriteString(": " + text)
		}
		for _, l := range links {
			b.WriteString(" | " + l[0] + ": " + l[1])
		}
	}
	return b.String()
}

func kindOf(conversationType string, faxPages int) string {
	switch conversationType {
	case "VoiceMail":
		return "voicemail"
	case "Fax":
		switch {
		case faxPages == 1:
			return "fax (1 page)"
		case faxPages > 1:
			return "fax (" + strconv.Itoa(faxPages) + " pages)"
		}
		return "fax"
	}
	return "SMS"
}

// AppendMessage adds an entry made by Message to a message log body in
// format, unless the body already holds that exact entry (a message sent
// twice appears once). Entries are separated by a line break (plain text,
// Markdown) or follow each other as paragraphs (HTML). Work is linear in
// the body's size.
func AppendMessage(format adapter.LogFormat, body, entry string) string {
	if entry == "" {
		return body
	}
	if body == "" {
		return entry
	}
	if format == adapter.LogFormatHTML {
		for rest := body; rest != ""; {
			i := strings.Index(rest, entry)
			if i < 0 {
				break
			}
			// A whole paragraph: the entry starts with <p> and ends with </p>.
			if i == 0 || strings.HasSuffix(rest[:i], "</p>") {
				return body
			}
			rest = rest[i+len(entry):]
		}
		return body + entry
	}
	found := false
	lines(body, func(line string) {
		if line == entry {
			found = true
		}
	})
	if found {
		return body
	}
	return strings.TrimRight(body, "\n") + "\n" + entry
}
