package logbody

import (
	"strconv"
	"strings"
	"time"
)

// DefaultDateFormat is the layout of the Date/Time detail when the user's
// logDateFormat setting is empty, unusable or longer than MaxDateFormat:
// the reference server's default, e.g. "2026-11-30 09:15:28 AM".
const DefaultDateFormat = "YYYY-MM-DD hh:mm:ss A"

// MaxDateFormat is the longest logDateFormat used, in bytes.
const MaxDateFormat = 64

// dateTokens are the layout tokens of FormatDate, longest first where one
// is a prefix of another.
var dateTokens = []string{
	"YYYY", "YY", "MMMM", "MMM", "MM", "M", "DD", "D", "dddd", "ddd",
	"HH", "H", "hh", "h", "mm", "m", "ss", "s", "A", "a", "ZZ", "Z", "z",
}

// FormatDate writes t in loc with a moment.js-style layout, the notation of
// the client's logDateFormat setting: YYYY and YY (year), MMMM, MMM, MM and
// M (month), DD and D (day), dddd and ddd (weekday), HH and H (24-hour),
// hh and h (12-hour), mm and m (minute), ss and s (second), A and a
// (AM/PM, am/pm), Z (+01:00), ZZ (+0100), z (zone abbreviation), and
// [text] for literal text. Other characters are copied. An empty layout,
// or one longer than MaxDateFormat, is DefaultDateFormat. Work is linear
// in the layout.
func FormatDate(t time.Time, loc *time.Location, layout string) string {
	if loc == nil {
		loc = time.UTC
	}
	if strings.TrimSpace(layout) == "" || len(layout) > MaxDateFormat {
		layout = DefaultDateFormat
	}
	t = t.In(loc)
	var b strings.Builder
	two := func(n int) { b.WriteString(pad2(n)) }
	for i := 0; i < len(layout); {
		if layout[i] == '[' {
			end := strings.IndexByte(layout[i+1:], ']')
			if end >= 0 {
				b.WriteString(layout[i+1 : i+1+end])
				i += end + 2
				continue
			}
		}
		tok := ""
		for _, cand := range dateTokens {
			if strings.HasPrefix(layout[i:], cand) {
				tok = cand
				break
			}
		}
		h12 := t.Hour() % 12
		if h12 == 0 {
			h12 = 12
		}
		switch tok {
		case "YYYY":
			b.WriteString(strconv.Itoa(t.Year()))
		case "YY":
			two(t.Year() % 100)
		case "MMMM":
			b.WriteString(t.Month().String())
		case "MMM":
			b.WriteString(t.Month().String()[:3])
		case "MM":
			two(int(t.Month()))
		case "M":
			b.WriteString(strconv.Itoa(int(t.Month())))
		case "DD":
			two(t.Day())
		case "D":
			b.WriteString(strconv.Itoa(t.Day()))
		case "dddd":
			b.WriteString(t.Weekday().String())
		case "ddd":
			b.WriteString(t.Weekday().String()[:3])
		case "HH":
			two(t.Hour())
		case "H":
			b.WriteString(strconv.Itoa(t.Hour()))
		case "hh":
			two(h12)
		case "h":
			b.WriteString(strconv.Itoa(h12))
		case "mm":
			two(t.Minute())
		case "m":
			b.WriteString(strconv.Itoa(t.Minute()))
		case "ss":
			two(t.Second())
		case "s":
			b.WriteString(strconv.Itoa(t.Second()))
		case "A":
			b.WriteString(t.Format("PM"))
		case "a":
			b.WriteString(t.Format("pm"))
		case "Z":
			b.WriteString(t.Format("-07:00"))
		case "ZZ":
			b.WriteString(t.Format("-0700"))
		case "z":
			b.WriteString(t.Format("MST"))
		default:
			b.WriteByte(layout[i])
			i++
			continue
		}
		i += len(tok)
	}
	return b.String()
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// FormatDuration writes a call's length as "1h 2m 3s", "2m 5s" or "40s";
// a negative duration is "0s".
func FormatDuration(d time.Duration) string {
	s := int64(max(d, 0).Round(time.Second) / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	switch {
	case h > 0:
		return strconv.FormatInt(h, 10) + "h " + strconv.FormatInt(m, 10) + "m " + strconv.FormatInt(sec, 10) + "s"
	case m > 0:
		return strconv.FormatInt(m, 10) + "m " + strconv.FormatInt(sec, 10) + "s"
	}
	return strconv.FormatInt(sec, 10) + "s"
}
