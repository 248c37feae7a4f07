package pipedrive_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/internal/credential"
)

// errorClass names what the server makes of an adapter error.
func errorClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, adapter.ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, adapter.ErrNotFound):
		return "not found"
	}
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); ok {
		return "rate limited " + rl.RetryAfter.String()
	}
	if ue, ok := errors.AsType[*adapter.UserError](err); ok {
		return "user: " + ue.Message
	}
	return "other"
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(e *env) adapter.Session
		call  func(e *env, s adapter.Session) error
		want  string
	}{
		{
			name:  "401 expired token",
			setup: func(e *env) adapter.Session { e.fake.ExpireAccessTokens(); return e.sess },
			call:  getLog("1"),
			want:  "unauthorized",
		},
		{
			name: "401 unknown token",
			setup: func(e *env) adapter.Session {
				s := e.sess
				s.Client = bearerClient("not-a-token")
				return s
			},
			call: getLog("1"),
			want: "unauthorized",
		},
		{
			name: "404 missing activity",
			call: getLog("424242"),
			want: "not found",
		},
		{
			name: "404 activity deleted in Pipedrive",
			call: func(e *env, s adapter.Session) error {
				req, _, _ := callFixture(e)
				req.Session = s
				created, err := e.a.CreateCallLog(context.Background(), req)
				if err != nil {
					return err
				}
				e.fake.DeleteActivity(1)
				_, err = e.a.UpdateCallLog(context.Background(), adapter.UpdateCallLogRequest{Session: s, LogID: created.LogID, Note: ptr("x")})
				return err
			},
			want: "not found",
		},
		{
			name: "contact id that is no Pipedrive id",
			call: func(e *env, s adapter.Session) error {
				req, _, _ := callFixture(e)
				req.Session, req.Contact.ID = s, "createNewContact"
				_, err := e.a.CreateCallLog(context.Background(), req)
				return err
			},
			want: "not found",
		},
		{
			name: "429 with Retry-After",
			setup: func(e *env) adapter.Session {
				e.fake.SetRateLimit(fakepipedrive.RateLimit{Requests: 1, Window: 5 * time.Second})
				return e.sess
			},
			call: func(e *env, s adapter.Session) error {
				getLog("1")(e, s) // uses up the window
				return getLog("1")(e, s)
			},
			want: "rate limited 5s",
		},
		{
			name: "429 with only x-ratelimit-reset",
			setup: func(e *env) adapter.Session {
				e.fake.SetRateLimit(fakepipedrive.RateLimit{Requests: 1, Window: 3 * time.Second, OmitRetryAfter: true})
				return e.sess
			},
			call: func(e *env, s adapter.Session) error {
				getLog("1")(e, s)
				return getLog("1")(e, s)
			},
			want: "rate limited 3s",
		},
		{
			name: "422 validation",
			setup: func(e *env) adapter.Session {
				e.fake.FailNext("POST", "/api/v2/activities", http.StatusUnprocessableEntity, "Subject is too long")
				return e.sess
			},
			call: createLog,
			want: "user: Subject is too long",
		},
		{
			name: "400 validation by the fake",
			call: func(e *env, s adapter.Session) error {
				req, _, _ := callFixture(e)
				req.Session = s
				req.AdditionalSubmission = map[string]any{"deals": 9999.0}
				_, err := e.a.CreateCallLog(context.Background(), req)
				return err
			},
			want: "user: Validation failed: deal_id: deal not found",
		},
		{
			name: "403 without a message",
			setup: func(e *env) adapter.Session {
				e.fake.FailNext("POST", "/api/v2/persons", http.StatusForbidden, "")
				return e.sess
			},
			call: func(e *env, s adapter.Session) error {
				_, err := e.a.CreateContact(context.Background(), adapter.CreateContactRequest{Session: s, Name: "X", Phone: query(t, "+16505551212")})
				return err
			},
			want: "user: The CRM refused the request (HTTP 403 Forbidden).",
		},
		{
			name: "deal that is no number",
			call: func(e *env, s adapter.Session) error {
				req, _, _ := callFixture(e)
				req.Session = s
				req.AdditionalSubmission = map[string]any{"deals": "big one"}
				_, err := e.a.CreateCallLog(context.Background(), req)
				return err
			},
			want: "user: The chosen deal is not a Pipedrive deal.",
		},
		{
			name: "500",
			setup: func(e *env) adapter.Session {
				e.fake.FailNext("GET", "/api/v2/activities/1", http.StatusInternalServerError, "boom")
				return e.sess
			},
			call: getLog("1"),
			want: "other",
		},
		{
			name: "no call type",
			setup: func(e *env) adapter.Session {
				e.fake.SetActivityTypes([]fakepipedrive.ActivityType{{ID: 1, Name: "Call", KeyString: "call", IconKey: "call"}})
				return e.sess
			},
			call: createLog,
			want: "user: Pipedrive has no active Call activity type. Ask a Pipedrive admin to activate one.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			s := e.sess
			if tt.setup != nil {
				s = tt.setup(e)
			}
			err := tt.call(e, s)
			if diff := cmp.Diff(tt.want, errorClass(err)); diff != "" {
				t.Fatalf("error %v: class (-want +got):\n%s", err, diff)
			}
			if strings.Contains(err.Error(), e.access) || strings.Contains(err.Error(), e.refresh) {
				t.Errorf("error %q contains a token", err)
			}
		})
	}
}

func getLog(id string) func(e *env, s adapter.Session) error {
	return func(e *env, s adapter.Session) error {
		_, err := e.a.GetCallLog(context.Background(), adapter.GetCallLogRequest{Session: s, LogID: id})
		return err
	}
}

func createLog(e *env, s adapter.Session) error {
	req, _, _ := callFixture(e)
	req.Session = s
	_, err := e.a.CreateCallLog(context.Background(), req)
	return err
}

func TestSessionClientRefreshesExpiredToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.fake.AddPerson(fakepipedrive.Person{Name: "Ada", Phones: []string{"+16505551212"}})

	// The server's session client: a Refresher over the stored token.
	tokens := newMemTokens()
	key := e.sess.User.ID + "-pipedrive"
	if err := tokens.SaveToken(ctx, key, credential.Token{AccessToken: e.access, RefreshToken: e.refresh, Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := credential.NewRefresher(*e.a.Auth().OAuth, tokens)
	sess := e.sess
	sess.Client = &http.Client{Transport: credential.NewTransport(nil, r.Credentials(key))}

	e.fake.ExpireAccessTokens()
	res, err := e.a.FindContacts(ctx, adapter.FindContactsRequest{Session: sess, Phone: query(t, "+16505551212")})
	if err != nil {
		t.Fatalf("FindContacts with an expired token: %v", err)
	}
	if len(res.Contacts) != 1 {
		t.Errorf("contacts = %+v", res.Contacts)
	}
	if st := e.fake.Stats(); st.Refreshes != 1 || st.Unauthorized != 1 {
		t.Errorf("refreshes = %d, 401s = %d; want 1 and 1", st.Refreshes, st.Unauthorized)
	}
	// Rotation: the refresh token used is dead now.
	_, err = credential.Refresh(ctx, *e.a.Auth().OAuth, nil, e.refresh)
	if !errors.Is(err, credential.ErrInvalidGrant) {
		t.Errorf("reusing the rotated refresh token: err = %v, want invalid_grant", err)
	}
}

// The adapter is no adapter.Unauthorizer: the server revokes through the
// provider that Auth returns, and nothing is left for the adapter to do.
func TestNoUnauthorize(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if _, ok := any(e.a).(adapter.Unauthorizer); ok {
		t.Error("the adapter implements Unauthorize, which has nothing to do")
	}
}

// The provider from Auth is what the server revokes with: HTTP Basic client
// authentication at the fake's revocation endpoint, ending the grant.
func TestProviderRevokesAtPipedrive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		token func(e *env) (token, hint string)
	}{
		{"refresh token", func(e *env) (string, string) { return e.refresh, "refresh_token" }},
		{"access token", func(e *env) (string, string) { return e.access, "access_token" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			p := *e.a.Auth().OAuth
			token, hint := tt.token(e)
			if err := credential.Revoke(ctx, p, nil, token, hint); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if _, err := credential.Refresh(ctx, p, nil, e.refresh); !errors.Is(err, credential.ErrInvalidGrant) {
				t.Errorf("refresh after revoke: err = %v, want invalid_grant", err)
			}
			if err := getLog("1")(e, e.sess); !errors.Is(err, adapter.ErrUnauthorized) {
				t.Errorf("API call after revoke: err = %v, want ErrUnauthorized", err)
			}
			if n := e.fake.Stats().Revocations; n != 1 {
				t.Errorf("revocations = %d, want 1", n)
			}
		})
	}
	t.Run("wrong client secret", func(t *testing.T) {
		e := newEnv(t, nil)
		p := *e.a.Auth().OAuth
		p.ClientSecret = "wrong"
		err := credential.Revoke(ctx, p, nil, e.refresh, "refresh_token")
		if oe, ok := errors.AsType[*credential.OAuthError](err); !ok || oe.Code != "invalid_client" || strings.Contains(err.Error(), e.refresh) {
			t.Errorf("err = %v, want invalid_client without the token", err)
		}
		if n := e.fake.Stats().Revocations; n != 0 {
			t.Errorf("revocations = %d, want 0", n)
		}
		if err := getLog("1")(e, e.sess); errorClass(err) != "not found" {
			t.Errorf("the grant was ended by a refused revocation: err = %v", err)
		}
	})
}
