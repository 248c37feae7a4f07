package pipedrive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/contracttest"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// These tests run the whole stack as in production: the real server
// (httpserver over SQLite, sealed tokens, session JWTs) with the Pipedrive
// adapter, talking to the fake Pipedrive for OAuth and the API. Requests
// are sent as the real client sends them (jwtToken in the query, query
// strings not encoded) and every answer is checked against the published
// OpenAPI contract when it is available.

// testClock is the time of the server's token refresher and of the fake:
// frozen, so that expiry and rate-limit windows move only when a test says.
type testClock struct {
	base   time.Time
	offset atomic.Int64
}

func newTestClock() *testClock { return &testClock{base: time.Now()} }

func (c *testClock) now() time.Time          { return c.base.Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// e2e is one server with the Pipedrive adapter in front of one fake
// Pipedrive, and a user of the fake.
type e2e struct {
	skipContract bool // for benchmarks
	t            testing.TB
	fake         *fakepipedrive.Server
	clock        *testClock
	srv          *httptest.Server
	store        store.Store
	logs         *lockedBuffer
	a            *pipedrive.Adapter
	userID       int // the fake's id of the user who logs in
}

const e2eSessionSecret = "pipedrive-e2e-session-secret-0123456789abcdef"

func newE2E(t testing.TB, fakeOpts ...fakepipedrive.Option) *e2e {
	t.Helper()
	e := &e2e{t: t, clock: newTestClock(), logs: &lockedBuffer{}}
	opts := append([]fakepipedrive.Option{
		fakepipedrive.WithClock(e.clock.now),
		fakepipedrive.WithClient(fakepipedrive.DefaultClientID, fakepipedrive.DefaultClientSecret, redirectURL),
	}, fakeOpts...)
	e.fake = fakepipedrive.New(opts...)
	t.Cleanup(e.fake.Close)
	e.userID = e.fake.AddUser(fakepipedrive.User{
		Name: "Ada Lovelace", Email: "ada@example.com", Timezone: "Europe/Berlin", TimezoneOffset: "+01:00",
	})

	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := pipedrive.New(testConfig(e.fake), pipedrive.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "crmbridge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	sessions, err := auth.NewJWTIssuer([]byte(e2eSessionSecret))
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.GenerateSealingKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewSealingKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpserver.New(httpserver.Config{
		Adapters:    []adapter.Adapter{a},
		Store:       st,
		JWTIssuer:   sessions,
		SealingKeys: keys,
	}, httpserver.WithLogger(logger), httpserver.WithClock(e.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	return e
}

// reply is a server's answer.
type reply struct {
	status int
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

// do sends a request; pathAndQuery goes on the wire as it is (the client
// does not encode it), body is JSON-encoded when not nil.
func (e *e2e) do(method, pathAndQuery string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+pathAndQuery, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if !e.skipContract {
		contracttest.Check(e.t, method, pathAndQuery, res.StatusCode, res.Header, b)
	}
	return reply{status: res.StatusCode, body: b}
}

// login runs the OAuth flow as the client does: the consent page named by
// the adapter's provider redirects with a code, and the client passes the
// redirect URL, unencoded, to /oauth-callback. It returns the session JWT.
func (e *e2e) login() string {
	e.t.Helper()
	authURL := e.a.Auth().OAuth.AuthCodeURL("platform=pipedrive")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	code := loc.Query().Get("code")
	if err != nil || res.StatusCode != http.StatusFound || code == "" || loc.Query().Get("state") != "platform=pipedrive" {
		e.t.Fatalf("consent page: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	r := e.do("GET", "/oauth-callback?callbackUri="+redirectURL+"?code="+code+"&state=platform=pipedrive&hostname=acme.pipedrive.com", nil)
	m := r.json(e.t)
	jwt, _ := m["jwtToken"].(string)
	if r.status != http.StatusOK || jwt == "" || m["name"] != "Ada Lovelace" {
		e.t.Fatalf("oauth-callback: %d %s", r.status, r.body)
	}
	return jwt
}

// userKey is the server's key of the logged-in user.
func (e *e2e) userKey() string { return strconv.Itoa(e.userID) + "-" + pipedrive.Platform }

// wireContact is a contact of GET /contact.
type wireContact struct {
	ID             string                      `json:"id"`
	Name           string                      `json:"name"`
	Phone          string                      `json:"phone"`
	Type           string                      `json:"type"`
	Organization   string                      `json:"organization"`
	AdditionalInfo map[string][]adapter.Option `json:"additionalInfo"`
	IsNewContact   bool                        `json:"isNewContact"`
}

type contactAnswer struct {
	Successful    bool          `json:"successful"`
	ReturnMessage returnMessage `json:"returnMessage"`
	Contact       []wireContact `json:"contact"`
}

type returnMessage struct {
	Message     string `json:"message"`
	MessageType string `json:"messageType"`
	Details     []struct {
		Items []struct {
			Text string `json:"text"`
		} `json:"items"`
	} `json:"details"`
}

func (e *e2e) findContact(jwt, phoneAndFormat string) (reply, contactAnswer) {
	e.t.Helper()
	r := e.do("GET", "/contact?jwtToken="+jwt+"&"+phoneAndFormat, nil)
	var a contactAnswer
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &a); err != nil {
			e.t.Fatalf("GET /contact: %v: %s", err, r.body)
		}
	}
	return r, a
}

// secretsIn lists what must never reach a log: the fake's tokens and codes,
// the client secret, and whole phone numbers.
func secretsIn(log string) []string {
	var found []string
	for _, s := range []string{"fake-at-", "fake-rt-", "fake-code-", fakepipedrive.DefaultClientSecret, "5551212", "5550100", "5550123"} {
		if strings.Contains(log, s) {
			found = append(found, s)
		}
	}
	return found
}

func TestE2ELogin(t *testing.T) {
	e := newE2E(t)
	jwt := e.login()

	u, err := e.store.GetUser(context.Background(), e.userKey())
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname != "acme.pipedrive.com" || u.Timezone != "Europe/Berlin" || u.TimezoneOffset != 60 || u.TokenExpiry.IsZero() {
		t.Errorf("stored user: hostname %q, timezone %q %d, expiry %v", u.Hostname, u.Timezone, u.TimezoneOffset, u.TokenExpiry)
	}
	if len(u.AccessToken) == 0 || len(u.RefreshToken) == 0 || bytes.Contains(u.AccessToken, []byte("fake-at-")) || bytes.Contains(u.RefreshToken, []byte("fake-rt-")) {
		t.Errorf("tokens are not stored sealed")
	}
	if r := e.do("GET", "/hostname?jwtToken="+jwt, nil); r.status != http.StatusOK || string(r.body) != "acme.pipedrive.com" {
		t.Errorf("hostname: %d %q", r.status, r.body)
	}
	st := e.fake.Stats()
	if st.CodeExchanges != 1 || st.UserMe != 1 || st.Refreshes != 0 {
		t.Errorf("fake saw %d code exchanges, %d users/me, %d refreshes; want 1, 1, 0", st.CodeExchanges, st.UserMe, st.Refreshes)
	}

	// A code is single-use: replaying the callback is refused.
	r := e.do("GET", "/oauth-callback?callbackUri="+redirectURL+"?code="+e.fake.Authorize(e.userID)+"x&state=platform=pipedrive", nil)
	if r.status != http.StatusBadRequest {
		t.Errorf("unknown code: %d %s", r.status, r.body)
	}
	if s := secretsIn(e.logs.String()); len(s) > 0 {
		t.Errorf("logs hold %q", s)
	}
}

func TestE2ELookup(t *testing.T) {
	e := newE2E(t)
	org := e.fake.AddOrganization(fakepipedrive.Organization{Name: "Bletchley Park"})
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"650-555-1212"}, OrgID: org})
	deal := e.fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: alan})
	e.fake.AddDeal(fakepipedrive.Deal{Title: "Lost one", PersonID: alan, Status: "lost"})
	ann := e.fake.AddPerson(fakepipedrive.Person{Name: "Ann Shared", Phones: []string{"+14155550100"}})
	bob := e.fake.AddPerson(fakepipedrive.Person{Name: "Bob Shared", Phones: []string{"+1 415 555 0199", "+14155550100"}})
	jwt := e.login()

	t.Run("only the third candidate matches", func(t *testing.T) {
		before := e.fake.Stats()
		// As the client sends it: a raw "+", the formats' space encoded.
		r, got := e.findContact(jwt, "phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****,***.***.****")
		want := []wireContact{{
			ID: strconv.Itoa(alan), Name: "Alan Turing", Phone: "650-555-1212", Type: "Person", Organization: "Bletchley Park",
			AdditionalInfo: map[string][]adapter.Option{"deals": {{Const: strconv.Itoa(deal), Title: "Enigma"}}},
		}}
		if diff := cmp.Diff(want, got.Contact); diff != "" || !got.Successful {
			t.Errorf("contacts (-want +got):\n%s\n%s", diff, r.body)
		}
		after := e.fake.Stats()
		if n := after.PersonSearches - before.PersonSearches; n != 1 {
			t.Errorf("%d person searches, want 1 (one broad search for 4 candidates)", n)
		}
		if n := after.DealLists - before.DealLists; n != 1 {
			t.Errorf("%d deal lists, want 1", n)
		}
	})
	t.Run("two persons share the number", func(t *testing.T) {
		r, got := e.findContact(jwt, "phoneNumber=+14155550100")
		var ids []string
		for _, c := range got.Contact {
			ids = append(ids, c.ID+" "+c.Name+" "+c.Phone)
		}
		want := []string{strconv.Itoa(ann) + " Ann Shared +14155550100", strconv.Itoa(bob) + " Bob Shared +14155550100"}
		if diff := cmp.Diff(want, ids); diff != "" || !got.Successful {
			t.Errorf("contacts (-want +got):\n%s\n%s", diff, r.body)
		}
	})
	t.Run("no match offers to create", func(t *testing.T) {
		r, got := e.findContact(jwt, "phoneNumber=+14155550123")
		if !got.Successful || got.ReturnMessage.Message != "Contact not found" || len(got.Contact) != 1 ||
			got.Contact[0].ID != "createNewContact" || !got.Contact[0].IsNewContact {
			t.Errorf("not found: %s", r.body)
		}
	})
	t.Run("created contact is found", func(t *testing.T) {
		r := e.do("POST", "/contact?jwtToken="+jwt, map[string]any{
			"phoneNumber": "+14155550123", "newContactName": "Grace Hopper", "newContactType": "Person",
		})
		m := r.json(t)
		c, _ := m["contact"].(map[string]any)
		id, _ := c["id"].(string)
		if m["successful"] != true || id == "" || c["name"] != "Grace Hopper" {
			t.Fatalf("create contact: %s", r.body)
		}
		pid, _ := strconv.Atoi(id)
		if p, ok := e.fake.Person(pid); !ok || p.Name != "Grace Hopper" || !cmp.Equal(p.Phones, []string{"+14155550123"}) {
			t.Errorf("person in Pipedrive: %+v, %v", p, ok)
		}
		r, got := e.findContact(jwt, "phoneNumber=+14155550123&overridingFormat=(***)%20***-****")
		if len(got.Contact) != 1 || got.Contact[0].ID != id || got.Contact[0].Name != "Grace Hopper" {
			t.Errorf("lookup after create: %s", r.body)
		}
	})
	if s := secretsIn(e.logs.String()); len(s) > 0 {
		t.Errorf("logs hold %q", s)
	}
}

// callLogRequest is a POST /callLog body as the client sends it; dealID 0
// chooses no deal.
func callLogRequest(sessionID string, contactID, dealID int) map[string]any {
	submission := map[string]any{}
	if dealID != 0 {
		submission["deals"] = strconv.Itoa(dealID)
	}
	return map[string]any{
		"logInfo": map[string]any{
			"id":                 "rec-" + sessionID,
			"sessionId":          sessionID,
			"telephonySessionId": "tel-" + sessionID,
			"startTime":          time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC).UnixMilli(),
			"duration":           95,
			"direction":          "Inbound",
			"result":             "Call connected",
			"from":               map[string]any{"phoneNumber": "+16505551212", "name": "Alan"},
			"to":                 map[string]any{"phoneNumber": "+14155550199", "name": "Ada"},
			"recording":          map[string]any{"link": "(pending...)"},
		},
		"note":                 "Discussed renewal",
		"contactId":            contactID, // a number, as the client often sends it
		"contactType":          "Person",
		"contactName":          "Alan Turing",
		"additionalSubmission": submission,
	}
}

func TestE2ECallLog(t *testing.T) {
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	deal := e.fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: alan})
	jwt := e.login()

	r := e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, deal))
	m := r.json(t)
	logID, _ := m["logId"].(string)
	if m["successful"] != true || logID == "" {
		t.Fatalf("create: %s", r.body)
	}
	actID, _ := strconv.Atoi(logID)
	act, ok := e.fake.Activity(actID)
	wantParts := []fakepipedrive.Participant{{PersonID: alan, Primary: true}}
	if !ok || act.Type != "call" || !act.Done || act.DealID != deal || act.DueDate != "2026-11-27" || act.DueTime != "14:30" ||
		act.Duration != "00:02" || !cmp.Equal(act.Participants, wantParts) || act.Subject != "Inbound call from Alan Turing" {
		t.Errorf("activity in Pipedrive: %+v", act)
	}

	// The same session again: no second activity.
	r = e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, deal))
	if m := r.json(t); m["successful"] != false || m["logId"] != logID {
		t.Errorf("duplicate: %s", r.body)
	}
	if n := e.fake.Stats().ActivityCreates; n != 1 {
		t.Errorf("%d activities created, want 1", n)
	}

	// Read back with details, in request order.
	var got struct {
		Logs []struct {
			SessionID string `json:"sessionId"`
			Matched   bool   `json:"matched"`
			LogID     string `json:"logId"`
			LogData   *struct {
				Subject string `json:"subject"`
				Note    string `json:"note"`
			} `json:"logData"`
		} `json:"logs"`
	}
	r = e.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=nope,s-1&requireDetails=true", nil)
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Logs) != 2 {
		t.Fatalf("get: %v %s", err, r.body)
	}
	if l := got.Logs[0]; l.SessionID != "nope" || l.Matched || l.LogData != nil {
		t.Errorf("unknown session: %+v", l)
	}
	if l := got.Logs[1]; !l.Matched || l.LogID != logID || l.LogData == nil ||
		l.LogData.Subject != "Inbound call from Alan Turing" || l.LogData.Note != "Discussed renewal" {
		t.Errorf("logged session: %s", r.body)
	}

	// PATCH twice: the subject is replaced, the recording link added once,
	// the user's note and the call details kept.
	const rec = "https://media.example/recording/1"
	var notes []string
	for range 2 {
		r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{"sessionId": "s-1", "subject": "Renewal call", "recordingLink": rec})
		m := r.json(t)
		if m["successful"] != true || m["logId"] != logID {
			t.Fatalf("patch: %s", r.body)
		}
		act, _ := e.fake.Activity(actID)
		if act.Subject != "Renewal call" {
			t.Errorf("subject after patch: %q", act.Subject)
		}
		notes = append(notes, act.Note)
	}
	if !strings.Contains(notes[0], rec) || !strings.Contains(notes[0], "Discussed renewal") || !strings.Contains(notes[0], "Call connected") {
		t.Errorf("note after patch: %q", notes[0])
	}
	if notes[1] != notes[0] {
		t.Errorf("the second identical patch changed the note:\n%q\n%q", notes[0], notes[1])
	}
	r = e.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-1&requireDetails=true", nil)
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Logs) != 1 || got.Logs[0].LogData == nil ||
		got.Logs[0].LogData.Subject != "Renewal call" || got.Logs[0].LogData.Note != "Discussed renewal" {
		t.Errorf("after patch: %s", r.body)
	}
	r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{"sessionId": "unknown", "note": "x"})
	if m := r.json(t); m["successful"] != false {
		t.Errorf("unknown session: %s", r.body)
	}
}

// messageLogRequest is a POST /messageLog body with messages newest first.
func messageLogRequest(day string, contactID int, ids ...int) map[string]any {
	msgs := make([]map[string]any, 0, len(ids))
	for i, id := range ids {
		msgs = append(msgs, map[string]any{
			"id":           id,
			"direction":    "Inbound",
			"subject":      fmt.Sprintf("text number %d", id),
			"creationTime": time.Date(2026, 11, 27, 10, len(ids)-i, 0, 0, time.UTC).Format(time.RFC3339),
			"from":         map[string]any{"phoneNumber": "+16505551212"},
			"to":           []any{map[string]any{"phoneNumber": "+14155550199"}},
			"type":         "SMS",
		})
	}
	return map[string]any{
		"logInfo": map[string]any{
			"conversationId":    "conv-1",
			"conversationLogId": day,
			"type":              "SMS",
			"messages":          msgs,
			"correspondents":    []any{map[string]any{"phoneNumber": "+16505551212"}},
		},
		"contactId":   strconv.Itoa(contactID),
		"contactType": "Person",
		"contactName": "Alan Turing",
	}
}

func TestE2EMessageLog(t *testing.T) {
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	const day = "conv-1/11/27/2026"
	logIDs := func(r reply) []any {
		t.Helper()
		m := r.json(t)
		ids, ok := m["logIds"].([]any)
		if m["successful"] != true || !ok {
			t.Fatalf("message log: %s", r.body)
		}
		return ids
	}

	if diff := cmp.Diff([]any{"101", "102", "103"}, logIDs(e.do("POST", "/messageLog?jwtToken="+jwt, messageLogRequest(day, alan, 103, 102, 101)))); diff != "" {
		t.Errorf("first post (-want +got):\n%s", diff)
	}
	// The client re-sends the whole day with one new message on top.
	if diff := cmp.Diff([]any{"104"}, logIDs(e.do("POST", "/messageLog?jwtToken="+jwt, messageLogRequest(day, alan, 104, 103, 102, 101)))); diff != "" {
		t.Errorf("re-post (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{}, logIDs(e.do("POST", "/messageLog?jwtToken="+jwt, messageLogRequest(day, alan, 104, 103, 102, 101)))); diff != "" {
		t.Errorf("nothing new (-want +got):\n%s", diff)
	}

	acts := e.fake.Activities()
	if len(acts) != 1 {
		t.Fatalf("%d activities for one conversation day, want 1", len(acts))
	}
	act := acts[0]
	if !cmp.Equal(act.Participants, []fakepipedrive.Participant{{PersonID: alan, Primary: true}}) || act.Updates != 3 {
		t.Errorf("activity: participants %+v, %d updates (want 3 appends)", act.Participants, act.Updates)
	}
	last := -1
	for _, id := range []int{101, 102, 103, 104} {
		text := fmt.Sprintf("text number %d", id)
		if n := strings.Count(act.Note, text); n != 1 {
			t.Errorf("%q is %d times in the note, want once", text, n)
		}
		at := strings.Index(act.Note, text)
		if at < last {
			t.Errorf("%q is out of order in the note", text)
		}
		last = at
	}
	if n := e.fake.Stats().ActivityCreates; n != 1 {
		t.Errorf("%d activities created, want 1", n)
	}
}

func TestE2ETokenRefresh(t *testing.T) {
	tests := []struct {
		name string
		// expire makes the current access token unusable.
		expire func(e *e2e)
		// want401 is how many API requests Pipedrive refuses before the
		// refresh: none when the server knows the token expired.
		want401 bool
	}{
		{"expired by the clock", func(e *e2e) { e.clock.advance(2 * time.Hour) }, false},
		{"refused by Pipedrive before its expiry", func(e *e2e) { e.fake.ExpireAccessTokens() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"650-555-1212"}})
			jwt := e.login()
			tt.expire(e)
			before := e.fake.Stats()

			const concurrent = 8
			var wg sync.WaitGroup
			var failed atomic.Int32
			for range concurrent {
				wg.Go(func() {
					r, got := e.findContact(jwt, "phoneNumber=+16505551212&overridingFormat=***-***-****")
					if r.status != http.StatusOK || len(got.Contact) != 1 || got.Contact[0].Name != "Alan Turing" {
						failed.Add(1)
					}
				})
			}
			wg.Wait()
			after := e.fake.Stats()
			if n := failed.Load(); n != 0 {
				t.Errorf("%d of %d lookups failed", n, concurrent)
			}
			if n := after.TokenRequests - before.TokenRequests; n != 1 || after.Refreshes-before.Refreshes != 1 {
				t.Errorf("%d token requests (%d refreshes) for %d concurrent lookups, want exactly 1", n, after.Refreshes-before.Refreshes, concurrent)
			}
			if got := after.Unauthorized > before.Unauthorized; got != tt.want401 {
				t.Errorf("Pipedrive refused %d requests; want refusals: %v", after.Unauthorized-before.Unauthorized, tt.want401)
			}
			// The rotated refresh token was stored: the next expiry refreshes
			// again, with it.
			e.clock.advance(2 * time.Hour)
			if r, got := e.findContact(jwt, "phoneNumber=+16505551212&overridingFormat=***-***-****"); len(got.Contact) != 1 {
				t.Errorf("after a second expiry: %d %s", r.status, r.body)
			}
			if n := e.fake.Stats().Refreshes - after.Refreshes; n != 1 {
				t.Errorf("second expiry: %d refreshes, want 1", n)
			}
			if s := secretsIn(e.logs.String()); len(s) > 0 {
				t.Errorf("logs hold %q", s)
			}
		})
	}
}

func TestE2ERevokedInPipedrive(t *testing.T) {
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	// The user uninstalls the app in Pipedrive: its tokens die there.
	if n := e.fake.RevokeGrants(e.userID); n != 1 {
		t.Fatalf("RevokeGrants = %d", n)
	}
	revoked := func(what string, r reply) {
		t.Helper()
		if m := r.json(t); r.status != http.StatusUnauthorized || m["errorCode"] != "CRM_SESSION_REVOKED" {
			t.Errorf("%s: %d %s", what, r.status, r.body)
		}
	}
	// The access token is refused, the refresh that follows too.
	revoked("auth validation", e.do("GET", "/authValidation?jwtToken="+jwt, nil))
	revoked("lookup", e.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil))
	revoked("call log", e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, 0)))
	// A refresh due by the clock is refused the same way.
	e.clock.advance(2 * time.Hour)
	revoked("lookup after expiry", e.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil))
	if n := e.fake.Stats().Refreshes; n != 0 {
		t.Errorf("%d refreshes succeeded with a revoked grant", n)
	}
	// The failed call log released its slot: after logging in again the
	// same call can be logged.
	jwt = e.login()
	r := e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, 0))
	if m := r.json(t); m["successful"] != true {
		t.Errorf("call log after logging in again: %s", r.body)
	}
}

func TestE2ERateLimited(t *testing.T) {
	tests := []struct {
		name string
		rl   fakepipedrive.RateLimit
	}{
		{"Retry-After", fakepipedrive.RateLimit{Requests: 1, Window: 10 * time.Second}},
		{"x-ratelimit-reset only", fakepipedrive.RateLimit{Requests: 1, Window: 10 * time.Second, OmitRetryAfter: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			// A match: the lookup's deal list comes after its search.
			e.fake.AddPerson(fakepipedrive.Person{Name: "Alan", Phones: []string{"650-555-1212"}})
			jwt := e.login()
			e.fake.SetRateLimit(tt.rl)
			r, got := e.findContact(jwt, "phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****,***.***.****")
			if r.status != http.StatusOK || got.Successful || got.ReturnMessage.Message != "Rate limit exceeded" ||
				got.ReturnMessage.MessageType != "warning" || got.Contact == nil || len(got.Contact) != 0 {
				t.Fatalf("rate limited: %d %s", r.status, r.body)
			}
			var texts []string
			for _, d := range got.ReturnMessage.Details {
				for _, it := range d.Items {
					texts = append(texts, it.Text)
				}
			}
			if len(texts) != 1 || !strings.Contains(texts[0], "wait 10 seconds") || !strings.Contains(texts[0], "pipedrive") {
				t.Errorf("details: %q", texts)
			}
			if e.fake.Stats().RateLimited == 0 {
				t.Errorf("the fake refused nothing")
			}
		})
	}
}

func TestE2EUnauthorize(t *testing.T) {
	e := newE2E(t)
	e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	if _, got := e.findContact(jwt, "phoneNumber=+16505551212"); len(got.Contact) != 1 {
		t.Fatalf("lookup before disconnecting: %+v", got)
	}

	r := e.do("POST", "/unAuthorize?jwtToken="+jwt, nil)
	if m := r.json(t); r.status != http.StatusOK || m["successful"] != true {
		t.Fatalf("unAuthorize: %d %s", r.status, r.body)
	}
	if n := e.fake.Stats().Revocations; n != 1 {
		t.Errorf("the fake saw %d revocations, want 1", n)
	}
	if n := e.fake.RevokeGrants(e.userID); n != 0 {
		t.Errorf("%d grants of the user still alive in Pipedrive", n)
	}
	u, err := e.store.GetUser(context.Background(), e.userKey())
	if err != nil {
		t.Fatal(err)
	}
	if len(u.AccessToken)+len(u.RefreshToken) != 0 {
		t.Errorf("credentials not erased")
	}
	for _, q := range []string{
		"/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212",
		"/callLog?jwtToken=" + jwt + "&sessionIds=s-1",
	} {
		r := e.do("GET", q, nil)
		if m := r.json(t); r.status != http.StatusUnauthorized || m["errorCode"] != "CRM_SESSION_REVOKED" {
			t.Errorf("%s after unAuthorize: %d %s", q, r.status, r.body)
		}
	}

	// Logging in again works and starts a new grant.
	jwt = e.login()
	if _, got := e.findContact(jwt, "phoneNumber=+16505551212"); len(got.Contact) != 1 {
		t.Errorf("lookup after logging in again: %+v", got)
	}
	if s := secretsIn(e.logs.String()); len(s) > 0 {
		t.Errorf("logs hold %q", s)
	}
}

// BenchmarkE2ELookup50ms measures GET /contact through the server with 4
// candidates (the third matches a person with an open deal) against a fake
// Pipedrive whose every request takes 50 ms. The adapter's searches and
// the deal list take about two round trips; the server adds its JWT check,
// a store read and the credential handling. It reports the median as
// ms/lookup-median.
func BenchmarkE2ELookup50ms(b *testing.B) {
	e := newE2E(b)
	e.skipContract = true // measure the server, not the contract validator
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"650-555-1212"}})
	e.fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: alan})
	jwt := e.login()
	e.fake.SetLatency(50 * time.Millisecond)
	const lookup = "phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****,***.***.****"
	durations := make([]time.Duration, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r, got := e.findContact(jwt, lookup)
		durations = append(durations, time.Since(start))
		if len(got.Contact) != 1 || got.Contact[0].ID != strconv.Itoa(alan) {
			b.Fatalf("lookup: %d %s", r.status, r.body)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2])/float64(time.Millisecond), "ms/lookup-median")
}

// TestE2ECallLogClientSequence replays the client's call-log sequence:
// the log with a pending recording, the edit form's note, the recording
// sweep ("note":"" with the link and the call's details) twice, the edit
// form's read. The note stays the user's, the recording is in the activity
// once, the call details stay.
func TestE2ECallLogClientSequence(t *testing.T) {
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	r := e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("seq-1", alan, 0))
	logID, _ := r.json(t)["logId"].(string)
	if logID == "" {
		t.Fatalf("create: %s", r.body)
	}
	actID, _ := strconv.Atoi(logID)
	r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{"sessionId": "seq-1", "note": "Wants the yearly plan"})
	if r.json(t)["successful"] != true {
		t.Fatalf("edit: %s", r.body)
	}
	const rec = "https://media.example/recording/seq-1"
	for range 2 {
		r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{
			"sessionId": "seq-1", "note": "", "recordingLink": rec,
			"startTime": time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC).UnixMilli(), "duration": 95,
			"result": "Call connected", "direction": "Inbound",
			"from": map[string]any{"phoneNumber": "+16505551212", "name": "Alan"},
			"to":   map[string]any{"phoneNumber": "+14155550199", "name": "Ada"},
		})
		if r.json(t)["successful"] != true {
			t.Fatalf("sweep: %s", r.body)
		}
	}
	r = e.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=seq-1&requireDetails=true", nil)
	var got struct {
		Logs []struct {
			LogData *struct {
				Note string `json:"note"`
			} `json:"logData"`
		} `json:"logs"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Logs) != 1 || got.Logs[0].LogData == nil ||
		got.Logs[0].LogData.Note != "Wants the yearly plan" {
		t.Errorf("edit form reads %s; want the user's note only", r.body)
	}
	act, _ := e.fake.Activity(actID)
	if !strings.Contains(act.Note, "Wants the yearly plan") || !strings.Contains(act.Note, "Call connected") ||
		strings.Count(act.Note, `href="`+rec+`"`) != 1 {
		t.Errorf("activity note %q; want the user's note, the details and the recording once", act.Note)
	}
}
