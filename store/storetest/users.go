package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crmbridge/crmbridge/store"
)

// ignoreStamps leaves the store-maintained times to dedicated checks.
var ignoreStamps = cmpopts.IgnoreFields(store.User{}, "CreatedAt", "UpdatedAt")

// sampleUser is a fully populated OAuth user.
func sampleUser(key string) store.User {
	return store.User{
		Key:            key,
		Platform:       "testCRM",
		CRMUserID:      strings.TrimSuffix(key, "-testCRM"),
		Hostname:       "acme.crm.example",
		Timezone:       "America/Los_Angeles",
		TimezoneOffset: -480,
		AccessToken:    []byte("sealed-access-" + key),
		RefreshToken:   []byte("sealed-refresh-" + key),
		APIKey:         nil,
		TokenExpiry:    time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC),
		Extra:          []byte(`{"companyId":42}`),
	}
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func testUsers(t *testing.T, newStore func(t *testing.T) store.Store) {
	run(t, "GetMissing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetUser(t.Context(), "nobody-testCRM")
		wantErr(t, "GetUser of a missing user", err, store.ErrNotFound)
	})

	run(t, "RoundTrip", func(t *testing.T) {
		pacific := time.FixedZone("UTC-7", -7*3600)
		apiKeyUser := sampleUser("2-testCRM")
		apiKeyUser.AccessToken, apiKeyUser.RefreshToken = nil, nil
		apiKeyUser.APIKey = []byte("sealed-api-key")
		apiKeyUser.TokenExpiry = time.Time{}
		apiKeyUser.Extra = nil
		loggedOut := sampleUser("3-testCRM")
		loggedOut.AccessToken, loggedOut.RefreshToken, loggedOut.APIKey = nil, nil, nil
		loggedOut.TokenExpiry = time.Time{}
		emptySlices := sampleUser("4-testCRM")
		emptySlices.AccessToken, emptySlices.RefreshToken, emptySlices.APIKey = []byte{}, []byte{}, []byte{}
		emptySlices.Extra = []byte{}
		binary := sampleUser("5-testCRM")
		binary.AccessToken, binary.RefreshToken, binary.APIKey = allBytes(), allBytes(), allBytes()
		binary.Extra = []byte(`{"blob":"` + strings.Repeat("x", 64<<10) + `"}`)
		odd := sampleUser(`o'brien"; DROP TABLE users;--ü-testCRM`)
		odd.Hostname, odd.Timezone, odd.TimezoneOffset = "crm.例え.example", "", 330
		odd.TokenExpiry = time.Date(2099, 12, 31, 23, 59, 59, 999999000, pacific)
		past := sampleUser("6-testCRM")
		past.TokenExpiry = time.Date(1999, 1, 2, 3, 4, 5, 1000, pacific)

		for _, tc := range []struct {
			name string
			u    store.User
		}{
			{"OAuthUser", sampleUser("1-testCRM")},
			{"APIKeyUserWithoutExpiry", apiKeyUser},
			{"LoggedOutUser", loggedOut},
			{"EmptySlices", emptySlices},
			{"BinaryTokensAndLargeExtra", binary},
			{"OddStringsAndFarFutureInOtherZone", odd},
			{"PastExpiry", past},
		} {
			run(t, tc.name, func(t *testing.T) {
				s := newStore(t)
				ctx := t.Context()
				in := tc.u
				in.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) // must be ignored
				must(t, "UpsertUser", s.UpsertUser(ctx, in))
				got, err := s.GetUser(ctx, tc.u.Key)
				must(t, "GetUser", err)
				if diff := cmp.Diff(tc.u, got, ignoreStamps, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("GetUser after UpsertUser (-want +got):\n%s", diff)
				}
				checkNils(t, tc.u, got)
				checkStamps(t, got)
				if got.CreatedAt.Equal(in.CreatedAt) {
					t.Errorf("CreatedAt = %v: the caller's value was kept; the store must set it", got.CreatedAt)
				}
			})
		}
	})

	run(t, "SubMicrosecondExpiry", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		u := sampleUser("1-testCRM")
		u.TokenExpiry = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
		must(t, "UpsertUser", s.UpsertUser(ctx, u))
		got, err := s.GetUser(ctx, u.Key)
		must(t, "GetUser", err)
		if d := got.TokenExpiry.Sub(u.TokenExpiry).Abs(); d >= time.Microsecond {
			t.Errorf("TokenExpiry = %v, want %v to the microsecond", got.TokenExpiry, u.TokenExpiry)
		}
	})

	run(t, "UpsertReplacesAndKeepsCreatedAt", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		first := sampleUser(userA)
		before, err := s.GetUser(ctx, first.Key)
		must(t, "GetUser", err)

		second := store.User{
			Key:            first.Key,
			Platform:       "otherCRM",
			CRMUserID:      "1b",
			Hostname:       "other.crm.example",
			Timezone:       "Europe/Paris",
			TimezoneOffset: 60,
			AccessToken:    nil,
			RefreshToken:   nil,
			APIKey:         []byte("sealed-api-key-2"),
			TokenExpiry:    time.Time{},
			Extra:          nil,
			CreatedAt:      before.CreatedAt.Add(-time.Hour), // must be ignored
		}
		must(t, "UpsertUser again", s.UpsertUser(ctx, second))
		got, err := s.GetUser(ctx, first.Key)
		must(t, "GetUser", err)
		if diff := cmp.Diff(second, got, ignoreStamps); diff != "" {
			t.Errorf("GetUser after the second UpsertUser (-want +got):\n%s", diff)
		}
		checkNils(t, second, got)
		checkStamps(t, got)
		checkRewritten(t, "the second UpsertUser", before, got)
	})

	run(t, "UpsertKeepsMappings", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		u := sampleUser(userA)
		seedMappings(t, s, u.Key)
		must(t, "UpsertUser again", s.UpsertUser(ctx, u))
		checkMappings(t, s, u.Key, true)
	})

	run(t, "UpdateTokens", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			tok  store.Tokens
		}{
			{"Rotated", store.Tokens{
				AccessToken:  []byte("sealed-access-2"),
				RefreshToken: []byte("sealed-refresh-2"),
				TokenExpiry:  time.Date(2026, 5, 6, 7, 8, 9, 654321000, time.UTC),
			}},
			{"SwitchedToAPIKey", store.Tokens{APIKey: []byte("sealed-api-key")}},
			{"Cleared", store.Tokens{}},
		} {
			run(t, tc.name, func(t *testing.T) {
				s := newUserStore(t, newStore, userA, userB)
				ctx := t.Context()
				u, other := sampleUser(userA), sampleUser(userB)
				before, err := s.GetUser(ctx, u.Key)
				must(t, "GetUser", err)

				must(t, "UpdateTokens", s.UpdateTokens(ctx, u.Key, tc.tok))
				got, err := s.GetUser(ctx, u.Key)
				must(t, "GetUser", err)
				want := u
				want.AccessToken, want.RefreshToken, want.APIKey = tc.tok.AccessToken, tc.tok.RefreshToken, tc.tok.APIKey
				want.TokenExpiry = tc.tok.TokenExpiry
				if diff := cmp.Diff(want, got, ignoreStamps); diff != "" {
					t.Errorf("GetUser after UpdateTokens (-want +got):\n%s", diff)
				}
				checkNils(t, want, got)
				checkRewritten(t, "UpdateTokens", before, got)

				gotOther, err := s.GetUser(ctx, other.Key)
				must(t, "GetUser of the other user", err)
				if diff := cmp.Diff(other, gotOther, ignoreStamps); diff != "" {
					t.Errorf("UpdateTokens changed another user (-want +got):\n%s", diff)
				}
			})
		}
	})

	run(t, "UpdateTokensMissing", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		err := s.UpdateTokens(ctx, "nobody-testCRM", store.Tokens{AccessToken: []byte("x")})
		wantErr(t, "UpdateTokens of a missing user", err, store.ErrNotFound)
		_, err = s.GetUser(ctx, "nobody-testCRM")
		wantErr(t, "GetUser after UpdateTokens of a missing user", err, store.ErrNotFound)
	})

	run(t, "EndSessions", func(t *testing.T) { testEndSessions(t, newStore) })
}

// testEndSessions checks the logout mark (PROTOCOL.md §4): it is read back
// by GetUser to the microsecond, never moves back, moves on every call (a
// new session generation, also when at is not later), survives a new login
// (UpsertUser) and a token change, and touches no other user.
func testEndSessions(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newUserStore(t, newStore, userA, userB)
	ctx := t.Context()
	u, other := sampleUser(userA), sampleUser(userB)
	got, err := s.GetUser(ctx, u.Key)
	must(t, "GetUser", err)
	if !got.SessionsValidFrom.IsZero() {
		t.Fatalf("SessionsValidFrom of a new user = %v, want zero", got.SessionsValidFrom)
	}

	at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("UTC+2", 7200))
	must(t, "EndSessions", s.EndSessions(ctx, u.Key, at))
	wantFrom := at.Truncate(time.Microsecond)
	check := func(step string) {
		t.Helper()
		got, err := s.GetUser(ctx, u.Key)
		must(t, "GetUser", err)
		if !got.SessionsValidFrom.Equal(wantFrom) {
			t.Errorf("%s: SessionsValidFrom = %v, want %v", step, got.SessionsValidFrom, wantFrom)
		}
	}
	check("after EndSessions")

	must(t, "EndSessions with an earlier time", s.EndSessions(ctx, u.Key, at.Add(-time.Hour)))
	wantFrom = wantFrom.Add(time.Microsecond)
	check("after EndSessions with an earlier time (must not move back, must move one microsecond on)")
	must(t, "EndSessions with the same time", s.EndSessions(ctx, u.Key, at))
	wantFrom = wantFrom.Add(time.Microsecond)
	check("after EndSessions with the same time (a new generation)")

	relogin := sampleUser(u.Key)
	relogin.SessionsValidFrom = time.Time{}
	must(t, "UpsertUser (new login)", s.UpsertUser(ctx, relogin))
	check("after a new login")
	relogin.SessionsValidFrom = at.Add(-48 * time.Hour)
	must(t, "UpsertUser with an older SessionsValidFrom", s.UpsertUser(ctx, relogin))
	check("after UpsertUser carrying an older value")
	must(t, "UpdateTokens", s.UpdateTokens(ctx, u.Key, store.Tokens{AccessToken: []byte("new")}))
	check("after UpdateTokens")

	later := at.Add(90 * time.Minute)
	must(t, "EndSessions later", s.EndSessions(ctx, u.Key, later))
	wantFrom = later.Truncate(time.Microsecond)
	check("after a second logout")

	gotOther, err := s.GetUser(ctx, other.Key)
	must(t, "GetUser of the other user", err)
	if !gotOther.SessionsValidFrom.IsZero() {
		t.Errorf("EndSessions changed another user: SessionsValidFrom = %v", gotOther.SessionsValidFrom)
	}
	wantErr(t, "EndSessions of a missing user", s.EndSessions(ctx, "nobody-testCRM", at), store.ErrNotFound)
}

// checkNils enforces "nil when absent": what went in nil comes back nil.
func checkNils(t *testing.T, want, got store.User) {
	t.Helper()
	for _, f := range []struct {
		name      string
		want, got []byte
	}{
		{"AccessToken", want.AccessToken, got.AccessToken},
		{"RefreshToken", want.RefreshToken, got.RefreshToken},
		{"APIKey", want.APIKey, got.APIKey},
		{"Extra", want.Extra, got.Extra},
	} {
		if f.want == nil && f.got != nil {
			t.Errorf("%s = %q, want nil", f.name, f.got)
		}
		if len(f.want) > 0 && !bytes.Equal(f.want, f.got) {
			t.Errorf("%s differs: got %d bytes, want %d", f.name, len(f.got), len(f.want))
		}
	}
}

// checkRewritten checks got, read back after the write what to the row
// read as before: CreatedAt is kept and UpdatedAt has not gone back.
func checkRewritten(t *testing.T, what string, before, got store.User) {
	t.Helper()
	if !got.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("CreatedAt = %v after %s, want the first one %v", got.CreatedAt, what, before.CreatedAt)
	}
	if got.UpdatedAt.Before(before.UpdatedAt) {
		t.Errorf("UpdatedAt went back from %v to %v after %s", before.UpdatedAt, got.UpdatedAt, what)
	}
}

// checkStamps checks the times the store maintains.
func checkStamps(t *testing.T, got store.User) {
	t.Helper()
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("CreatedAt = %v, UpdatedAt = %v; the store must set both", got.CreatedAt, got.UpdatedAt)
	}
	if got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("UpdatedAt %v is before CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
}
