package adaptertest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/internal/clientwire"
)

// logContact is the contact logs are written against.
func (s *suite) logContact() (id, name string) {
	if s.cfg.LogContactID != "" {
		return s.cfg.LogContactID, ""
	}
	return s.cfg.ExistingContactID, s.existingName
}

// callLogBody is a POST /callLog body as the client sends it right after a
// call, the recording still being processed.
func (s *suite) callLogBody() map[string]any {
	id, name := s.logContact()
	return map[string]any{
		"logInfo": s.call().LogInfo("adaptertest-record-"+s.runID, s.sessionID,
			"adaptertest-telephony-"+s.runID, "(pending...)"),
		"note":                 s.callNote,
		"contactId":            id,
		"contactName":          name,
		"additionalSubmission": s.cfg.AdditionalSubmission,
	}
}

// createCallLog logs a call with POST /callLog.
func (s *suite) createCallLog(tb suiteTB) {
	tb.Helper()
	s.sessionID = "adaptertest-" + s.runID
	s.callNote = "Adaptertest call note " + s.runID
	a, cc, ok := exchange[adapter.CreateCallLogRequest, adapter.CreateCallLogResult](s, tb, "POST", "/callLog", s.callLogBody(), mCreateCall)
	if !ok {
		return
	}
	if cc.res.LogID == "" {
		tb.Errorf("CreateCallLog returned an empty log id (CreateCallLogResult.LogID): the server needs the CRM's id to read and update the log")
		return
	}
	var la callLogAnswer
	if a.decode(&la) != nil || !la.ok() || la.LogID != cc.res.LogID {
		tb.Errorf("%v; want successful:true and logId %q", a, cc.res.LogID)
		return
	}
	s.callLogID = cc.res.LogID
}

// duplicateCallLog posts the same call again: the server answers with the
// existing log and must not reach the adapter.
func (s *suite) duplicateCallLog(tb suiteTB) {
	tb.Helper()
	a, calls, ok := s.send(tb, "POST", "/callLog", s.callLogBody(), true)
	if !ok {
		return
	}
	noCall(tb, calls, mCreateCall, "again for a call that is already logged: that creates a second record")
	var la callLogAnswer
	if a.decode(&la) != nil || la.ok() || la.LogID != s.callLogID {
		tb.Errorf("%v; want successful:false and the existing logId %q", a, s.callLogID)
	}
}

// readCallLog reads the call log back with GET /callLog?requireDetails=true
// and returns what GetCallLog returned.
func (s *suite) readCallLog(tb suiteTB) (adapter.GetCallLogResult, bool) {
	tb.Helper()
	unknown := "adaptertest-unknown-" + s.runID
	a, gc, ok := exchange[adapter.GetCallLogRequest, adapter.GetCallLogResult](s, tb,
		"GET", "/callLog?sessionIds="+s.sessionID+","+unknown+"&requireDetails=true", nil, mGetCall)
	if !ok {
		return adapter.GetCallLogResult{}, false
	}
	var la callLogsAnswer
	if err := a.decode(&la); err != nil {
		tb.Errorf("%v", err)
		return gc.res, false
	}
	if !la.ok() || len(la.Logs) != 2 ||
		!la.Logs[0].Matched || la.Logs[0].LogID != s.callLogID || la.Logs[0].LogData == nil ||
		la.Logs[1].Matched {
		tb.Errorf("%v; want successful:true, %q matched with logId %q and logData, %q not matched: %.400s",
			a, s.sessionID, s.callLogID, unknown, a.body)
	}
	return gc.res, true
}

// getCallLog checks that GetCallLog returns the subject and the note the
// call was logged with.
func (s *suite) getCallLog(tb suiteTB) {
	tb.Helper()
	got, ok := s.readCallLog(tb)
	if !ok {
		return
	}
	if got.Subject == "" {
		tb.Errorf("GetCallLog returned an empty subject: the client shows it when the user edits the log")
	}
	if !strings.Contains(got.Note, s.callNote) {
		tb.Errorf("GetCallLog returned the note %q; want it to contain the note the call was logged with, %q", got.Note, s.callNote)
	}
}

// updateCallLog replaces subject and note with PATCH /callLog.
func (s *suite) updateCallLog(tb suiteTB) {
	tb.Helper()
	oldNote := s.callNote
	subject := "Adaptertest subject " + s.runID
	note := "Adaptertest updated note " + s.runID
	if !s.patch(tb, map[string]any{"sessionId": s.sessionID, "subject": subject, "note": note}) {
		return
	}
	s.callNote = note
	got, ok := s.readCallLog(tb)
	if !ok {
		return
	}
	if got.Subject != subject {
		tb.Errorf("UpdateCallLog did not replace the subject: GetCallLog returned %q; want %q", got.Subject, subject)
	}
	switch {
	case !strings.Contains(got.Note, note):
		tb.Errorf("UpdateCallLog did not replace the note: GetCallLog returned %q; want it to contain %q", got.Note, note)
	case strings.Contains(got.Note, oldNote):
		tb.Errorf("UpdateCallLog kept the old note %q next to the new one: a note sent with PATCH /callLog replaces the old one", oldNote)
	}
}

// sweepBody is the PATCH /callLog the client's 5-minute recording sweep
// sends once the recording is processed: an empty note, the link and the
// call's details again.
func (s *suite) sweepBody(link string) map[string]any {
	body := s.call().Details()
	body["sessionId"] = s.sessionID
	body["note"] = ""
	body["recordingLink"] = link
	return body
}

// call is the suite's call: five minutes ago, from the contact the logs are
// written against to the user.
func (s *suite) call() clientwire.Call {
	_, name := s.logContact()
	return clientwire.Call{
		Start: time.Now().Add(-5 * time.Minute), Duration: 42 * time.Second, Direction: "Inbound", Result: "Call connected",
		From: clientwire.Party{PhoneNumber: s.cfg.ExistingPhone, Name: name}, To: clientwire.Party{PhoneNumber: selfPhone, Name: "Adaptertest user"},
	}
}

// recordingLink plays the client's real sequence after the user edited the
// note (step update): the recording sweep twice, then another edit. The
// user's note must survive the sweep (an empty string never erases, call
// details never replace the note), GetCallLog must return the user's note
// only, the link must be in the record once, and a later note must keep it.
func (s *suite) recordingLink(tb suiteTB) {
	tb.Helper()
	link := "https://recordings.adaptertest.invalid/" + s.runID + ".mp3"
	where := "the call log Config.ReadCallLog read"
	// counts[i] is how often the link appears in the record after sweep i.
	var counts [2]int
	var text string
	for i := range counts {
		if !s.patch(tb, s.sweepBody(link)) {
			return
		}
		if s.cfg.ReadCallLog != nil {
			var ok bool
			if text, ok = s.readRecord(tb); !ok {
				return
			}
			counts[i] = strings.Count(text, link)
		}
	}
	got, ok := s.readCallLog(tb)
	if !ok {
		return
	}
	if !strings.Contains(got.Note, s.callNote) {
		tb.Errorf("UpdateCallLog erased the user's note on the recording sweep (PATCH /callLog with \"note\":\"\", the recording link and the call's details): "+
			"GetCallLog returned %q; want the note the user saved, %q. An empty value never erases, and the call's details never replace the user's note", got.Note, s.callNote)
	}
	if strings.Contains(got.Note, link) {
		tb.Errorf("GetCallLog returned the recording link inside the note (%q): GET /callLog's note is the user's own note only; "+
			"the client's edit form shows it as typed and sends it back as the new note", got.Note)
	}
	if s.cfg.ReadCallLog == nil {
		tb.Logf("Config.ReadCallLog is not set, so whether UpdateCallLog stored the recording link, once, cannot be checked")
		return
	}
	switch {
	case counts[1] == 0:
		tb.Errorf("UpdateCallLog ignored the recording link: %s does not contain %s (%q)", where, link, text)
	case counts[1] > counts[0]:
		tb.Errorf("UpdateCallLog added the recording link again on the second sweep: %s has %s %d times, %d after the first (%q); "+
			"the sweep sends the same link again, add it once", where, link, counts[1], counts[0], text)
	}
	if !strings.Contains(text, s.callNote) {
		tb.Errorf("UpdateCallLog lost the note when adding the recording link: %s no longer contains %q (%q); append the link",
			where, s.callNote, text)
	}
	if counts[1] == 0 {
		return // whether a new note keeps the link cannot be seen
	}
	note := "Adaptertest note after the recording " + s.runID
	if !s.patch(tb, map[string]any{"sessionId": s.sessionID, "note": note}) {
		return
	}
	s.callNote = note
	if text, ok = s.readRecord(tb); !ok {
		return
	}
	if !strings.Contains(text, link) {
		tb.Errorf("UpdateCallLog dropped the recording link when the note was replaced: %s no longer contains %s (%q); "+
			"a note replaces only the user's part of the record", where, link, text)
	}
}

// readRecord reads the call log with Config.ReadCallLog.
func (s *suite) readRecord(tb suiteTB) (string, bool) {
	tb.Helper()
	text, err := s.cfg.ReadCallLog(s.ctx, s.callLogID)
	if err != nil {
		tb.Errorf("Config.ReadCallLog(%q): %v", s.callLogID, err)
		return "", false
	}
	return text, true
}

// patch sends PATCH /callLog and checks the update reached the adapter and
// succeeded.
func (s *suite) patch(tb suiteTB, body map[string]any) bool {
	tb.Helper()
	a, uc, ok := exchange[adapter.UpdateCallLogRequest, adapter.UpdateCallLogResult](s, tb, "PATCH", "/callLog", body, mUpdateCall)
	if !ok {
		return false
	}
	if uc.req.LogID != s.callLogID {
		tb.Errorf("the server called UpdateCallLog for log %q; want %q", uc.req.LogID, s.callLogID)
	}
	var la callLogAnswer
	if a.decode(&la) != nil || !la.ok() {
		tb.Errorf("%v; want successful:true", a)
		return false
	}
	return true
}

// disposition sets dispositions with PUT /callDisposition; without the
// capability the server refuses without calling the adapter.
func (s *suite) disposition(tb suiteTB) {
	tb.Helper()
	want := s.cfg.Dispositions
	if want == nil {
		want = map[string]any{"adaptertest": "checked"}
	}
	a, dc, ok := exchange[adapter.SetCallDispositionRequest, adapter.SetCallDispositionResult](s, tb,
		"PUT", "/callDisposition", map[string]any{"sessionId": s.sessionID, "dispositions": want}, mDisposition)
	if !ok {
		return
	}
	var e envelope
	if err := a.decode(&e); err != nil {
		tb.Errorf("%v", err)
		return
	}
	if dc.req.LogID != s.callLogID {
		tb.Errorf("the server called SetCallDisposition for log %q; want %q", dc.req.LogID, s.callLogID)
	}
	if !e.ok() {
		tb.Errorf("%v; want successful:true", a)
		return
	}
	got, ok := s.readCallLog(tb)
	if !ok {
		return
	}
	if len(got.Dispositions) == 0 {
		tb.Logf("GetCallLog returns no dispositions, so whether SetCallDisposition stored them cannot be checked")
		return
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if fmt.Sprint(got.Dispositions[k]) != fmt.Sprint(want[k]) {
			tb.Errorf("SetCallDisposition did not store disposition %q: GetCallLog returned %v; want %v", k, got.Dispositions[k], want[k])
		}
	}
}
