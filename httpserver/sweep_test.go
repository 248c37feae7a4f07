package httpserver_test

import (
	"strings"
	"testing"
)

// TestCallLogClientSequence replays what the client really sends for one
// call (PROTOCOL.md §3, PATCH /callLog): the log with a pending recording,
// the edit form's PATCH with the user's note, the 5-minute recording sweep
// ("note":"" with the link and the call's details) twice, then the edit
// form's read. The note stays the user's, the recording is in the record
// once, and GET /callLog shows the user's note only.
func TestCallLogClientSequence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	r := h.do("POST", "/callLog?jwtToken="+jwt, callLogBody("seq-1", "1001"))
	logID, _ := r.json(t)["logId"].(string)
	if logID == "" {
		t.Fatalf("create: %s", r.body)
	}
	r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "seq-1", "subject": "Renewal", "note": "Customer wants the yearly plan"}, bearer(jwt)...)
	if r.json(t)["successful"] != true {
		t.Fatalf("edit: %s", r.body)
	}
	link := "https://media.example/rec/seq-1"
	for range 2 {
		r = h.do("PATCH", "/callLog", map[string]any{
			"sessionId": "seq-1", "note": "", "recordingLink": link,
			"startTime": 1764300000000, "duration": 95, "result": "Call connected", "direction": "Inbound",
			"from": map[string]any{"phoneNumber": "+16505551212", "name": "Alice"},
			"to":   map[string]any{"phoneNumber": "+14155550199", "name": "Me"},
		}, bearer(jwt)...)
		if m := r.json(t); m["successful"] != true || m["updatedNote"] != "Customer wants the yearly plan" {
			t.Fatalf("sweep: %s", r.body)
		}
	}
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=seq-1&requireDetails=true", nil)
	logs, _ := r.json(t)["logs"].([]any)
	if len(logs) != 1 {
		t.Fatalf("get: %s", r.body)
	}
	data, _ := logs[0].(map[string]any)["logData"].(map[string]any)
	if data["note"] != "Customer wants the yearly plan" || data["subject"] != "Renewal" {
		t.Errorf("edit form reads %v; want the user's note only", data)
	}
	act, _ := h.crm.CallLog(logID)
	if strings.Count(act.Note, link) != 1 || !strings.HasPrefix(act.Note, "Customer wants the yearly plan") {
		t.Errorf("CRM record %q; want the user's note and the recording once", act.Note)
	}
	if act.Duration.Seconds() != 95 || act.Result != "Call connected" {
		t.Errorf("call details lost: %+v", act)
	}
}

// TestPatchEmptyNeverErases: a PATCH whose values are all empty changes
// nothing the user saved.
func TestPatchEmptyNeverErases(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jwt := h.login("k1")
	r := h.do("POST", "/callLog?jwtToken="+jwt, callLogBody("e-1", "1001"))
	logID, _ := r.json(t)["logId"].(string)
	before, _ := h.crm.CallLog(logID)
	r = h.do("PATCH", "/callLog", map[string]any{
		"sessionId": "e-1", "subject": "", "note": "", "aiNote": "", "transcript": "", "recordingLink": "",
		"startTime": "", "duration": "", "result": "", "direction": "", "from": map[string]any{}, "to": nil,
		"additionalSubmission": map[string]any{},
	}, bearer(jwt)...)
	if r.json(t)["successful"] != true {
		t.Fatalf("patch: %s", r.body)
	}
	after, _ := h.crm.CallLog(logID)
	if after.Note != before.Note || after.Subject != before.Subject || after.Result != before.Result ||
		!after.StartTime.Equal(before.StartTime) || after.Duration != before.Duration || after.From != before.From {
		t.Errorf("empty PATCH changed the record:\nbefore %+v\nafter  %+v", before, after)
	}
}
