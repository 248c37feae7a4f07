package pipedrive

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// Section titles of a call log's note.
const (
	sectionAINote     = "AI note"
	sectionTranscript = "Transcript"
	sectionDetails    = "Call details"
)

// callNote is the HTML note of a call log activity, in sections: the user's
// note first, then optional "AI note", "Transcript" and "Call details"
// sections, each opened by a bold heading paragraph. Users' text is always
// escaped, so it can never produce a heading; that keeps the sections
// apart when the note is read back.
type callNote struct {
	user, ai, transcript string // HTML
	details              []detail
}

// detail is one "Label: value" line of the call details; html is escaped.
type detail struct {
	label, html string
}

var (
	headingRE = regexp.MustCompile(`(?is)<p[^>]*>\s*<(?:b|strong)>\s*(` +
		sectionAINote + `|` + sectionTranscript + `|` + sectionDetails +
		`)\s*</(?:b|strong)>\s*</p>`)
	itemRE  = regexp.MustCompile(`(?is)<li[^>]*>(.*?)</li>`)
	breakRE = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</li>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
)

func heading(title string) string { return "<p><b>" + title + "</b></p>" }

// html renders the note.
func (n callNote) html() string {
	var b strings.Builder
	b.WriteString(n.user)
	if n.ai != "" {
		b.WriteString(heading(sectionAINote) + n.ai)
	}
	if n.transcript != "" {
		b.WriteString(heading(sectionTranscript) + n.transcript)
	}
	if len(n.details) > 0 {
		b.WriteString(heading(sectionDetails) + "<ul>")
		for _, d := range n.details {
			b.WriteString("<li>")
			if d.label != "" {
				b.WriteString(html.EscapeString(d.label) + ": ")
			}
			b.WriteString(d.html + "</li>")
		}
		b.WriteString("</ul>")
	}
	return b.String()
}

// parseCallNote splits a note into its sections. A note without headings,
// such as one a user wrote in Pipedrive, is all user note.
func parseCallNote(s string) callNote {
	locs := headingRE.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return callNote{user: s}
	}
	n := callNote{user: s[:locs[0][0]]}
	for i, l := range locs {
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		body := s[l[1]:end]
		switch title := s[l[2]:l[3]]; {
		case strings.EqualFold(title, sectionAINote):
			n.ai = body
		case strings.EqualFold(title, sectionTranscript):
			n.transcript = body
		default:
			for _, m := range itemRE.FindAllStringSubmatch(body, -1) {
				label, value, ok := strings.Cut(m[1], ": ")
				if !ok {
					label, value = "", m[1]
				}
				n.details = append(n.details, detail{label: html.UnescapeString(label), html: value})
			}
		}
	}
	return n
}

// set replaces the value of the detail labelled label, or appends one.
func (n *callNote) set(label, valueHTML string) {
	for i, d := range n.details {
		if d.label == label {
			n.details[i].html = valueHTML
			return
		}
	}
	n.details = append(n.details, detail{label: label, html: valueHTML})
}

// get returns the value of the detail labelled label.
func (n *callNote) get(label string) (string, bool) {
	for _, d := range n.details {
		if d.label == label {
			return d.html, true
		}
	}
	return "", false
}

// paragraph renders plain text as one HTML paragraph, line breaks kept;
// "" for blank text.
func paragraph(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return ""
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>"
}

// plainText turns note HTML back into text: breaks and paragraph ends
// become newlines, other tags go, entities are decoded.
func plainText(s string) string {
	s = breakRE.ReplaceAllString(s, "\n")
	s = tagRE.ReplaceAllString(s, "")
	return strings.TrimSpace(html.UnescapeString(s))
}

// link renders u as an anchor when it is an http(s) URL, else as text.
func link(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return html.EscapeString(u)
	}
	e := html.EscapeString(u)
	return `<a href="` + e + `" target="_blank" rel="noopener">` + e + `</a>`
}

// isWebLink reports whether u is an http(s) URL.
func isWebLink(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// partyText shows a party as "Name (number)", or whichever it has.
func partyText(p adapter.Party) string {
	switch {
	case p.Name != "" && p.PhoneNumber != "":
		return p.Name + " (" + p.PhoneNumber + ")"
	case p.Name != "":
		return p.Name
	default:
		return p.PhoneNumber
	}
}

// clockDuration shows a call's length as m:ss or h:mm:ss.
func clockDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// hhmm is Pipedrive's activity duration: whole minutes, rounded up so that
// a short call does not read as no call.
func hhmm(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	m := int64((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// due is Pipedrive's due date and time of an activity, in UTC.
func due(t time.Time) (date, clock string) {
	t = t.UTC()
	return t.Format("2006-01-02"), t.Format("15:04")
}
