package logbody

import (
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/crmbridge/crmbridge/adapter"
)

// section is one titled part of a body after the user's note.
type section struct {
	title string // one of the Section constants
	raw   string // content, in the body's format
}

// codec is what differs between the formats: how plain text is escaped
// into a body and read back, and how sections are marked. Every escaping
// is reversible, and escaped text can never contain a section marker.
type codec interface {
	format() adapter.LogFormat
	// block renders normalized, non-empty plain text as a block.
	block(text string) string
	// plain reads a block back as plain text.
	plain(raw string) string
	// value renders a detail's one-line plain value.
	value(label, value string) string
	// plainValue reads a detail value back.
	plainValue(raw string) string
	heading(title string) string
	afterHeading() string
	blockSep() string
	details(ds []detail) string
	// split cuts a body into the user's part and its sections.
	split(body string) (user string, sections []section)
	parseDetails(raw string) []detail
}

func codecOf(f adapter.LogFormat) codec {
	switch f {
	case adapter.LogFormatHTML:
		return htmlCodec{}
	case adapter.LogFormatMarkdown:
		return markdownCodec{}
	}
	return textCodec{}
}

// sectionTitle returns the canonical title t names, or "".
func sectionTitle(t string) string {
	t = strings.TrimSpace(t)
	for _, s := range []string{SectionAINote, SectionTranscript, SectionDetails} {
		if strings.EqualFold(t, s) {
			return s
		}
	}
	return ""
}

// canonicalLabel returns the standard label l names (ignoring case), or l.
func canonicalLabel(l string) string {
	for _, s := range labelOrder {
		if strings.EqualFold(l, s) {
			return s
		}
	}
	return l
}

// splitLines cuts a line-based body at its marker lines; title reports
// whether a line is a marker and which.
func splitLines(body string, title func(line string) string) (string, []section) {
	var sections []section
	user, cur := "", -1 // cur: index in sections being filled, -1 for the user part
	start := 0
	flush := func(end int) {
		raw := strings.TrimSpace(body[start:end])
		if cur < 0 {
			user = raw
		} else {
			sections[cur].raw = raw
		}
	}
	for pos := 0; pos <= len(body); {
		end := strings.IndexByte(body[pos:], '\n')
		if end < 0 {
			end = len(body)
		} else {
			end += pos
		}
		if t := title(body[pos:end]); t != "" {
			flush(pos)
			sections = append(sections, section{title: t})
			cur = len(sections) - 1
			start = min(end+1, len(body))
		}
		pos = end + 1
	}
	flush(len(body))
	return user, sections
}

// mapLines applies fn to each line of s.
func mapLines(s string, fn func(line string) string) string {
	var b strings.Builder
	b.Grow(len(s))
	first := true
	lines(s, func(line string) {
		if !first {
			b.WriteByte('\n')
		}
		first = false
		b.WriteString(fn(line))
	})
	return b.String()
}

// lines calls fn for each line of s.
func lines(s string, fn func(line string)) {
	for s != "" {
		line, rest, _ := strings.Cut(s, "\n")
		fn(line)
		s = rest
	}
}

// textCodec is plain text. Sections start with a line "--- Title ---";
// details are lines "- Label: value". A line of the user's text that
// starts (after spaces) with "---" or "\" gets a "\" in front, so it can
// never read as a marker; reading drops one leading "\".
type textCodec struct{}

func (textCodec) format() adapter.LogFormat { return adapter.LogFormatText }

func (textCodec) block(text string) string {
	return mapLines(text, func(line string) string {
		if t := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(t, "---") || strings.HasPrefix(t, `\`) {
			return `\` + line
		}
		return line
	})
}

func (textCodec) plain(raw string) string {
	return strings.TrimSpace(mapLines(raw, func(line string) string { return strings.TrimPrefix(line, `\`) }))
}

func (textCodec) value(_, v string) string     { return v }
func (textCodec) plainValue(raw string) string { return strings.TrimSpace(raw) }
func (textCodec) heading(title string) string  { return "--- " + title + " ---" }
func (textCodec) afterHeading() string         { return "\n" }
func (textCodec) blockSep() string             { return "\n\n" }
func (c textCodec) details(ds []detail) string {
	return lineDetails(ds, func(l string) string { return l })
}
func (c textCodec) parseDetails(raw string) []detail {
	return parseLineDetails(raw, func(l string) string { return l })
}

func (textCodec) split(body string) (string, []section) {
	return splitLines(body, func(line string) string {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "---") || !strings.HasSuffix(t, "---") || len(t) < 6 {
			return ""
		}
		return sectionTitle(t[3 : len(t)-3])
	})
}

// lineDetails renders details as "- Label: value" lines.
func lineDetails(ds []detail, label func(string) string) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		if d.label == "" {
			b.WriteString(d.raw)
			continue
		}
		b.WriteString("- " + label(d.label) + ": " + d.raw)
	}
	return b.String()
}

// parseLineDetails reads "- Label: value" lines; unlabel reads a label
// back. Other non-blank lines are kept as they are.
func parseLineDetails(raw string, unlabel func(string) string) []detail {
	var ds []detail
	lines(raw, func(line string) {
		t := strings.TrimSpace(line)
		if t == "" {
			return
		}
		if rest, ok := strings.CutPrefix(t, "- "); ok {
			if l, v, ok := strings.Cut(rest, ": "); ok {
				if l = strings.TrimSpace(unlabel(l)); l != "" {
					ds = append(ds, detail{label: canonicalLabel(l), raw: strings.TrimSpace(v)})
					return
				}
			}
		}
		ds = append(ds, detail{raw: t})
	})
	return ds
}

// markdownCodec is CommonMark. Sections start with a heading "### Title";
// details are list items "- **Label**: value". Users' text has every
// character of mdSpecial backslash-escaped (so it shows as typed, and a
// "#" can never start a heading); reading removes those escapes.
type markdownCodec struct{}

// mdSpecial are the characters escaped in users' text.
const mdSpecial = "\\`*_[]<>#|~"

func mdEscape(s string) string {
	if !strings.ContainsAny(s, mdSpecial) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r < 0x80 && strings.IndexByte(mdSpecial, byte(r)) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func mdUnescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(mdSpecial, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (markdownCodec) format() adapter.LogFormat { return adapter.LogFormatMarkdown }
func (markdownCodec) block(text string) string  { return mdEscape(text) }
func (markdownCodec) plain(raw string) string   { return strings.TrimSpace(mdUnescape(raw)) }

func (markdownCodec) value(label, v string) string {
	if label == LabelRecording && IsWebLink(v) {
		return "<" + v + ">"
	}
	return mdEscape(v)
}

func (markdownCodec) plainValue(raw string) string {
	raw = strings.TrimSpace(raw)
	if len(raw) > 2 && raw[0] == '<' && raw[len(raw)-1] == '>' && !strings.ContainsAny(raw[1:len(raw)-1], "<>") {
		return raw[1 : len(raw)-1]
	}
	return mdUnescape(raw)
}

func (markdownCodec) heading(title string) string { return "### " + title }
func (markdownCodec) afterHeading() string        { return "\n" }
func (markdownCodec) blockSep() string            { return "\n\n" }

func (markdownCodec) details(ds []detail) string {
	return lineDetails(ds, func(l string) string { return "**" + mdEscape(l) + "**" })
}

func (markdownCodec) parseDetails(raw string) []detail {
	return parseLineDetails(raw, func(l string) string {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "**") && strings.HasSuffix(l, "**") && len(l) >= 4 {
			l = l[2 : len(l)-2]
		}
		return mdUnescape(l)
	})
}

func (markdownCodec) split(body string) (string, []section) {
	return splitLines(body, func(line string) string {
		t := strings.TrimSpace(line)
		n := 0
		for n < len(t) && t[n] == '#' {
			n++
		}
		if n == 0 || n > 6 || n == len(t) || (t[n] != ' ' && t[n] != '\t') {
			return ""
		}
		return sectionTitle(t[n:])
	})
}

// htmlCodec is HTML. Sections start with a paragraph holding only a bold
// title (<p><b>Title</b></p>, or <strong>, with attributes: CRMs rewrite
// markup); details are the <li> items of a list. Users' text is
// HTML-escaped, so it holds no tag at all.
type htmlCodec struct{}

var (
	htmlHeadingRE = regexp.MustCompile(`(?is)<p(?:\s[^>]*)?>\s*<(?:b|strong)(?:\s[^>]*)?>\s*(` +
		SectionAINote + `|` + SectionTranscript + `|` + SectionDetails +
		`)\s*</(?:b|strong)>\s*</p>`)
	htmlItemRE  = regexp.MustCompile(`(?is)<li(?:\s[^>]*)?>(.*?)</li>`)
	htmlBreakRE = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</li>|</div>`)
	htmlTagRE   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText turns HTML into plain text: breaks and paragraph ends become
// line breaks, other tags go, entities are decoded.
func htmlText(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		s = htmlBreakRE.ReplaceAllString(s, "\n")
		s = htmlTagRE.ReplaceAllString(s, "")
	}
	return strings.TrimSpace(html.UnescapeString(s))
}

func (htmlCodec) format() adapter.LogFormat { return adapter.LogFormatHTML }

func (htmlCodec) block(text string) string {
	return "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>"
}

func (htmlCodec) plain(raw string) string { return htmlText(raw) }

func (htmlCodec) value(label, v string) string {
	e := html.EscapeString(v)
	if label == LabelRecording && IsWebLink(v) {
		return `<a href="` + e + `" target="_blank" rel="noopener">` + e + `</a>`
	}
	return e
}

func (htmlCodec) plainValue(raw string) string { return htmlText(raw) }
func (htmlCodec) heading(title string) string  { return "<p><b>" + title + "</b></p>" }
func (htmlCodec) afterHeading() string         { return "" }
func (htmlCodec) blockSep() string             { return "" }

func (htmlCodec) details(ds []detail) string {
	var b strings.Builder
	b.WriteString("<ul>")
	for _, d := range ds {
		b.WriteString("<li>")
		if d.label != "" {
			b.WriteString(html.EscapeString(d.label) + ": ")
		}
		b.WriteString(d.raw + "</li>")
	}
	b.WriteString("</ul>")
	return b.String()
}

func (htmlCodec) parseDetails(raw string) []detail {
	var ds []detail
	for _, m := range htmlItemRE.FindAllStringSubmatch(raw, -1) {
		inner := m[1]
		if l, v, ok := strings.Cut(inner, ": "); ok {
			if label := htmlText(l); label != "" && !strings.ContainsAny(label, "\n<>") {
				ds = append(ds, detail{label: canonicalLabel(label), raw: strings.TrimSpace(v)})
				continue
			}
		}
		ds = append(ds, detail{raw: inner})
	}
	return ds
}

func (htmlCodec) split(body string) (string, []section) {
	locs := htmlHeadingRE.FindAllStringSubmatchIndex(body, -1)
	if len(locs) == 0 {
		return body, nil
	}
	sections := make([]section, len(locs))
	for i, l := range locs {
		end := len(body)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		sections[i] = section{title: sectionTitle(body[l[2]:l[3]]), raw: body[l[1]:end]}
	}
	return body[:locs[0][0]], sections
}
