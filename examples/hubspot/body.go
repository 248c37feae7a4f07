package hubspot

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// callBody is the HTML body (hs_call_body) of a call engagement: the
// user's note, then the AI note, the transcript and the call details, each
// after a bold heading paragraph. The user's text is always escaped, so it
// can never contain a heading, and the parts come apart again on read.
// (The SDK's log-body composer will take this over; until then it is the
// adapter's one composer.)
type callBody struct {
	note, ai, transcript string // plain text
	details              []detail
}

// detail is one "Label: value" line of the call details; a Recording
// value is a link.
type detail struct{ label, value string }

const (
	headAI         = "<p><b>AI note</b></p>"
	headTranscript = "<p><b>Transcript</b></p>"
	headDetails    = "<p><b>Call details</b></p>"
	labelRecording = "Recording"
)

// compose renders the body.
func (b callBody) compose() string {
	var s strings.Builder
	if b.note != "" {
		s.WriteString(paragraph(b.note))
	}
	if b.ai != "" {
		s.WriteString(headAI + paragraph(b.ai))
	}
	if b.transcript != "" {
		s.WriteString(headTranscript + paragraph(b.transcript))
	}
	if len(b.details) > 0 {
		s.WriteString(headDetails + "<ul>")
		for _, d := range b.details {
			v := html.EscapeString(d.value)
			if d.label == labelRecording {
				v = `<a href="` + v + `">` + v + `</a>`
			}
			s.WriteString("<li>" + html.EscapeString(d.label) + ": " + v + "</li>")
		}
		s.WriteString("</ul>")
	}
	return s.String()
}

var (
	itemRE = regexp.MustCompile(`(?is)<li>(.*?)</li>`)
	hrefRE = regexp.MustCompile(`(?i)href="([^"]*)"`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	lineRE = regexp.MustCompile(`(?i)<br\s*/?>|</p>\s*<p>`)
)

// parseCallBody splits a body into its parts. A body without headings (one
// a user wrote in HubSpot) is all note.
func parseCallBody(s string) callBody {
	var b callBody
	cut := func(head string) (string, bool) {
		i := strings.LastIndex(s, head)
		if i < 0 {
			return "", false
		}
		part := s[i+len(head):]
		s = s[:i]
		return part, true
	}
	if part, ok := cut(headDetails); ok {
		for _, m := range itemRE.FindAllStringSubmatch(part, -1) {
			label, value, _ := strings.Cut(m[1], ": ")
			label = html.UnescapeString(label)
			if label == labelRecording {
				if h := hrefRE.FindStringSubmatch(value); h != nil {
					value = h[1]
				}
			}
			b.details = append(b.details, detail{label: label, value: html.UnescapeString(tagRE.ReplaceAllString(value, ""))})
		}
	}
	if part, ok := cut(headTranscript); ok {
		b.transcript = text(part)
	}
	if part, ok := cut(headAI); ok {
		b.ai = text(part)
	}
	b.note = text(s)
	return b
}

// set replaces the detail labelled label or appends it; an empty value
// changes nothing (an empty string never erases).
func (b *callBody) set(label, value string) {
	if value = strings.TrimSpace(value); value == "" {
		return
	}
	for i := range b.details {
		if b.details[i].label == label {
			b.details[i].value = value
			return
		}
	}
	b.details = append(b.details, detail{label, value})
}

func (b *callBody) get(label string) string {
	for _, d := range b.details {
		if d.label == label {
			return d.value
		}
	}
	return ""
}

// paragraph renders plain text as one HTML paragraph, lines kept.
func paragraph(t string) string {
	t = strings.TrimSpace(strings.ReplaceAll(t, "\r\n", "\n"))
	if t == "" {
		return ""
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(t), "\n", "<br>") + "</p>"
}

// text turns body HTML back into plain text.
func text(h string) string {
	h = lineRE.ReplaceAllString(h, "\n")
	return strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(h, "")))
}

// isWebLink accepts the http(s) links the client sends for recordings
// (and refuses its "(pending...)" placeholder).
func isWebLink(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// humanDuration writes a call's length as "1h 2m 3s", "2m 5s" or "40s".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %dm %ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
