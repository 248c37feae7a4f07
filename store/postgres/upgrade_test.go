package postgres

import (
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// TestUpgradeFromVersion1 opens a schema written by the first version
// (before settings and cached notes) with the current code: it upgrades in
// place, keeps users and mappings, and serves the new tables. Not
// parallel: it swaps the package's migration list.
func TestUpgradeFromVersion1(t *testing.T) {
	// Not parallel: it swaps the package's migrations.
	dsn := testDSN(t)
	schema := newSchema(t)
	saved := migrations
	t.Cleanup(func() { migrations, schemaVersion = saved, len(saved) })
	migrations, schemaVersion = saved[:1], 1
	old := openStore(t, dsn, schema)
	ctx := bounded(t)
	if err := old.UpsertUser(ctx, store.User{Key: "1-p", Platform: "p", CRMUserID: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ReserveCallLog(ctx, "1-p", "s-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := old.ConfirmCallLog(ctx, "1-p", "s-1", "crm-1"); err != nil {
		t.Fatal(err)
	}
	old.Close()
	if v, _ := schemaVersionOf(t, adminConn(t), schema); v != 1 {
		t.Fatalf("schema version %d, want 1", v)
	}

	migrations, schemaVersion = saved, len(saved)
	s := openStore(t, dsn, schema)
	if v, rows := schemaVersionOf(t, adminConn(t), schema); v != schemaVersion || rows != 1 {
		t.Errorf("schema version %d in %d rows after the upgrade, want %d in 1", v, rows, schemaVersion)
	}
	if u, err := s.GetUser(ctx, "1-p"); err != nil || !u.SessionsValidFrom.IsZero() {
		t.Errorf("user after the upgrade: %+v %v", u, err)
	}
	if err := s.EndSessions(ctx, "1-p", time.Now()); err != nil {
		t.Errorf("EndSessions after the upgrade: %v", err)
	}
	if ids, err := s.CallLogIDs(ctx, "1-p", []string{"s-1"}); err != nil || ids["s-1"] != "crm-1" {
		t.Errorf("mapping after the upgrade: %v %v", ids, err)
	}
	if err := s.PutAdminSettings(ctx, "acct", []byte(`{}`)); err != nil {
		t.Errorf("settings after the upgrade: %v", err)
	}
	now := time.Now()
	if err := s.PutCachedNote(ctx, "1-p", "s-2", "n", now, now.Add(time.Hour), 10); err != nil {
		t.Errorf("cached note after the upgrade: %v", err)
	}
}
