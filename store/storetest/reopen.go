package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/store"
)

// RunReopen checks that a store keeps what it wrote when it is closed and
// opened again on the same database: users with their credentials and
// times, confirmed call-log and message mappings, conversation ids, and
// pending reservations (still protected by their lease).
//
// open returns a new store over a new, empty database and a reopen
// function. The suite writes through s, closes s, then calls reopen, which
// must return a new store over the same database. open registers cleanup
// for both stores; Close of s is called by the suite before reopen. Like
// [Run], the cases run in parallel: open is called concurrently.
func RunReopen(t *testing.T, open func(t *testing.T) (s store.Store, reopen func() store.Store)) {
	t.Helper()
	run(t, "KeepsEverything", func(t *testing.T) {
		s, reopen := open(t)
		ctx := t.Context()
		u := sampleUser(userA)
		must(t, "UpsertUser", s.UpsertUser(ctx, u))
		tok := store.Tokens{
			AccessToken:  []byte("sealed-access-rotated"),
			RefreshToken: []byte("sealed-refresh-rotated"),
			TokenExpiry:  time.Date(2026, 7, 8, 9, 10, 11, 12000, time.UTC),
		}
		must(t, "UpdateTokens", s.UpdateTokens(ctx, u.Key, tok))
		before, err := s.GetUser(ctx, u.Key)
		must(t, "GetUser", err)
		seedMappings(t, s, u.Key)
		settings := []byte(`{"autoLogCall":{"value":true}}`)
		must(t, "PutUserSettings", s.PutUserSettings(ctx, u.Key, settings))
		must(t, "PutAdminSettings", s.PutAdminSettings(ctx, "account-hash", settings))
		must(t, "Close", s.Close())

		s = reopen()
		got, err := s.GetUser(ctx, u.Key)
		must(t, "GetUser after reopen", err)
		if diff := cmp.Diff(before, got); diff != "" {
			t.Errorf("user after reopen (-before +after):\n%s", diff)
		}
		checkMappings(t, s, u.Key, true)
		if b, err := s.UserSettings(ctx, u.Key); err != nil || string(b) != string(settings) {
			t.Errorf("UserSettings after reopen = %q, %v", b, err)
		}
		if b, err := s.AdminSettings(ctx, "account-hash"); err != nil || string(b) != string(settings) {
			t.Errorf("AdminSettings after reopen = %q, %v", b, err)
		}

		// The reopened store is fully usable.
		must(t, "ReleaseCallLog after reopen", s.ReleaseCallLog(ctx, u.Key, "s-pending"))
		callLogOps.wantReserve(t, s, u.Key, "s-pending", longLease, won)
		must(t, "ConfirmCallLog after reopen", s.ConfirmCallLog(ctx, u.Key, "s-pending", "crm-late"))
		ids, err := s.CallLogIDs(ctx, u.Key, []string{"s-1", "s-pending"})
		must(t, "CallLogIDs after reopen", err)
		if diff := cmp.Diff(map[string]string{"s-1": "crm-s-1", "s-pending": "crm-late"}, ids); diff != "" {
			t.Errorf("CallLogIDs after reopen (-want +got):\n%s", diff)
		}
		must(t, "Ping after reopen", s.Ping(ctx))
	})
}
