package hubspot_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/hubspot"
	"github.com/crmbridge/crmbridge/examples/hubspot/fakehubspot"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/phone"
	"github.com/crmbridge/crmbridge/store"
)

// These tests run the whole stack as in production: the real server over
// SQLite with the HubSpot adapter, talking to the fake HubSpot for OAuth and
// the API, with requests sent as the real client sends them and every
// answer checked against the published contract when it is available.

type e2e struct {
	t       testing.TB
	s       *servertest.Server
	fake    *fakehubspot.Server
	clock   *servertest.Clock
	handler *httpserver.Server
	store   store.Store
	logs    *servertest.LogBuffer
	a       *hubspot.Adapter
	owner   fakehubspot.Owner
}

// newE2E starts a fake HubSpot with one user and a server in front of it;
// wrap, when not nil, replaces the adapter the server uses.
func newE2E(t testing.TB, serverOpts []httpserver.Option, wrap func(*hubspot.Adapter) adapter.Adapter, fakeOpts ...fakehubspot.Option) *e2e {
	t.Helper()
	e := &e2e{t: t, clock: servertest.NewClock(), logs: &servertest.LogBuffer{}}
	e.fake = fakehubspot.New(append([]fakehubspot.Option{
		fakehubspot.WithClock(e.clock.Now),
		fakehubspot.WithClient(fakehubspot.DefaultClientID, fakehubspot.DefaultClientSecret, redirectURL),
	}, fakeOpts...)...)
	t.Cleanup(e.fake.Close)
	e.owner = e.fake.AddOwner(fakehubspot.Owner{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"})

	a, err := hubspot.New(testConfig(e.fake), hubspot.WithLogger(e.logs.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	var served adapter.Adapter = a
	if wrap != nil {
		served = wrap(a)
	}
	e.s = servertest.New(t, servertest.Config{
		Adapters: []adapter.Adapter{served},
		Logs:     e.logs,
		Options:  append([]httpserver.Option{httpserver.WithClock(e.clock.Now)}, serverOpts...),
	})
	e.handler, e.store = e.s.Handler, e.s.Store
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
	jwt, name := e.s.LoginOAuth("hubspot", "")
	if name != "Ada Lovelace" {
		e.t.Fatalf("oauth-callback: logged in as %q", name)
	}
	return jwt
}

type (
	wireContact   = servertest.Contact
	contactAnswer = servertest.ContactAnswer
)

func (e *e2e) findContact(jwt, query string) (reply, contactAnswer) {
	e.t.Helper()
	return e.s.FindContact(jwt, query)
}

// secretsIn lists what must never reach a log.
func secretsIn(log string) []string {
	var found []string
	for _, s := range []string{"fake-hs-at-", "fake-hs-rt-", "fake-hs-code-", fakehubspot.DefaultClientSecret, "5551212", "5551213", "9460958"} {
		if strings.Contains(log, s) {
			found = append(found, s)
		}
	}
	return found
}

func TestE2ELoginAndLogout(t *testing.T) {
	t.Parallel()
	e := newE2E(t, nil, nil)
	jwt := e.login()
	key := strconv.Itoa(e.owner.UserID) + "-hubspot"
	u, err := e.store.GetUser(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname != hubspot.Hostname || u.TokenExpiry.IsZero() || bytes.Contains(u.AccessToken, []byte("fake-hs-at-")) {
		t.Errorf("stored user: hostname %q, expiry %v", u.Hostname, u.TokenExpiry)
	}
	if got := u.TokenExpiry.Sub(e.clock.Now()); got > 31*time.Minute || got < 29*time.Minute {
		t.Errorf("token lifetime %v, want HubSpot's 30 minutes", got)
	}
	r := e.do("GET", "/crmManifest?platformName=hubspot", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"clientId":"`+fakehubspot.DefaultClientID+`"`) || strings.Contains(string(r.Body), fakehubspot.DefaultClientSecret) {
		t.Errorf("manifest: %d %s", r.Status, r.Body)
	}
	r = e.do("GET", "/implementedInterfaces?platform=hubspot", nil)
	if m := r.JSON(t); m["findContactWithName"] != true || m["unAuthorize"] != false || m["getLicenseStatus"] != false || m["getOauthInfo"] != true {
		t.Errorf("implementedInterfaces: %s", r.Body)
	}
	if r := e.do("GET", "/authValidation?jwtToken="+jwt, nil); r.JSON(t)["successful"] != true {
		t.Errorf("authValidation: %s", r.Body)
	}
	if r := e.do("POST", "/unAuthorize?jwtToken="+jwt, nil); r.JSON(t)["successful"] != true {
		t.Fatalf("unAuthorize: %s", r.Body)
	}
	if st := e.fake.Stats(); st.Revocations != 1 || !e.fake.Revoked(e.owner.UserID) {
		t.Errorf("the refresh token was not revoked at HubSpot: %+v", st)
	}
	if s := secretsIn(e.logs.String()); len(s) > 0 {
		t.Errorf("logs hold %q", s)
	}
}

func TestE2ELookupIsOneSearch(t *testing.T) {
	t.Parallel()
	e := newE2E(t, []httpserver.Option{httpserver.WithContactCacheTTL(0)}, nil)
	alan := e.fake.AddContact(map[string]string{"firstname": "Alan", "lastname": "Turing", "phone": "650-555-1212", "company": "Bletchley Park"})
	mob := e.fake.AddContact(map[string]string{"firstname": "Mo", "lastname": "Bile", "mobilephone": "+16505551212"})
	bare := e.fake.AddContact(map[string]string{"firstname": "Bare", "phone": "6505551212"})
	// Same national digits, another country: HubSpot's searchable
	// property matches it, the re-check must not.
	e.fake.AddContact(map[string]string{"firstname": "Other", "lastname": "Country", "phone": "+442079460958"})
	maine := e.fake.AddContact(map[string]string{"firstname": "Maine", "phone": "(207) 946-0958"})
	jwt := e.login()

	before := e.fake.Stats()
	r, got := e.findContact(jwt, "phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****,***.***.****")
	want := []wireContact{
		{ID: strconv.Itoa(alan), Name: "Alan Turing", Phone: "650-555-1212", Type: "Contact", Organization: "Bletchley Park"},
		{ID: strconv.Itoa(mob), Name: "Mo Bile", Phone: "+16505551212", Type: "Contact"},
		{ID: strconv.Itoa(bare), Name: "Bare", Phone: "6505551212", Type: "Contact"},
	}
	if diff := cmp.Diff(want, got.Contact); diff != "" || !got.Successful {
		t.Errorf("contacts (-want +got):\n%s\n%s", diff, r.Body)
	}
	if n := e.fake.Stats().Searches - before.Searches; n != 1 {
		t.Errorf("4 candidates cost %d searches, want 1", n)
	}

	r, got = e.findContact(jwt, "phoneNumber=+12079460958")
	if len(got.Contact) != 1 || got.Contact[0].ID != strconv.Itoa(maine) {
		t.Errorf("the +44 contact with the same national digits must be dropped: %s", r.Body)
	}
	r, got = e.findContact(jwt, "phoneNumber=+14155550123")
	if !got.Successful || got.ReturnMessage.Message != "Contact not found" || len(got.Contact) != 1 || !got.Contact[0].IsNewContact {
		t.Errorf("not found: %s", r.Body)
	}

	// Create, then find the new contact; search by name finds it too.
	r = e.do("POST", "/contact?jwtToken="+jwt, map[string]any{"phoneNumber": "+14155550123", "newContactName": "Grace Brewster Hopper"})
	c, _ := r.JSON(t)["contact"].(map[string]any)
	id, _ := c["id"].(string)
	n, _ := strconv.Atoi(id)
	if o, ok := e.fake.Contact(n); !ok || o.Properties["firstname"] != "Grace Brewster" || o.Properties["lastname"] != "Hopper" ||
		o.Properties["phone"] != "+14155550123" || o.Properties["hubspot_owner_id"] != strconv.Itoa(e.owner.ID) {
		t.Fatalf("created contact: %+v %s", o, r.Body)
	}
	if _, got = e.findContact(jwt, "phoneNumber=+14155550123"); len(got.Contact) != 1 || got.Contact[0].ID != id {
		t.Errorf("lookup after create: %+v", got)
	}
	r = e.do("GET", "/custom/contact/search?jwtToken="+jwt+"&name=grace", nil)
	if cs, _ := r.JSON(t)["contact"].([]any); len(cs) != 1 {
		t.Errorf("search by name: %s", r.Body)
	}
	if s := secretsIn(e.logs.String()); len(s) > 0 {
		t.Errorf("logs hold %q", s)
	}
}

func TestE2ETokenExpiryAndRefresh(t *testing.T) {
	t.Parallel()
	e := newE2E(t, []httpserver.Option{httpserver.WithContactCacheTTL(0)}, nil)
	e.fake.AddContact(map[string]string{"firstname": "Alan", "phone": "+16505551212"})
	jwt := e.login()
	// Past HubSpot's 30 minutes the fake refuses the old token; the server
	// refreshes ahead of expiry and the lookup works.
	e.clock.Advance(31 * time.Minute)
	if _, got := e.findContact(jwt, "phoneNumber=+16505551212"); len(got.Contact) != 1 {
		t.Fatalf("lookup after expiry: %+v", got)
	}
	if st := e.fake.Stats(); st.Refreshes != 1 || st.Unauthorized != 0 {
		t.Errorf("want one refresh ahead of expiry and no 401: %+v", st)
	}
	// A token HubSpot stops honouring early: one 401, one refresh, one retry.
	e.fake.ExpireAccessTokens()
	if _, got := e.findContact(jwt, "phoneNumber=+16505551212"); len(got.Contact) != 1 {
		t.Fatalf("lookup after a stale token: %+v", got)
	}
	if st := e.fake.Stats(); st.Refreshes != 2 || st.Unauthorized != 1 {
		t.Errorf("stale token: %+v", st)
	}
}

func TestE2ERateLimitCachesNothing(t *testing.T) {
	t.Parallel()
	e := newE2E(t, nil, nil)
	e.fake.AddContact(map[string]string{"firstname": "Alan", "phone": "+16505551212"})
	jwt := e.login()
	e.fake.FailNext("POST", "/crm/objects/2026-03/contacts/search", http.StatusTooManyRequests)
	r := e.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil)
	m := r.JSON(t)
	rm, _ := m["returnMessage"].(map[string]any)
	if m["successful"] != false || rm["message"] != "Rate limit exceeded" || !strings.Contains(string(r.Body), "hubspot") {
		t.Fatalf("429: %s", r.Body)
	}
	before := e.fake.Stats().Searches
	for range 2 {
		if _, got := e.findContact(jwt, "phoneNumber=+16505551212"); len(got.Contact) != 1 {
			t.Fatalf("after the 429: %+v", got)
		}
	}
	if n := e.fake.Stats().Searches - before; n != 1 {
		t.Errorf("after a 429: %d searches for 2 lookups, want 1 (nothing cached by the 429, the success cached)", n)
	}
}

// callLog is a POST /callLog body as the client sends it.
func callLog(sessionID, contactID string) map[string]any {
	return map[string]any{
		"logInfo": map[string]any{
			"sessionId": sessionID, "startTime": time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC).UnixMilli(),
			"duration": 95, "direction": "Inbound", "result": "Call connected",
			"from":      map[string]any{"phoneNumber": "+16505551212", "name": "Alan"},
			"to":        map[string]any{"phoneNumber": "+14155550199", "name": "Ada"},
			"recording": map[string]any{"link": "(pending...)"},
		},
		"note": "Discussed <renewal> & price", "contactId": contactID, "contactName": "Alan Turing", "contactType": "Contact",
	}
}

func TestE2ECallLogLifecycle(t *testing.T) {
	t.Parallel()
	e := newE2E(t, nil, nil)
	contact := strconv.Itoa(e.fake.AddContact(map[string]string{"firstname": "Alan", "phone": "+16505551212"}))
	jwt := e.login()
	r := e.do("POST", "/callLog?jwtToken="+jwt, callLog("s-1", contact))
	logID, _ := r.JSON(t)["logId"].(string)
	id, _ := strconv.Atoi(logID)
	call, ok := e.fake.Call(id)
	if !ok {
		t.Fatalf("no call in HubSpot: %s", r.Body)
	}
	p := call.Properties
	if p["hs_call_duration"] != "95000" || p["hs_call_direction"] != "INBOUND" || p["hs_call_status"] != "COMPLETED" || p["hs_call_title"] != "Inbound call from Alan Turing" ||
		p["hs_timestamp"] != strconv.FormatInt(time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC).UnixMilli(), 10) ||
		p["hubspot_owner_id"] != strconv.Itoa(e.owner.ID) || !cmp.Equal(call.Contacts, []int{mustAtoi(t, contact)}) {
		t.Errorf("call: %+v", call)
	}
	if !strings.Contains(p["hs_call_body"], "Discussed &lt;renewal&gt; &amp; price") || !strings.Contains(p["hs_call_body"], "Duration: 1m 35s") {
		t.Errorf("body: %s", p["hs_call_body"])
	}

	patch := func(body map[string]any) map[string]any {
		t.Helper()
		body["sessionId"] = "s-1"
		m := e.do("PATCH", "/callLog?jwtToken="+jwt, body).JSON(t)
		if m["successful"] != true {
			t.Fatalf("PATCH %v: %v", body, m)
		}
		return m
	}
	patch(map[string]any{"note": "Edited note"})
	link := "https://media.example/rec/1"
	before := e.fake.Stats()
	// The recording sweep sends an empty note: the note survives, the link
	// is added once.
	for range 2 {
		patch(map[string]any{"note": "", "subject": "", "recordingLink": link})
	}
	after := e.fake.Stats()
	call, _ = e.fake.Call(id)
	body := call.Properties["hs_call_body"]
	if !strings.Contains(body, "Edited note") || strings.Count(body, link) != 2 || call.Properties["hs_call_recording_url"] != link ||
		call.Properties["hs_call_title"] != "Inbound call from Alan Turing" {
		t.Errorf("after the sweeps: %+v", call.Properties)
	}
	if n := after.CallUpdates - before.CallUpdates; n != 1 {
		t.Errorf("two identical sweeps PATCHed %d times, want 1", n)
	}
	if n := after.CallReads - before.CallReads; n != 1 {
		t.Errorf("two identical sweeps read the call %d times, want 1 (the second costs nothing)", n)
	}
	// A new note replaces only the note.
	patch(map[string]any{"note": "Final note", "subject": "Renewal call"})
	call, _ = e.fake.Call(id)
	if b := call.Properties["hs_call_body"]; strings.Contains(b, "Edited note") || !strings.Contains(b, "Final note") || !strings.Contains(b, link) || !strings.Contains(b, "Result: Call connected") {
		t.Errorf("note replace: %s", b)
	}
	r = e.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-1&requireDetails=true", nil)
	logs, _ := r.JSON(t)["logs"].([]any)
	data, _ := logs[0].(map[string]any)["logData"].(map[string]any)
	if data["note"] != "Final note" || data["subject"] != "Renewal call" {
		t.Errorf("GET callLog: %s", r.Body)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestE2EMessageLogAsNote(t *testing.T) {
	t.Parallel()
	e := newE2E(t, nil, nil)
	contact := strconv.Itoa(e.fake.AddContact(map[string]string{"firstname": "Alan", "phone": "+16505551212"}))
	jwt := e.login()
	msg := func(id int64, text string, sec int) map[string]any {
		return map[string]any{"id": id, "direction": "Inbound", "subject": text, "type": "SMS",
			"creationTime": time.Date(2026, 11, 27, 10, 0, sec, 0, time.UTC).Format(time.RFC3339),
			"from":         map[string]any{"phoneNumber": "+16505551212"}}
	}
	post := func(msgs ...any) {
		t.Helper()
		r := e.do("POST", "/messageLog?jwtToken="+jwt, map[string]any{
			"logInfo": map[string]any{"conversationId": "c1", "conversationLogId": "c1/11/27/2026", "type": "SMS",
				"messages": msgs, "correspondents": []any{map[string]any{"phoneNumber": "+16505551212"}}},
			"contactId": contact, "contactName": "Alan Turing",
		})
		if r.JSON(t)["successful"] != true {
			t.Fatalf("messageLog: %s", r.Body)
		}
	}
	post(msg(1, "first", 1))
	post(msg(2, "second", 2), msg(1, "first", 1))
	if st := e.fake.Stats(); st.NoteCreates != 1 || st.NoteUpdates != 1 {
		t.Errorf("want one note created and appended once: %+v", st)
	}
}

func TestListCRMUsers(t *testing.T) {
	t.Parallel()
	fake := fakehubspot.New()
	t.Cleanup(fake.Close)
	var want []string
	for i := range 1203 { // more than two pages of 500
		o := fake.AddOwner(fakehubspot.Owner{Email: "u" + strconv.Itoa(i) + "@example.com", FirstName: "U", LastName: strconv.Itoa(i)})
		want = append(want, strconv.Itoa(o.UserID))
	}
	a, err := hubspot.New(testConfig(fake))
	if err != nil {
		t.Fatal(err)
	}
	access, _ := fake.IssueToken(9001)
	users, err := a.ListCRMUsers(context.Background(), adapter.Session{Client: bearer(access)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" || users[5].Email != "u5@example.com" || users[5].Name != "U 5" {
		t.Errorf("users: %s %+v", diff, users[5])
	}
	if n := fake.Stats().OwnerReads; n != 3 {
		t.Errorf("%d owner requests for 1203 users, want 3", n)
	}
}

// bearer is a client that sends token, as the server's credentialed
// client would.
func bearer(token string) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+token)
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Bounded work: a number shared by ten times the contacts one lookup reads
// costs maxPages (5) requests and returns the first 500; an account with ten
// times the owners ListCRMUsers reads stops after 40 pages.
func TestBoundedPaging(t *testing.T) {
	t.Parallel()
	fake := fakehubspot.New()
	t.Cleanup(fake.Close)
	for range 5000 {
		fake.AddContact(map[string]string{"firstname": "Same", "phone": "+16505551212"})
	}
	a, err := hubspot.New(testConfig(fake))
	if err != nil {
		t.Fatal(err)
	}
	access, _ := fake.IssueToken(1)
	sess := adapter.Session{Client: bearer(access)}
	n, _ := phone.Parse("+16505551212")
	res, err := a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: sess, Phone: adapter.PhoneQuery{Number: n, Candidates: []string{"+16505551212"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contacts) != 500 || fake.Stats().Searches != 5 {
		t.Errorf("%d contacts in %d searches, want 500 in 5", len(res.Contacts), fake.Stats().Searches)
	}
	for i := range 200000 {
		fake.AddOwner(fakehubspot.Owner{Email: fmt.Sprint("u", i, "@example.com")})
	}
	users, err := a.ListCRMUsers(context.Background(), sess)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 20000 || fake.Stats().OwnerReads != 40 {
		t.Errorf("%d users in %d requests, want 20000 in 40", len(users), fake.Stats().OwnerReads)
	}
}
