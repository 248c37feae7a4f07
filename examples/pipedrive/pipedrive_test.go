package pipedrive_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/internal/credential"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	good := pipedrive.Config{OAuth: auth.Provider{ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb"}}
	tests := []struct {
		name   string
		change func(*pipedrive.Config)
		opts   []pipedrive.Option
	}{
		{"no client id", func(c *pipedrive.Config) { c.OAuth.ClientID = "" }, nil},
		{"no client secret", func(c *pipedrive.Config) { c.OAuth.ClientSecret = "" }, nil},
		{"no redirect", func(c *pipedrive.Config) { c.OAuth.RedirectURL = "" }, nil},
		{"relative token url", func(c *pipedrive.Config) { c.OAuth.TokenURL = "/oauth/token" }, nil},
		{"ftp revoke url", func(c *pipedrive.Config) { c.OAuth.RevokeURL = "ftp://oauth.example/revoke" }, nil},
		{"zero concurrency", func(*pipedrive.Config) {}, []pipedrive.Option{pipedrive.WithLookupConcurrency(0)}},
		{"nil logger", func(*pipedrive.Config) {}, []pipedrive.Option{pipedrive.WithLogger(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			if _, err := pipedrive.New(cfg, tt.opts...); !errors.Is(err, pipedrive.ErrConfig) {
				t.Fatalf("New: err = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := pipedrive.New(good); err != nil {
		t.Fatalf("New(good): %v", err)
	}
}

func TestAuthAndManifest(t *testing.T) {
	t.Parallel()
	a, err := pipedrive.New(pipedrive.Config{OAuth: auth.Provider{
		ClientID: "cid", ClientSecret: "top-secret", RedirectURL: "https://app.example/cb",
		Scopes:    []string{"base", "contacts:full"},
		AuthStyle: auth.AuthInBody, // ignored: Pipedrive takes HTTP Basic
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Platform() != "pipedrive" {
		t.Errorf("Platform = %q", a.Platform())
	}
	want := adapter.AuthConfig{Type: adapter.AuthOAuth, OAuth: &auth.Provider{
		AuthURL:      pipedrive.DefaultAuthURL,
		TokenURL:     pipedrive.DefaultTokenURL,
		RevokeURL:    pipedrive.DefaultRevokeURL,
		ClientID:     "cid",
		ClientSecret: "top-secret",
		RedirectURL:  "https://app.example/cb",
		Scopes:       []string{"base", "contacts:full"},
		AuthStyle:    auth.AuthInHeader,
	}}
	if diff := cmp.Diff(want, a.Auth()); diff != "" {
		t.Errorf("Auth (-want +got):\n%s", diff)
	}

	raw := a.Manifest()
	if strings.Contains(string(raw), "top-secret") {
		t.Fatalf("manifest leaks the client secret: %s", raw)
	}
	var m struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
		Auth        struct {
			Type  string            `json:"type"`
			OAuth map[string]string `json:"oauth"`
		} `json:"auth"`
		Page map[string]struct {
			AdditionalFields []map[string]any `json:"additionalFields"`
		} `json:"page"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	wantOAuth := map[string]string{
		"authUrl": pipedrive.DefaultAuthURL, "clientId": "cid",
		"redirectUri": "https://app.example/cb", "scope": "base contacts:full",
	}
	if diff := cmp.Diff(wantOAuth, m.Auth.OAuth); diff != "" || m.Auth.Type != "oauth" || m.Name != "pipedrive" {
		t.Errorf("manifest auth %q (-want +got):\n%s", m.Auth.Type, diff)
	}
	for _, page := range []string{"callLog", "messageLog"} {
		f := m.Page[page].AdditionalFields
		if len(f) != 1 || f[0]["const"] != "deals" || f[0]["contactDependent"] != true {
			t.Errorf("%s additional fields = %v, want the deals selection", page, f)
		}
	}
	// The manifest is the adapter's; a caller changing its copy changes nothing.
	raw[0] = 'X'
	if a.Manifest()[0] != '{' {
		t.Error("Manifest returned the adapter's own bytes")
	}
}

func TestLoginThroughCodeExchange(t *testing.T) {
	t.Parallel()
	fake := fakepipedrive.New()
	defer fake.Close()
	uid := fake.AddUser(fakepipedrive.User{Name: "Grace Hopper", Timezone: "America/New_York", TimezoneOffset: "-05:00"})
	a, err := pipedrive.New(testConfig(fake))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := credential.Exchange(ctx, *a.Auth().OAuth, nil, fake.Authorize(uid))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	info, err := a.GetUserInfo(ctx, adapter.UserInfoRequest{Client: bearerClient(tok.AccessToken), TokenExtra: tok.Extra})
	if err != nil {
		t.Fatalf("GetUserInfo: %v", err)
	}
	want := adapter.UserInfo{
		ID:             strconv.Itoa(uid),
		Name:           "Grace Hopper",
		Hostname:       "acme.pipedrive.com",
		Timezone:       "America/New_York",
		TimezoneOffset: -300,
		Extra:          json.RawMessage(`{"apiDomain":"` + fake.URL() + `","companyId":1}`),
	}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("UserInfo (-want +got):\n%s", diff)
	}
}

func TestGetUserInfoAPIBase(t *testing.T) {
	t.Parallel()
	fake := fakepipedrive.New()
	defer fake.Close()
	uid := fake.AddUser(fakepipedrive.User{Name: "Ada"})
	access, _ := fake.IssueToken(uid)
	a, err := pipedrive.New(testConfig(fake))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		extra    map[string]any
		hostname string
		wantErr  bool
	}{
		{"api_domain", map[string]any{"api_domain": fake.URL()}, "", false},
		{"api_domain with slash", map[string]any{"api_domain": fake.URL() + "/"}, "", false},
		{"api_domain not a URL", map[string]any{"api_domain": "acme.pipedrive.com"}, "", true},
		{"api_domain not a string", map[string]any{"api_domain": 7}, "", true},
		{"nothing to go on", nil, "", true},
		{"hostname with a path", nil, "acme.pipedrive.com/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.GetUserInfo(context.Background(), adapter.UserInfoRequest{
				Client: bearerClient(access), TokenExtra: tt.extra, Hostname: tt.hostname,
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestFindContacts(t *testing.T) {
	t.Parallel()
	// The user's overridingFormat patterns make four candidates:
	// +16505551212, (650) 555-1212, 650-555-1212, 650.555.1212.
	formats := []string{"(***) ***-****", "***-***-****", "***.***.****"}
	type person struct {
		name, org string
		phones    []string
		deals     []fakepipedrive.Deal
	}
	tests := []struct {
		name    string
		persons []person
		want    []adapter.Contact
	}{
		{
			name: "only the third candidate matches",
			persons: []person{
				{name: "Alan Turing", org: "Bletchley", phones: []string{"650-555-1212"}, deals: []fakepipedrive.Deal{
					{Title: "Enigma"}, {Title: "Bombe", Status: "won"}, {Title: "Colossus"},
				}},
				{name: "Not Me", phones: []string{"650-555-1213"}},
			},
			want: []adapter.Contact{{
				ID: "1", Name: "Alan Turing", Phone: "650-555-1212", Type: "Person", Organization: "Bletchley",
				AdditionalInfo: map[string][]adapter.Option{"deals": {{Const: "1", Title: "Enigma"}, {Const: "3", Title: "Colossus"}}},
			}},
		},
		{
			name: "two persons share a number",
			persons: []person{
				{name: "Ann", phones: []string{"(650) 555-1212"}},
				{name: "Bob", phones: []string{"+1 999", "(650) 555-1212"}},
			},
			want: []adapter.Contact{
				{ID: "1", Name: "Ann", Phone: "(650) 555-1212", Type: "Person"},
				{ID: "2", Name: "Bob", Phone: "(650) 555-1212", Type: "Person"},
			},
		},
		{
			name: "merged in candidate order without duplicates",
			persons: []person{
				{name: "Dots", phones: []string{"650.555.1212"}},
				{name: "Both", phones: []string{"650.555.1212", "+16505551212"}, deals: []fakepipedrive.Deal{{Title: "Once"}}},
			},
			want: []adapter.Contact{
				{ID: "2", Name: "Both", Phone: "+16505551212", Type: "Person",
					AdditionalInfo: map[string][]adapter.Option{"deals": {{Const: "1", Title: "Once"}}}},
				{ID: "1", Name: "Dots", Phone: "650.555.1212", Type: "Person"},
			},
		},
		{
			name:    "exact match only",
			persons: []person{{name: "Longer", phones: []string{"+165055512120"}}, {name: "Part", phones: []string{"555-1212"}}},
			want:    []adapter.Contact{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			for _, p := range tt.persons {
				var orgID int
				if p.org != "" {
					orgID = e.fake.AddOrganization(fakepipedrive.Organization{Name: p.org})
				}
				pid := e.fake.AddPerson(fakepipedrive.Person{Name: p.name, Phones: p.phones, OrgID: orgID})
				for _, d := range p.deals {
					d.PersonID = pid
					e.fake.AddDeal(d)
				}
			}
			q := query(t, "+16505551212", formats...)
			if len(q.Candidates) != 4 {
				t.Fatalf("candidates = %q, want 4", q.Candidates)
			}
			res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: e.sess, Phone: q})
			if err != nil {
				t.Fatalf("FindContacts: %v", err)
			}
			if diff := cmp.Diff(tt.want, res.Contacts); diff != "" {
				t.Errorf("contacts (-want +got):\n%s", diff)
			}
			st := e.fake.Stats()
			// One broad search on "1212", the term all 4 candidates share;
			// without a match among its results, the 4 exact searches
			// confirm the "not found".
			searches := int64(1)
			if len(tt.want) == 0 {
				searches = 1 + 4
			}
			if st.PersonSearches != searches || st.DealLists != int64(len(tt.want)) {
				t.Errorf("searches = %d, deal lists = %d; want %d and %d (one per match)", st.PersonSearches, st.DealLists, searches, len(tt.want))
			}
		})
	}
}

func TestFindContactsExtension(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.AddPerson(fakepipedrive.Person{Name: "Front desk", Phones: []string{"101"}})
	res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{
		Session: e.sess,
		Phone:   adapter.PhoneQuery{Raw: "101", IsExtension: true, Candidates: []string{"101"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []adapter.Contact{{ID: "1", Name: "Front desk", Phone: "101", Type: "Person"}}
	if diff := cmp.Diff(want, res.Contacts); diff != "" {
		t.Errorf("contacts (-want +got):\n%s", diff)
	}
}

func TestFindContactsBoundsConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, []fakepipedrive.Option{fakepipedrive.WithLatency(20e6)}, pipedrive.WithLookupConcurrency(3))
	cands := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"}
	for _, c := range cands {
		e.fake.AddPerson(fakepipedrive.Person{Name: "P " + c, Phones: []string{c}})
	}
	res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{
		Session: e.sess, Phone: adapter.PhoneQuery{Raw: "a1", Candidates: cands},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contacts) != len(cands) {
		t.Fatalf("found %d contacts, want %d", len(res.Contacts), len(cands))
	}
	for i, c := range res.Contacts {
		if c.Phone != cands[i] {
			t.Errorf("contact %d has phone %q, want %q (candidate order)", i, c.Phone, cands[i])
		}
	}
	// 8 searches and 8 deal lists of 20 ms each: the requests overlap, but
	// never more than 3 at once.
	if got := e.fake.Stats().MaxInFlight; got > 3 || got < 2 {
		t.Errorf("max requests in flight = %d, want 2..3", got)
	}
}

func TestFindContactsStopsOnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// The search passes; the two deal lists after it are refused.
	for _, name := range []string{"Ann", "Bob"} {
		e.fake.AddPerson(fakepipedrive.Person{Name: name, Phones: []string{"650-555-1212"}})
	}
	e.fake.SetRateLimit(fakepipedrive.RateLimit{Requests: 1})
	q := query(t, "+16505551212", "(***) ***-****", "***-***-****", "***.***.****")
	_, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: e.sess, Phone: q})
	if _, ok := errors.AsType[*adapter.RateLimitError](err); !ok {
		t.Fatalf("err = %v, want a *adapter.RateLimitError", err)
	}
	for _, leak := range []string{"6505551212", "555-1212", e.access} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
}

func TestCreateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	q := query(t, "+442079460958")
	res, err := e.a.CreateContact(ctx, adapter.CreateContactRequest{Session: e.sess, Phone: q, Name: "  Charles Babbage "})
	if err != nil {
		t.Fatalf("CreateContact: %v", err)
	}
	want := adapter.Contact{ID: "1", Name: "Charles Babbage", Phone: "+442079460958", Type: "Person"}
	if diff := cmp.Diff(want, res.Contact); diff != "" {
		t.Errorf("contact (-want +got):\n%s", diff)
	}
	p, ok := e.fake.Person(1)
	if !ok {
		t.Fatal("person not stored")
	}
	if diff := cmp.Diff(fakepipedrive.Person{ID: 1, Name: "Charles Babbage", Phones: []string{"+442079460958"}, OwnerID: e.userID}, p); diff != "" {
		t.Errorf("stored person (-want +got):\n%s", diff)
	}
	found, err := e.a.FindContacts(ctx, adapter.FindContactsRequest{Session: e.sess, Phone: q})
	if err != nil || len(found.Contacts) != 1 || found.Contacts[0].ID != "1" {
		t.Errorf("FindContacts after create = %+v, %v", found.Contacts, err)
	}

	_, err = e.a.CreateContact(ctx, adapter.CreateContactRequest{Session: e.sess, Phone: q, Name: " "})
	if _, ok := errors.AsType[*adapter.UserError](err); !ok {
		t.Errorf("blank name: err = %v, want *adapter.UserError", err)
	}
}

// TestFindContactsFallsBackToExact: the one broad search is skipped when
// the candidates share fewer than 4 characters, and abandoned for the exact
// searches when its page is full (matches could be on the next page).
func TestFindContactsFallsBackToExact(t *testing.T) {
	t.Parallel()
	t.Run("short common term", func(t *testing.T) {
		e := newEnv(t, nil)
		e.fake.AddPerson(fakepipedrive.Person{Name: "Spaced", Phones: []string{"650 555 12 12"}})
		cands := []string{"+16505551212", "650 555 12 12"} // share "650", "555": 3 characters
		res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{
			Session: e.sess, Phone: adapter.PhoneQuery{Raw: "+16505551212", Candidates: cands},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contacts) != 1 || res.Contacts[0].Name != "Spaced" {
			t.Errorf("contacts = %+v", res.Contacts)
		}
		if n := e.fake.Stats().PersonSearches; n != 2 {
			t.Errorf("%d searches, want 2 (one exact search per candidate)", n)
		}
	})
	t.Run("full page", func(t *testing.T) {
		e := newEnv(t, nil)
		// 500 near matches containing "1212" fill the broad search's page
		// (Pipedrive's maximum of 500); the match is beyond it.
		for i := range 500 {
			e.fake.AddPerson(fakepipedrive.Person{Name: fmt.Sprintf("Near %d", i), Phones: []string{fmt.Sprintf("+1 212 555 %04d-1212", i)}})
		}
		e.fake.AddPerson(fakepipedrive.Person{Name: "Alan", Phones: []string{"650.555.1212"}})
		q := query(t, "+16505551212", "(***) ***-****", "***-***-****", "***.***.****")
		res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: e.sess, Phone: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contacts) != 1 || res.Contacts[0].Name != "Alan" || res.Contacts[0].Phone != "650.555.1212" {
			t.Errorf("contacts = %+v", res.Contacts)
		}
		if n := e.fake.Stats().PersonSearches; n != 5 {
			t.Errorf("%d searches, want 5 (the full broad page, then 4 exact)", n)
		}
	})
	t.Run("stored in another case", func(t *testing.T) {
		e := newEnv(t, nil)
		e.fake.AddPerson(fakepipedrive.Person{Name: "Desk", Phones: []string{"EXT 4410"}})
		cands := []string{"ext 4410", "Ext. 4410"}
		res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{
			Session: e.sess, Phone: adapter.PhoneQuery{Raw: "4410", Candidates: cands},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contacts) != 1 || res.Contacts[0].Phone != "EXT 4410" {
			t.Errorf("contacts = %+v, want Desk with its phone as stored", res.Contacts)
		}
		if n := e.fake.Stats().PersonSearches; n != 1 {
			t.Errorf("%d searches, want 1 (broad on \"4410\")", n)
		}
	})
}

// TestFindContactsWithoutSubstringSearch: on a Pipedrive whose search
// without exact_match matches only at the start of a value (not anywhere,
// as the broad search assumes), the broad search finds nothing and the
// exact searches still find the contact: the assumption can cost requests,
// never a contact.
func TestFindContactsWithoutSubstringSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, []fakepipedrive.Option{fakepipedrive.WithPrefixSearch()})
	e.fake.AddPerson(fakepipedrive.Person{Name: "Formatted", Phones: []string{"(650) 555-1212"}})
	q := query(t, "+16505551212", "(***) ***-****", "***-***-****", "***.***.****")
	res, err := e.a.FindContacts(context.Background(), adapter.FindContactsRequest{Session: e.sess, Phone: q})
	if err != nil {
		t.Fatalf("FindContacts: %v", err)
	}
	if len(res.Contacts) != 1 || res.Contacts[0].Name != "Formatted" {
		t.Errorf("contacts = %+v, want the one stored as (650) 555-1212", res.Contacts)
	}
	if st := e.fake.Stats(); st.PersonSearches != 1+int64(len(q.Candidates)) {
		t.Errorf("searches = %d, want the broad one and one exact search per candidate (%d)", st.PersonSearches, 1+len(q.Candidates))
	}
}
