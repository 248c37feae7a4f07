package sqlite

import (
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// TestUpgradeFromVersion1 opens a database written by the first schema
// (before settings and cached notes) with the current code: it upgrades in
// place, keeps users and mappings, and serves the new tables.
func TestUpgradeFromVersion1(t *testing.T) {
	path := tempDB(t)
	saved := migrations
	t.Cleanup(func() { migrations, schemaVersion = saved, len(saved) })
	migrations, schemaVersion = saved[:1], 1
	old := open(t, path)
	ctx := t.Context()
	if err := old.UpsertUser(ctx, store.User{Key: "1-x", Platform: "x", CRMUserID: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ReserveCallLog(ctx, "1-x", "s-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := old.ConfirmCallLog(ctx, "1-x", "s-1", "crm-1"); err != nil {
		t.Fatal(err)
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
	if _, err := s.GetUser(ctx, "1-x"); err != nil {
		t.Errorf("user lost by the upgrade: %v", err)
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
