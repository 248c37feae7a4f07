package pipedrive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/store"
)

// These tests run the whole stack as in production: the real server
// (httpserver over SQLite, sealed tokens, session JWTs) with the Pipedrive
// adapter, talking to the fake Pipedrive for OAuth and the API. Requests
// are sent as the real client sends them (jwtToken in the query, query
// strings not encoded) and every answer is checked against the published
// OpenAPI contract when it is available.

// e2e is one server with the Pipedrive adapter in front of one fake
// Pipedrive, and a user of the fake.
type e2e struct {
	t      testing.TB
	s      *servertest.Server
	fake   *fakepipedrive.Server
	clock  *servertest.Clock
	store  store.Store
	logs   *servertest.LogBuffer
	a      *pipedrive.Adapter
	userID int // the fake's id of the user who logs in
}

func newE2E(t testing.TB, fakeOpts ...fakepipedrive.Option) *e2e {
	t.Helper()
	e := &e2e{t: t, clock: servertest.NewClock(), logs: &servertest.LogBuffer{}}
	opts := append([]fakepipedrive.Option{
		fakepipedrive.WithClock(e.clock.Now),
		fakepipedrive.WithClient(fakepipedrive.DefaultClientID, fakepipedrive.DefaultClientSecret, redirectURL),
	}, fakeOpts...)
	e.fake = fakepipedrive.New(opts...)
	t.Cleanup(e.fake.Close)
	e.userID = e.fake.AddUser(fakepipedrive.User{
		Name: "Ada Lovelace", Email: "ada@example.com", Timezone: "Europe/Berlin", TimezoneOffset: "+01:00",
	})

	a, err := pipedrive.New(testConfig(e.fake), pipedrive.WithLogger(e.logs.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	e.s = servertest.New(t, servertest.Config{
		Adapters: []adapter.Adapter{a},
		Logs:     e.logs,
		Options:  []httpserver.Option{httpserver.WithClock(e.clock.Now)},
	})
	e.store = e.s.Store
	return e
}

// do sends a request (see servertest.Server.Do); pathAndQuery goes on the
// wire as it is (the client does not encode it).
func (e *e2e) do(method, pathAndQuery string, body any) reply {
	e.t.Helper()
	return e.s.Do(method, pathAndQuery, body)
}

// reply is an answer of the server.
type reply = servertest.Response

// login runs the OAuth flow as the client does (servertest.LoginOAuth)
// and returns the session JWT.
func (e *e2e) login() string {
	e.t.Helper()
	jwt, name := e.s.LoginOAuth("pipedrive", "&hostname=acme.pipedrive.com")
	if name != "Ada Lovelace" {
		e.t.Fatalf("oauth-callback: logged in as %q", name)
	}
	return jwt
}

// userKey is the server's key of the logged-in user.
func (e *e2e) userKey() string { return strconv.Itoa(e.userID) + "-" + pipedrive.Platform }

type (
	wireContact   = servertest.Contact
	contactAnswer = servertest.ContactAnswer
)

func (e *e2e) findContact(jwt, query string) (reply, contactAnswer) {
	e.t.Helper()
	return e.s.FindContact(jwt, query)
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
	t.Parallel()
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
	if r := e.do("GET", "/hostname?jwtToken="+jwt, nil); r.Status != http.StatusOK || string(r.Body) != "acme.pipedrive.com" {
		t.Errorf("hostname: %d %q", r.Status, r.Body)
	}
	st := e.fake.Stats()
	if st.CodeExchanges != 1 || st.UserMe != 1 || st.Refreshes != 0 {
		t.Errorf("fake saw %d code exchanges, %d users/me, %d refreshes; want 1, 1, 0", st.CodeExchanges, st.UserMe, st.Refreshes)
	}

	// A code is single-use: replaying the callback is refused.
	r := e.do("GET", "/oauth-callback?callbackUri="+redirectURL+"?code="+e.fake.Authorize(e.userID)+"x&state=platform=pipedrive", nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("unknown code: %d %s", r.Status, r.Body)
	}
	if s := secretsIn(e.logs.String()); len(s) > 0 {
		t.Errorf("logs hold %q", s)
	}
}

func TestE2ELookup(t *testing.T) {
	t.Parallel()
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
			t.Errorf("contacts (-want +got):\n%s\n%s", diff, r.Body)
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
			t.Errorf("contacts (-want +got):\n%s\n%s", diff, r.Body)
		}
	})
	t.Run("no match offers to create", func(t *testing.T) {
		r, got := e.findContact(jwt, "phoneNumber=+14155550123")
		if !got.Successful || got.ReturnMessage.Message != "Contact not found" || len(got.Contact) != 1 ||
			got.Contact[0].ID != "createNewContact" || !got.Contact[0].IsNewContact {
			t.Errorf("not found: %s", r.Body)
		}
	})
	t.Run("created contact is found", func(t *testing.T) {
		r := e.do("POST", "/contact?jwtToken="+jwt, map[string]any{
			"phoneNumber": "+14155550123", "newContactName": "Grace Hopper", "newContactType": "Person",
		})
		m := r.JSON(t)
		c, _ := m["contact"].(map[string]any)
		id, _ := c["id"].(string)
		if m["successful"] != true || id == "" || c["name"] != "Grace Hopper" {
			t.Fatalf("create contact: %s", r.Body)
		}
		pid, _ := strconv.Atoi(id)
		if p, ok := e.fake.Person(pid); !ok || p.Name != "Grace Hopper" || !cmp.Equal(p.Phones, []string{"+14155550123"}) {
			t.Errorf("person in Pipedrive: %+v, %v", p, ok)
		}
		r, got := e.findContact(jwt, "phoneNumber=+14155550123&overridingFormat=(***)%20***-****")
		if len(got.Contact) != 1 || got.Contact[0].ID != id || got.Contact[0].Name != "Grace Hopper" {
			t.Errorf("lookup after create: %s", r.Body)
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
	t.Parallel()
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	deal := e.fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: alan})
	jwt := e.login()

	r := e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, deal))
	m := r.JSON(t)
	logID, _ := m["logId"].(string)
	if m["successful"] != true || logID == "" {
		t.Fatalf("create: %s", r.Body)
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
	if m := r.JSON(t); m["successful"] != false || m["logId"] != logID {
		t.Errorf("duplicate: %s", r.Body)
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
	if err := json.Unmarshal(r.Body, &got); err != nil || len(got.Logs) != 2 {
		t.Fatalf("get: %v %s", err, r.Body)
	}
	if l := got.Logs[0]; l.SessionID != "nope" || l.Matched || l.LogData != nil {
		t.Errorf("unknown session: %+v", l)
	}
	if l := got.Logs[1]; !l.Matched || l.LogID != logID || l.LogData == nil ||
		l.LogData.Subject != "Inbound call from Alan Turing" || l.LogData.Note != "Discussed renewal" {
		t.Errorf("logged session: %s", r.Body)
	}

	// PATCH twice: the subject is replaced, the recording link added once,
	// the user's note and the call details kept.
	const rec = "https://media.example/recording/1"
	var notes []string
	for range 2 {
		r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{"sessionId": "s-1", "subject": "Renewal call", "recordingLink": rec})
		m := r.JSON(t)
		if m["successful"] != true || m["logId"] != logID {
			t.Fatalf("patch: %s", r.Body)
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
	if err := json.Unmarshal(r.Body, &got); err != nil || len(got.Logs) != 1 || got.Logs[0].LogData == nil ||
		got.Logs[0].LogData.Subject != "Renewal call" || got.Logs[0].LogData.Note != "Discussed renewal" {
		t.Errorf("after patch: %s", r.Body)
	}
	r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{"sessionId": "unknown", "note": "x"})
	if m := r.JSON(t); m["successful"] != false {
		t.Errorf("unknown session: %s", r.Body)
	}
}

// messageLogRequest is servertest.MessageLogBody for a day with the
// Pipedrive person contactID (Alan Turing).
func messageLogRequest(day string, contactID int, ids ...int64) map[string]any {
	b := servertest.MessageLogBody(day, ids...)
	b["contactId"], b["contactType"], b["contactName"] = strconv.Itoa(contactID), "Person", "Alan Turing"
	return b
}

func TestE2EMessageLog(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	const day = "conv-1/11/27/2026"
	logIDs := func(r reply) []any {
		t.Helper()
		m := r.JSON(t)
		ids, ok := m["logIds"].([]any)
		if m["successful"] != true || !ok {
			t.Fatalf("message log: %s", r.Body)
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
		text := fmt.Sprintf("message %d", id)
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
	t.Parallel()
	tests := []struct {
		name string
		// expire makes the current access token unusable.
		expire func(e *e2e)
		// want401 is how many API requests Pipedrive refuses before the
		// refresh: none when the server knows the token expired.
		want401 bool
	}{
		{"expired by the clock", func(e *e2e) { e.clock.Advance(2 * time.Hour) }, false},
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
					if r.Status != http.StatusOK || len(got.Contact) != 1 || got.Contact[0].Name != "Alan Turing" {
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
			e.clock.Advance(2 * time.Hour)
			if r, got := e.findContact(jwt, "phoneNumber=+16505551212&overridingFormat=***-***-****"); len(got.Contact) != 1 {
				t.Errorf("after a second expiry: %d %s", r.Status, r.Body)
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
	t.Parallel()
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	// The user uninstalls the app in Pipedrive: its tokens die there.
	if n := e.fake.RevokeGrants(e.userID); n != 1 {
		t.Fatalf("RevokeGrants = %d", n)
	}
	revoked := func(what string, r reply) {
		t.Helper()
		if m := r.JSON(t); r.Status != http.StatusUnauthorized || m["errorCode"] != "CRM_SESSION_REVOKED" {
			t.Errorf("%s: %d %s", what, r.Status, r.Body)
		}
	}
	// The access token is refused, the refresh that follows too.
	revoked("auth validation", e.do("GET", "/authValidation?jwtToken="+jwt, nil))
	revoked("lookup", e.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil))
	revoked("call log", e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, 0)))
	// A refresh due by the clock is refused the same way.
	e.clock.Advance(2 * time.Hour)
	revoked("lookup after expiry", e.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil))
	if n := e.fake.Stats().Refreshes; n != 0 {
		t.Errorf("%d refreshes succeeded with a revoked grant", n)
	}
	// The failed call log released its slot: after logging in again the
	// same call can be logged.
	jwt = e.login()
	r := e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("s-1", alan, 0))
	if m := r.JSON(t); m["successful"] != true {
		t.Errorf("call log after logging in again: %s", r.Body)
	}
}

func TestE2ERateLimited(t *testing.T) {
	t.Parallel()
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
			if r.Status != http.StatusOK || got.Successful || got.ReturnMessage.Message != "Rate limit exceeded" ||
				got.ReturnMessage.MessageType != "warning" || got.Contact == nil || len(got.Contact) != 0 {
				t.Fatalf("rate limited: %d %s", r.Status, r.Body)
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
	t.Parallel()
	e := newE2E(t)
	e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	if _, got := e.findContact(jwt, "phoneNumber=+16505551212"); len(got.Contact) != 1 {
		t.Fatalf("lookup before disconnecting: %+v", got)
	}

	r := e.do("POST", "/unAuthorize?jwtToken="+jwt, nil)
	if m := r.JSON(t); r.Status != http.StatusOK || m["successful"] != true {
		t.Fatalf("unAuthorize: %d %s", r.Status, r.Body)
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
		if m := r.JSON(t); r.Status != http.StatusUnauthorized || m["errorCode"] != "CRM_SESSION_REVOKED" {
			t.Errorf("%s after unAuthorize: %d %s", q, r.Status, r.Body)
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
			b.Fatalf("lookup: %d %s", r.Status, r.Body)
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
	t.Parallel()
	e := newE2E(t)
	alan := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	jwt := e.login()
	r := e.do("POST", "/callLog?jwtToken="+jwt, callLogRequest("seq-1", alan, 0))
	logID, _ := r.JSON(t)["logId"].(string)
	if logID == "" {
		t.Fatalf("create: %s", r.Body)
	}
	actID, _ := strconv.Atoi(logID)
	r = e.do("PATCH", "/callLog?jwtToken="+jwt, map[string]any{"sessionId": "seq-1", "note": "Wants the yearly plan"})
	if r.JSON(t)["successful"] != true {
		t.Fatalf("edit: %s", r.Body)
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
		if r.JSON(t)["successful"] != true {
			t.Fatalf("sweep: %s", r.Body)
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
	if err := json.Unmarshal(r.Body, &got); err != nil || len(got.Logs) != 1 || got.Logs[0].LogData == nil ||
		got.Logs[0].LogData.Note != "Wants the yearly plan" {
		t.Errorf("edit form reads %s; want the user's note only", r.Body)
	}
	act, _ := e.fake.Activity(actID)
	if !strings.Contains(act.Note, "Wants the yearly plan") || !strings.Contains(act.Note, "Call connected") ||
		strings.Count(act.Note, `href="`+rec+`"`) != 1 {
		t.Errorf("activity note %q; want the user's note, the details and the recording once", act.Note)
	}
}
