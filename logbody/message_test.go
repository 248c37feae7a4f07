package logbody_test

import (
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	s := adapter.Session{User: adapter.User{Timezone: "Europe/Berlin"}, Settings: settings(logbody.SettingDateFormat, `"HH:mm"`)}
	at := time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC)
	ada, me := adapter.Party{Name: "Ada", PhoneNumber: "+15550001"}, adapter.Party{PhoneNumber: "+15550002"}
	sms := adapter.Message{Direction: "Inbound", Subject: "Hi <there>\n# *you*", CreationTime: at, From: ada, To: []adapter.Party{me}}
	vm := adapter.Message{Direction: "Inbound", From: ada, Attachments: []adapter.Attachment{
		{Type: "AudioRecording", Link: "https://media.example/v?a=1&b=2"}, {Type: "Text", Link: "not a link"},
	}}
	fax := adapter.Message{Direction: "Outbound", FaxPageCount: 3, To: []adapter.Party{ada}, Attachments: []adapter.Attachment{{Type: "RenderedDocument", Link: "https://media.example/f"}}}
	tests := []struct {
		format adapter.LogFormat
		conv   string
		m      adapter.Message
		want   string
	}{
		{adapter.LogFormatText, "SMS", sms, "[12:15] Inbound SMS from Ada (+15550001) to +15550002: Hi <there> # *you*"},
		{adapter.LogFormatHTML, "SMS", sms, "<p><b>[12:15] Inbound SMS from Ada (+15550001) to +15550002</b><br>Hi &lt;there&gt; # *you*</p>"},
		{adapter.LogFormatMarkdown, "SMS", sms, `- **\[12:15\] Inbound SMS from Ada (+15550001) to +15550002**: Hi \<there\> \# \*you\*`},
		{adapter.LogFormatText, "VoiceMail", vm, "Inbound voicemail from Ada (+15550001) | Recording: https://media.example/v?a=1&b=2"},
		{adapter.LogFormatHTML, "Fax", fax, `<p><b>Outbound fax (3 pages) to Ada (+15550001)</b><br>Document: <a href="https://media.example/f" target="_blank" rel="noopener">https://media.example/f</a></p>`},
		{adapter.LogFormatMarkdown, "Fax", fax, `- **Outbound fax (3 pages) to Ada (+15550001)** | Document: <https://media.example/f>`},
	}
	for _, tt := range tests {
		if got := logbody.Message(tt.format, s, adapter.Conversation{Type: tt.conv}, tt.m); got != tt.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tt.format, tt.conv, got, tt.want)
		}
	}
}

func TestAppendMessage(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		e := func(text string) string {
			return logbody.Message(f, adapter.Session{}, adapter.Conversation{}, adapter.Message{Direction: "Inbound", Subject: text})
		}
		body := ""
		for _, text := range []string{"hi", "hi there", "hi", "hi there", "h"} {
			body = logbody.AppendMessage(f, body, e(text))
		}
		want := e("hi") + "\n" + e("hi there") + "\n" + e("h")
		if f == adapter.LogFormatHTML {
			want = e("hi") + e("hi there") + e("h")
		}
		if body != want {
			t.Errorf("%s: body %q, want %q", f, body, want)
		}
		if got := logbody.AppendMessage(f, body, e("hi there")); got != body {
			t.Errorf("%s: an entry already there was appended again", f)
		}
		if got := logbody.AppendMessage(f, body, ""); got != body {
			t.Errorf("%s: an empty entry changed the body", f)
		}
	}
	// Bounded: appending to a large body is one linear scan.
	big := strings.Repeat("<p><b>Inbound SMS</b><br>x</p>", 10*logbody.MaxBodyBytes/32)
	if got := logbody.AppendMessage(adapter.LogFormatHTML, big, "<p><b>Inbound SMS</b><br>y</p>"); len(got) <= len(big) {
		t.Error("a new entry was not appended to a large body")
	}
}
