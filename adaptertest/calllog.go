package adaptertest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
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
		"logInfo": map[string]any{
			"id":                 "adaptertest-record-" + s.runID,
			"sessionId":          s.sessionID,
			"telephonySessionId": "adaptertest-telephony-" + s.runID,
			"startTime":          time.Now().Add(-5 * time.Minute).UnixMilli(),
			"duration":           42,
			"direction":          "Inbound",
			"result":             "Call connected",
			"from":               map[string]any{"phoneNumber": s.cfg.ExistingPhone, "name": name},
			"to":                 map[string]any{"phoneNumber": selfPhone, "name": "Adaptertest user"},
			"recording":          map[string]any{"link": "(pending...)"},
		},
		"note":                 s.callNote,
		"contactId":            id,
		"contactName":          name,
		"additionalSubmission": s.cfg.AdditionalSubmission,
	}
}

// createCallLog logs a call with POST /callLog.
func (s *suite) createCallLog(tb TB) {
	tb.Helper()
	s.sessionID = "adaptertest-" + s.runID
	s.callNote = "Adaptertest call note " + s.runID
	a, calls, ok := s.send(tb, "POST", "/callLog", s.callLogBody(), true)
	if !ok {
		return
	}
	if reportFailedCalls(tb, calls) {
		tb.Errorf("%v", a)
		return
	}
	cc, called := only[adapter.CreateCallLogRequest, adapter.CreateCallLogResult](tb, calls, mCreateCall, "for POST /callLog")
	if !called {
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
func (s *suite) duplicateCallLog(tb TB) {
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
func (s *suite) readCallLog(tb TB) (adapter.GetCallLogResult, bool) {
	tb.Helper()
	unknown := "adaptertest-unknown-" + s.runID
	a, calls, ok := s.send(tb, "GET", "/callLog?sessionIds="+s.sessionID+","+unknown+"&requireDetails=true", nil, true)
	if !ok {
		return adapter.GetCallLogResult{}, false
	}
	if reportFailedCalls(tb, calls) {
		return adapter.GetCallLogResult{}, false
	}
	gc, called := only[adapter.GetCallLogRequest, adapter.GetCallLogResult](tb, calls, mGetCall, "for GET /callLog?requireDetails=true")
	if !called {
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
func (s *suite) getCallLog(tb TB) {
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
func (s *suite) updateCallLog(tb TB) {
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

// recordingLink adds a recording link with PATCH /callLog, as the client
// does once the recording is processed: the link must be appended, the
// note kept.
func (s *suite) recordingLink(tb TB) {
	tb.Helper()
	link := "https://recordings.adaptertest.invalid/" + s.runID + ".mp3"
	if !s.patch(tb, map[string]any{"sessionId": s.sessionID, "recordingLink": link}) {
		return
	}
	var text, where string
	if s.cfg.ReadCallLog != nil {
		var err error
		if text, err = s.cfg.ReadCallLog(s.ctx, s.callLogID); err != nil {
			tb.Errorf("Config.ReadCallLog(%q): %v", s.callLogID, err)
			return
		}
		where = "the call log Config.ReadCallLog read"
	} else {
		got, ok := s.readCallLog(tb)
		if !ok {
			return
		}
		text, where = got.Note, "the note GetCallLog returned"
	}
	if !strings.Contains(text, link) {
		tb.Errorf("UpdateCallLog ignored the recording link: %s does not contain %s (%q). "+
			"If your CRM keeps the link outside the note, set Config.ReadCallLog", where, link, text)
	}
	if !strings.Contains(text, s.callNote) {
		tb.Errorf("UpdateCallLog lost the note when adding the recording link: %s no longer contains %q (%q); append the link",
			where, s.callNote, text)
	}
}

// patch sends PATCH /callLog and checks the update reached the adapter and
// succeeded.
func (s *suite) patch(tb TB, body map[string]any) bool {
	tb.Helper()
	a, calls, ok := s.send(tb, "PATCH", "/callLog", body, true)
	if !ok {
		return false
	}
	if reportFailedCalls(tb, calls) {
		tb.Errorf("%v", a)
		return false
	}
	uc, called := only[adapter.UpdateCallLogRequest, adapter.UpdateCallLogResult](tb, calls, mUpdateCall, "for PATCH /callLog")
	if !called {
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
func (s *suite) disposition(tb TB) {
	tb.Helper()
	want := s.cfg.Dispositions
	if want == nil {
		want = map[string]any{"adaptertest": "checked"}
	}
	a, calls, ok := s.send(tb, "PUT", "/callDisposition", map[string]any{"sessionId": s.sessionID, "dispositions": want}, true)
	if !ok {
		return
	}
	var e envelope
	if err := a.decode(&e); err != nil {
		tb.Errorf("%v", err)
		return
	}
	if s.rec.disposer == nil {
		noCall(tb, calls, mDisposition, "although the adapter is not a DispositionSetter")
		if e.ok() {
			tb.Errorf("%v; want successful:false, the adapter cannot set dispositions", a)
		}
		return
	}
	if reportFailedCalls(tb, calls) {
		tb.Errorf("%v", a)
		return
	}
	dc, called := only[adapter.SetCallDispositionRequest, struct{}](tb, calls, mDisposition, "for PUT /callDisposition")
	if !called {
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
