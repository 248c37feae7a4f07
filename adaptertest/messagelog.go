package adaptertest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// message is one SMS of the suite's conversation.
type message struct {
	id   int64
	text string
	at   time.Time
}

// conversation returns the suite's two messages, oldest first. Their day is
// fixed the first time it is asked for: every post of the run must name the
// same conversation day, also when the run crosses midnight UTC, or the
// append and repost checks would see a new day and a second CRM record.
func (s *suite) conversation() []message {
	if s.day.IsZero() {
		now := time.Now
		if s.now != nil {
			now = s.now
		}
		s.day = now().UTC().Truncate(24 * time.Hour).Add(10 * time.Hour)
	}
	day := s.day
	return []message{
		{id: s.messageIDBase + 1, text: "Adaptertest first message " + s.runID, at: day},
		{id: s.messageIDBase + 2, text: "Adaptertest second message " + s.runID, at: day.Add(time.Minute)},
	}
}

// messageLogBody is a POST /messageLog body holding msgs; the client sends
// the whole day, newest first.
func (s *suite) messageLogBody(msgs []message) map[string]any {
	id, name := s.logContact()
	conv := "adaptertest-" + s.runID
	day := s.conversation()[0].at
	wire := make([]map[string]any, 0, len(msgs))
	for _, m := range slices.Backward(msgs) {
		wire = append(wire, map[string]any{
			"id":           m.id,
			"direction":    "Inbound",
			"subject":      m.text,
			"creationTime": m.at.Format(time.RFC3339),
			"from":         map[string]any{"phoneNumber": s.cfg.ExistingPhone, "name": name},
			"to":           []any{map[string]any{"phoneNumber": selfPhone}},
			"type":         "SMS",
		})
	}
	return map[string]any{
		"logInfo": map[string]any{
			"conversationId":    conv,
			"conversationLogId": fmt.Sprintf("%s/%d/%d/%d", conv, day.Month(), day.Day(), day.Year()),
			"type":              "SMS",
			"messages":          wire,
			"correspondents":    []any{map[string]any{"phoneNumber": s.cfg.ExistingPhone, "name": name}},
			"self":              map[string]any{"phoneNumber": selfPhone},
		},
		"contactId":            id,
		"contactName":          name,
		"additionalSubmission": s.cfg.AdditionalSubmission,
	}
}

// postMessages sends POST /messageLog and checks logIds.
func (s *suite) postMessages(tb suiteTB, msgs []message, wantLogged ...message) ([]call, bool) {
	tb.Helper()
	a, calls, ok := s.send(tb, "POST", "/messageLog", s.messageLogBody(msgs), true)
	if !ok {
		return calls, false
	}
	if reportFailedCalls(tb, calls) {
		tb.Errorf("%v", a)
		return calls, false
	}
	want := []string{}
	for _, m := range wantLogged {
		want = append(want, strconv.FormatInt(m.id, 10))
	}
	var ma messageLogAnswer
	if a.decode(&ma) != nil || !ma.ok() || !slices.Equal(ma.LogIDs, want) {
		tb.Errorf("%v; want successful:true and logIds %q: %.300s", a, want, a.body)
		return calls, false
	}
	return calls, true
}

// createMessageLog logs the conversation's first message.
func (s *suite) createMessageLog(tb suiteTB) {
	tb.Helper()
	first := s.conversation()[0]
	calls, ok := s.postMessages(tb, []message{first}, first)
	mc, called := only[adapter.CreateMessageLogRequest, adapter.CreateMessageLogResult](tb, calls, mCreateMessage, "for the first message of a conversation day")
	if !called || mc.err != nil || mc.panicked != nil {
		return
	}
	if mc.res.LogID == "" {
		tb.Errorf("CreateMessageLog returned an empty log id (CreateMessageLogResult.LogID): later messages of the day are appended to that record")
		return
	}
	if !ok {
		return
	}
	s.messageLogID, s.firstMessage = mc.res.LogID, first.text
	if s.cfg.ReadMessageLog != nil {
		text, err := s.cfg.ReadMessageLog(s.ctx, s.messageLogID)
		switch {
		case err != nil:
			tb.Errorf("Config.ReadMessageLog(%q): %v", s.messageLogID, err)
		case !strings.Contains(text, first.text):
			tb.Errorf("CreateMessageLog did not write the message: the message log does not contain %q (%q)", first.text, text)
		}
	}
}

// appendMessage posts the day again with a new message: it must be appended
// to the record CreateMessageLog created.
func (s *suite) appendMessage(tb suiteTB) {
	tb.Helper()
	s.appendRan = true
	msgs := s.conversation()
	calls, ok := s.postMessages(tb, msgs, msgs[1])
	s.appended = ok
	noCall(tb, calls, mCreateMessage, "for a later message of a logged conversation day: that creates a second record")
	uc, called := only[adapter.UpdateMessageLogRequest, adapter.UpdateMessageLogResult](tb, calls, mUpdateMessage, "for a later message of a logged conversation day")
	if !called || !ok {
		return
	}
	if uc.req.LogID != s.messageLogID || uc.req.Message.ID != strconv.FormatInt(msgs[1].id, 10) {
		tb.Errorf("the server called UpdateMessageLog for log %q, message %q; want log %q, message %d",
			uc.req.LogID, uc.req.Message.ID, s.messageLogID, msgs[1].id)
	}
	if s.cfg.ReadMessageLog == nil {
		tb.Logf("Config.ReadMessageLog is not set: whether UpdateMessageLog really appended the message cannot be checked")
		return
	}
	text, err := s.cfg.ReadMessageLog(s.ctx, s.messageLogID)
	if err != nil {
		tb.Errorf("Config.ReadMessageLog(%q): %v", s.messageLogID, err)
		return
	}
	if !strings.Contains(text, msgs[1].text) {
		tb.Errorf("UpdateMessageLog did not append the second message: the message log does not contain %q (%q)", msgs[1].text, text)
	}
	if !strings.Contains(text, s.firstMessage) {
		tb.Errorf("UpdateMessageLog replaced the message log instead of appending: the first message %q is gone (%q)", s.firstMessage, text)
	}
}

// repostMessages posts the day a third time: nothing is new, so nothing
// reaches the adapter and logIds is empty.
func (s *suite) repostMessages(tb suiteTB) {
	tb.Helper()
	if !s.appendRan {
		s.appendMessage(tb)
	}
	if !s.appended {
		tb.Logf("not checked: the second message was not logged, so the server rightly tries it again")
		return
	}
	calls, _ := s.postMessages(tb, s.conversation())
	noCall(tb, calls, mCreateMessage, "for messages already logged")
	noCall(tb, calls, mUpdateMessage, "for messages already logged")
}
