package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/store"
)

// settingsOps are the two settings tables, tested alike.
type settingsOps struct {
	name string
	get  func(s store.Store, t *testing.T, key string) ([]byte, error)
	put  func(s store.Store, t *testing.T, key string, b []byte) error
}

var (
	userSettingsOps = settingsOps{
		name: "UserSettings",
		get:  func(s store.Store, t *testing.T, key string) ([]byte, error) { return s.UserSettings(t.Context(), key) },
		put: func(s store.Store, t *testing.T, key string, b []byte) error {
			return s.PutUserSettings(t.Context(), key, b)
		},
	}
	adminSettingsOps = settingsOps{
		name: "AdminSettings",
		get: func(s store.Store, t *testing.T, key string) ([]byte, error) {
			return s.AdminSettings(t.Context(), key)
		},
		put: func(s store.Store, t *testing.T, key string, b []byte) error {
			return s.PutAdminSettings(t.Context(), key, b)
		},
	}
)

// testSettings: settings come back byte for byte, are replaced whole, are
// scoped to their key, and a missing key reads as nil (not an error).
func testSettings(t *testing.T, newStore func(t *testing.T) store.Store, ops settingsOps) {
	run(t, "RoundTrip", func(t *testing.T) {
		s := newUserStore(t, newStore, userA, userB)
		got, err := ops.get(s, t, userA)
		must(t, ops.name+" before any put", err)
		if got != nil {
			t.Errorf("%s before any put = %q, want nil", ops.name, got)
		}
		first := []byte(`{"autoLogCall":{"value":true},"note":"a\u0000b ü"}`)
		must(t, "put", ops.put(s, t, userA, first))
		got, err = ops.get(s, t, userA)
		must(t, ops.name, err)
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("%s (-put +got):\n%s", ops.name, diff)
		}
		second := []byte(`{"autoLogCall":{"value":false}}`)
		must(t, "put again", ops.put(s, t, userA, second))
		got, err = ops.get(s, t, userA)
		must(t, ops.name, err)
		if diff := cmp.Diff(second, got); diff != "" {
			t.Errorf("%s after replace (-put +got):\n%s", ops.name, diff)
		}
		other, err := ops.get(s, t, userB)
		must(t, ops.name+" of another key", err)
		if other != nil {
			t.Errorf("%s of another key = %q, want nil", ops.name, other)
		}
	})
}

// testUserSettingsLifecycle: the user's settings survive a new login
// (UpsertUser) and a logout (UpdateTokens with nothing), and go with
// DeleteUser. Admin settings are not the user's and stay.
func testUserSettingsLifecycle(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newUserStore(t, newStore, userA)
	ctx := t.Context()
	b := []byte(`{"overridingPhoneNumberFormat":{"value":"(***) ***-****"}}`)
	must(t, "PutUserSettings", s.PutUserSettings(ctx, userA, b))
	must(t, "PutAdminSettings", s.PutAdminSettings(ctx, "account-hash", b))
	must(t, "UpdateTokens", s.UpdateTokens(ctx, userA, store.Tokens{}))
	must(t, "UpsertUser", s.UpsertUser(ctx, sampleUser(userA)))
	got, err := s.UserSettings(ctx, userA)
	must(t, "UserSettings", err)
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("settings after logout and login (-want +got):\n%s", diff)
	}
	must(t, "DeleteUser", s.DeleteUser(ctx, userA))
	if got, err = s.UserSettings(ctx, userA); err != nil || got != nil {
		t.Errorf("UserSettings after DeleteUser = %q, %v; want nil", got, err)
	}
	if got, err = s.AdminSettings(ctx, "account-hash"); err != nil || got == nil {
		t.Errorf("AdminSettings after DeleteUser = %q, %v; want them kept", got, err)
	}
}

// testCachedNotes: a note is found until it expires (at the given now,
// never by sleeping), replaced by a later put, scoped to the user, and at
// most maxPerUser are kept per user.
func testCachedNotes(t *testing.T, newStore func(t *testing.T) store.Store) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	run(t, "Expiry", func(t *testing.T) {
		s := newUserStore(t, newStore, userA, userB)
		ctx := t.Context()
		if _, err := s.CachedNote(ctx, userA, "s-1", now); err == nil {
			t.Errorf("CachedNote before any put: no error")
		} else {
			wantErr(t, "CachedNote before any put", err, store.ErrNotFound)
		}
		must(t, "PutCachedNote", s.PutCachedNote(ctx, userA, "s-1", "first", now, now.Add(time.Hour), 10))
		must(t, "PutCachedNote again", s.PutCachedNote(ctx, userA, "s-1", "typed during the call", now, now.Add(time.Hour), 10))
		got, err := s.CachedNote(ctx, userA, "s-1", now.Add(59*time.Minute))
		must(t, "CachedNote within the hour", err)
		if got != "typed during the call" {
			t.Errorf("CachedNote = %q, want the later note", got)
		}
		_, err = s.CachedNote(ctx, userB, "s-1", now)
		wantErr(t, "CachedNote of another user", err, store.ErrNotFound)
		_, err = s.CachedNote(ctx, userA, "s-1", now.Add(time.Hour))
		wantErr(t, "CachedNote at expiry", err, store.ErrNotFound)
	})
	run(t, "BoundedPerUser", func(t *testing.T) {
		s := newUserStore(t, newStore, userA, userB)
		ctx := t.Context()
		const limit = 5
		must(t, "PutCachedNote of userB", s.PutCachedNote(ctx, userB, "b-1", "b", now, now.Add(time.Hour), limit))
		for i := range 10 * limit {
			must(t, "PutCachedNote", s.PutCachedNote(ctx, userA, fmt.Sprintf("s-%02d", i), "n", now, now.Add(time.Hour+time.Duration(i)*time.Second), limit))
		}
		kept := 0
		for i := range 10 * limit {
			if _, err := s.CachedNote(ctx, userA, fmt.Sprintf("s-%02d", i), now); err == nil {
				kept++
				if i < 9*limit {
					t.Errorf("note s-%02d kept; the ones expiring last should be", i)
				}
			}
		}
		if kept != limit {
			t.Errorf("%d notes kept, want %d", kept, limit)
		}
		if _, err := s.CachedNote(ctx, userB, "b-1", now); err != nil {
			t.Errorf("another user's note was dropped: %v", err)
		}
	})
}
