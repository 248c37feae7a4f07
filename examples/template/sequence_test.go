package template_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/template"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// TestCallLogClientSequence replays, through the real server, what the
// client sends for one call: the log with a pending recording, the edit
// form's note, the recording sweep ("note":"" with the link and the call's
// details) twice, the edit form's read. The note stays the user's and the
// recording is in the activity once.
func TestCallLogClientSequence(t *testing.T) {
	crm := newFakeCRM(t, "test-key")
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	issuer, err := auth.NewJWTIssuer([]byte("0123456789abcdef0123456789abcdef-template"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.GenerateSealingKey("k")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewSealingKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpserver.New(httpserver.Config{Adapters: []adapter.Adapter{newAdapter(t, crm)}, Store: st, JWTIssuer: issuer, SealingKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	send := func(method, path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, hs.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		res, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %v", method, path, res.StatusCode, err)
		}
		return m
	}
	jwt, _ := send("POST", "/apiKeyLogin", map[string]any{"platform": template.Platform, "apiKey": "test-key"})["jwtToken"].(string)
	q := "?jwtToken=" + jwt
	created := send("POST", "/callLog"+q, map[string]any{
		"logInfo": map[string]any{
			"sessionId": "seq-1", "startTime": 1764300000000, "duration": 95, "direction": "Inbound", "result": "Call connected",
			"from": map[string]any{"phoneNumber": "+16505551212"}, "to": map[string]any{"phoneNumber": "+14155550199"},
			"recording": map[string]any{"link": "(pending...)"},
		},
		"note": "", "contactId": "c1", "contactName": "Alice Anderson",
	})
	logID, _ := created["logId"].(string)
	if logID == "" {
		t.Fatalf("create: %v", created)
	}
	if m := send("PATCH", "/callLog"+q, map[string]any{"sessionId": "seq-1", "note": "Wants the yearly plan"}); m["successful"] != true {
		t.Fatalf("edit: %v", m)
	}
	const link = "https://media.example/rec/seq-1"
	for range 2 {
		m := send("PATCH", "/callLog"+q, map[string]any{
			"sessionId": "seq-1", "note": "", "recordingLink": link, "startTime": 1764300000000, "duration": 95,
			"result": "Call connected", "direction": "Inbound",
			"from": map[string]any{"phoneNumber": "+16505551212"}, "to": map[string]any{"phoneNumber": "+14155550199"},
		})
		if m["successful"] != true {
			t.Fatalf("sweep: %v", m)
		}
	}
	got := send("GET", "/callLog"+q+"&sessionIds=seq-1&requireDetails=true", nil)
	logs, _ := got["logs"].([]any)
	if len(logs) != 1 {
		t.Fatalf("get: %v", got)
	}
	data, _ := logs[0].(map[string]any)["logData"].(map[string]any)
	if data["note"] != "Wants the yearly plan" {
		t.Errorf("edit form reads %v; want the user's note only", data)
	}
	act, _ := crm.activity(logID)
	if !strings.HasPrefix(act.Note, "Wants the yearly plan\n") || !strings.Contains(act.Note, "\n- Recording: "+link+"\n") ||
		strings.Count(act.Note, link) != 1 {
		t.Errorf("activity note %q; want the user's note and the recording once", act.Note)
	}
}
