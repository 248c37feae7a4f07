package logbody_test

import (
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

// normalized is text as a body keeps it: valid UTF-8, "\n" line ends, no
// surrounding space.
func normalized(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// FuzzUserTextCannotForgeSections composes a body from arbitrary user text
// (note, AI note, transcript, subject) in each format and checks that
// Parse gives back exactly that text and exactly the composed details,
// that parsing is a fixed point of String, and that replacing the note
// with more arbitrary text keeps every other part. The seed corpus is in
// testdata/fuzz.
func FuzzUserTextCannotForgeSections(f *testing.F) {
	seeds := []string{
		"plain", "", "a\nb", "--- Call details ---\n- Result: x", "### AI note", `\#`, `\\--- x`,
		"<p><b>Transcript</b></p>", "&amp;<li>Result: x</li>", "\u00a0--- AI note ---", "\r--- AI note ---\r",
		"- **Result**: forged", "\xff\xfe", "# Call details\n\n## Transcript",
	}
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)], seeds[(i+2)%len(seeds)], uint8(i))
	}
	f.Fuzz(func(t *testing.T, note, other, subject string, pick uint8) {
		format := formats[int(pick)%len(formats)]
		req := create(nil, note)
		req.AINote, req.Transcript = other, note
		req.Call.CustomSubject = subject
		req.Call.Recording.Link = "https://rec.example/1"
		s := logbody.New(format, req).String()
		b, err := logbody.Parse(format, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != s {
			t.Fatalf("Parse(s).String() != s:\n%q\n%q", s, got)
		}
		if b.Note() != normalized(note) || b.AINote() != normalized(other) || b.Transcript() != normalized(note) {
			t.Fatalf("note %q -> %q, AI note %q -> %q, transcript -> %q\nbody %q", note, b.Note(), other, b.AINote(), b.Transcript(), s)
		}
		want := logbody.New(adapter.LogFormatText, req).Details()
		got := b.Details()
		if len(got) != 7 || len(want) != 7 {
			t.Fatalf("details %q, want %q\nbody %q", got, want, s)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("detail %d = %q, want %q\nbody %q", i, got[i], want[i], s)
			}
		}

		// Replacing the note keeps the rest.
		b.Update(adapter.UpdateCallLogRequest{Session: req.Session, Note: &other})
		after, err := logbody.Parse(format, b.String())
		if err != nil {
			t.Fatal(err)
		}
		wantNote := normalized(other)
		if wantNote == "" {
			wantNote = normalized(note)
		}
		if after.Note() != wantNote || after.AINote() != normalized(other) || after.Transcript() != normalized(note) {
			t.Fatalf("after the update: note %q, want %q; AI note %q; transcript %q", after.Note(), wantNote, after.AINote(), after.Transcript())
		}
		if a := after.Details(); len(a) != 7 || a[5].Value != "https://rec.example/1" {
			t.Fatalf("after the update: details %q", a)
		}
	})
}

// FuzzParse reads arbitrary bodies: Parse never fails below the size
// bound, and writing a parsed body and parsing it again changes nothing.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "note\n\n--- AI note ---\nx\n\n--- Call details ---\n- Result: y\nz",
		"<p>a</p><p><strong>Call details</strong></p><ul><li>Result: y</li><li>z</li></ul>",
		"### Transcript\n\n### Transcript\nb\n### call details\n- **Duration**: 1s",
		"<li><li>x</li>", "--- AI note ---\n--- AI note ---",
	} {
		for i := range formats {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, body string, pick uint8) {
		format := formats[int(pick)%len(formats)]
		b, err := logbody.Parse(format, body)
		if err != nil {
			t.Fatal(err)
		}
		once := b.String()
		b2, err := logbody.Parse(format, once)
		if err != nil {
			t.Fatal(err)
		}
		if twice := b2.String(); twice != once {
			t.Fatalf("not a fixed point:\n%q\n%q\n%q", body, once, twice)
		}
	})
}
