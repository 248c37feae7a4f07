package sqlite

import (
	"testing"
	"time"
)

// TestUpgradeFromVersion1 opens a database written by the first schema
// (before settings and cached notes) with the current code: it upgrades in
// place, keeps users and mappings, and serves the new tables.
func TestUpgradeFromVersion1(t *testing.T) {
	// Not parallel: it swaps the package's migrations.
	path := tempDB(t)
	saved := migrations
	t.Cleanup(func() { migrations, schemaVersion = saved, len(saved) })
	migrations, schemaVersion = saved[:1], 1
	old := open(t, path)
	ctx := t.Context()
	// Rows as the version-1 code wrote them (today's statements name
	// columns that version 1 does not have).
	for _, q := range []string{
		`INSERT INTO users (user_key, platform, crm_user_id, hostname, timezone, timezone_offset, created_at, updated_at)
			VALUES ('1-x', 'x', '1', '', '', 0, 1, 1)`,
		`INSERT INTO call_logs (user_key, session_id, log_id, claim, reserved_at) VALUES ('1-x', 's-1', 'crm-1', 0, 1)`,
		`INSERT INTO call_logs (user_key, session_id, log_id, claim, reserved_at) VALUES ('1-x', 's-pending', NULL, 7, 1)`,
	} {
		if _, err := old.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	if v := userVersion(t, path); v != 1 {
		t.Fatalf("user_version = %d, want 1", v)
	}

	migrations, schemaVersion = saved, len(saved)
	s := open(t, path)
	if v := userVersion(t, path); v != schemaVersion {
		t.Errorf("user_version = %d after the upgrade, want %d", v, schemaVersion)
	}
	if u, err := s.GetUser(ctx, "1-x"); err != nil || !u.SessionsValidFrom.IsZero() {
		t.Errorf("user after the upgrade: %+v %v", u, err)
	}
	if err := s.EndSessions(ctx, "1-x", time.Now()); err != nil {
		t.Errorf("EndSessions after the upgrade: %v", err)
	}
	// A pending slot of version 1 whose lease ran out is taken over.
	if res, err := s.ReserveCallLog(ctx, "1-x", "s-pending", time.Second); err != nil || !res.Won || !res.TakenOver {
		t.Errorf("stale pending slot after the upgrade: %+v %v", res, err)
	}
	if ids, err := s.CallLogIDs(ctx, "1-x", []string{"s-1"}); err != nil || ids["s-1"] != "crm-1" {
		t.Errorf("mapping after the upgrade: %v %v", ids, err)
	}
	if err := s.PutUserSettings(ctx, "1-x", []byte(`{}`)); err != nil {
		t.Errorf("settings after the upgrade: %v", err)
	}
	now := time.Now()
	if err := s.PutCachedNote(ctx, "1-x", "s-2", "n", now, now.Add(time.Hour), 10); err != nil {
		t.Errorf("cached note after the upgrade: %v", err)
	}
}
