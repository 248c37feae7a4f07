package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/store"
)

func open(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempDB(t *testing.T) string {
	return filepath.Join(t.TempDir(), "crmbridge.db")
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestBuildDSN(t *testing.T) {
	t.Parallel()
	ours := pragmas.Encode()
	for _, tc := range []struct {
		in         string
		wantDSN    string
		wantMemory bool
	}{
		{"/var/lib/crm.db", "file:///var/lib/crm.db?" + ours, false},
		{"data/crm.db", "file:data/crm.db?" + ours, false},
		{"/tmp/a?b#c %d.db", "file:///tmp/a%3Fb%23c%20%25d.db?" + ours, false},
		{":memory:", "file::memory:?" + ours, true},
		{"file::memory:", "file::memory:?" + ours, true},
		{"file:x.db?mode=memory", "file:x.db?" + mergeQuery("mode=memory"), true},
		{"file:x?vfs=memdb", "file:x?" + mergeQuery("vfs=memdb"), true},
		{"file:/srv/crm.db?mode=rwc", "file:/srv/crm.db?" + mergeQuery("mode=rwc"), false},
	} {
		dsn, memory, err := buildDSN(tc.in)
		if err != nil {
			t.Errorf("buildDSN(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(struct {
			DSN    string
			Memory bool
		}{tc.wantDSN, tc.wantMemory}, struct {
			DSN    string
			Memory bool
		}{dsn, memory}); diff != "" {
			t.Errorf("buildDSN(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	if _, _, err := buildDSN(""); !errors.Is(err, errEmptyPath) {
		t.Errorf("buildDSN(\"\") error = %v, want errEmptyPath", err)
	}
}

// mergeQuery is the query buildDSN makes of a URI's own query plus ours.
func mergeQuery(own string) string {
	q, _ := url.ParseQuery(own)
	for k, v := range pragmas {
		q[k] = append(q[k], v...)
	}
	return q.Encode()
}

func TestOpenOddFileName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "a?b#c %d.db")
	s := open(t, path)
	if err := s.UpsertUser(t.Context(), store.User{Key: "1-x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
}

func TestOpenURI(t *testing.T) {
	t.Parallel()
	path := tempDB(t)
	s := open(t, "file:"+path+"?mode=rwc")
	if err := s.UpsertUser(t.Context(), store.User{Key: "1-x"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	if _, err := s.GetUser(t.Context(), "1-x"); err != nil {
		t.Errorf("user written through the URI is not in the file: %v", err)
	}
}

func TestOpenInMemoryStoresAreSeparate(t *testing.T) {
	t.Parallel()
	a := open(t, ":memory:")
	b := open(t, "file::memory:")
	if err := a.UpsertUser(t.Context(), store.User{Key: "1-x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetUser(t.Context(), "1-x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second in-memory store sees the first one's user: %v", err)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

// TestPragmasOnEveryConnection holds several pooled connections at once, so
// each is a different one, and reads their settings.
func TestPragmasOnEveryConnection(t *testing.T) {
	t.Parallel()
	s := open(t, tempDB(t))
	ctx := t.Context()
	var conns []*sql.Conn
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	want := map[string]string{"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1", "busy_timeout": "5000"}
	for i, c := range conns {
		got := map[string]string{}
		for name := range want {
			var v string
			if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
				t.Fatal(err)
			}
			got[name] = v
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("connection %d pragmas (-want +got):\n%s", i, diff)
		}
	}
}

func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	path := tempDB(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s := open(t, path, WithLogger(logger))
	if err := s.UpsertUser(t.Context(), store.User{Key: "1-x"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if !strings.Contains(logs.String(), "schema migrated") {
		t.Errorf("first Open logged %q, want a migration line", logs.String())
	}

	logs.Reset()
	s = open(t, path, WithLogger(logger))
	if _, err := s.GetUser(t.Context(), "1-x"); err != nil {
		t.Errorf("user lost by the second Open: %v", err)
	}
	s.Close()
	if logs.Len() != 0 {
		t.Errorf("second Open logged %q, want nothing to migrate", logs.String())
	}
	if v := userVersion(t, path); v != schemaVersion {
		t.Errorf("user_version = %d, want %d", v, schemaVersion)
	}
}

func TestMigrateConcurrentOpens(t *testing.T) {
	t.Parallel()
	path := tempDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), path)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	if v := userVersion(t, path); v != schemaVersion {
		t.Errorf("user_version = %d, want %d", v, schemaVersion)
	}
}

func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	path := tempDB(t)
	open(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), fmt.Sprintf("PRAGMA user_version = %d", schemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database from the future succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open error = %v, want one wrapping ErrSchemaTooNew", err)
	}
	if v := userVersion(t, path); v != schemaVersion+1 {
		t.Errorf("user_version = %d after the refused Open, want it untouched (%d)", v, schemaVersion+1)
	}
}

// TestMigrationIsAtomic appends a migration that fails halfway: nothing of
// it may remain, and the database stays at the old version.
func TestMigrationIsAtomic(t *testing.T) {
	// Not parallel: it swaps the package's migrations.
	path := tempDB(t)
	open(t, path).Close()

	saved := migrations
	t.Cleanup(func() { migrations, schemaVersion = saved, len(saved) })
	migrations = append(saved[:len(saved):len(saved)], []string{
		`CREATE TABLE half_done (x INTEGER)`,
		`THIS IS NOT SQL`,
	})
	schemaVersion = len(migrations)
	if _, err := Open(t.Context(), path); err == nil {
		t.Fatal("Open with a broken migration succeeded")
	}
	migrations, schemaVersion = saved, len(saved)

	if v := userVersion(t, path); v != len(saved) {
		t.Errorf("user_version = %d after a failed migration, want %d", v, len(saved))
	}
	s := open(t, path)
	var n int
	if err := s.db.QueryRowContext(t.Context(),
		`SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("the failed migration left its first table behind")
	}
}

func TestTimesFromClockInUTC(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600))}
	s := open(t, tempDB(t), WithClock(clock.now))
	ctx := t.Context()
	u := store.User{Key: "1-x", TokenExpiry: time.Date(2026, 6, 1, 0, 0, 0, 1000, time.FixedZone("y", -3600))}
	if err := s.UpsertUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	created := clock.now().Truncate(time.Microsecond)
	clock.set(clock.now().Add(time.Minute))
	if err := s.UpdateTokens(ctx, u.Key, store.Tokens{TokenExpiry: u.TokenExpiry}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, u.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", got.CreatedAt, created},
		{"UpdatedAt", got.UpdatedAt, created.Add(time.Minute)},
		{"TokenExpiry", got.TokenExpiry, u.TokenExpiry},
	} {
		if !tc.got.Equal(tc.want) || tc.got.Location() != time.UTC {
			t.Errorf("%s = %v, want %v in UTC", tc.name, tc.got, tc.want.UTC())
		}
	}
}

// TestConcurrentTakeover races 50 callers for an expired reservation with a
// frozen clock: the first taker's reservation is fresh for everyone else.
func TestConcurrentTakeover(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	s := open(t, tempDB(t), WithClock(clock.now))
	ctx := t.Context()
	for _, slot := range []struct {
		name    string
		reserve func(ctx context.Context, userKey, id string, lease time.Duration) (store.Reservation, error)
	}{{"call log", s.ReserveCallLog}, {"message", s.ReserveMessage}} {
		clock.set(start)
		if r, err := slot.reserve(ctx, "1-x", "id", time.Hour); err != nil || !r.Won {
			t.Fatalf("%s: first Reserve = %+v, %v", slot.name, r, err)
		}
		clock.set(start.Add(30 * time.Minute))
		if r, err := slot.reserve(ctx, "1-x", "id", time.Hour); err != nil || r.Won {
			t.Fatalf("%s: Reserve within the lease = %+v, %v; want lost", slot.name, r, err)
		}
		clock.set(start.Add(2 * time.Hour))
		var wg sync.WaitGroup
		var mu sync.Mutex
		n := 0
		for range 50 {
			wg.Go(func() {
				r, err := slot.reserve(ctx, "1-x", "id", time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Won {
					mu.Lock()
					n++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if n != 1 {
			t.Errorf("%s: %d callers took over the expired reservation, want 1", slot.name, n)
		}
	}
}

func TestConfirm(t *testing.T) {
	t.Parallel()
	s := open(t, tempDB(t))
	ctx := t.Context()

	// The CRM record exists even when the slot was released meanwhile.
	if err := s.ConfirmCallLog(ctx, "1-x", "never-reserved", "crm-1"); err != nil {
		t.Fatal(err)
	}
	// A confirmed slot keeps the id others have already seen.
	if _, err := s.ReserveCallLog(ctx, "1-x", "s", time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"crm-2", "crm-3"} {
		if err := s.ConfirmCallLog(ctx, "1-x", "s", id); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.CallLogIDs(ctx, "1-x", []string{"never-reserved", "s"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"never-reserved": "crm-1", "s": "crm-2"}, got); diff != "" {
		t.Errorf("CallLogIDs (-want +got):\n%s", diff)
	}

	for name, err := range map[string]error{
		"ConfirmCallLog": s.ConfirmCallLog(ctx, "1-x", "t", ""),
		"ConfirmMessage": s.ConfirmMessage(ctx, "1-x", "t", ""),
		"PutConversationLogID": func() error {
			_, err := s.PutConversationLogID(ctx, "1-x", "c/1/1/2026", "")
			return err
		}(),
	} {
		if !errors.Is(err, errEmptyID) || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with an empty id: error = %v, want errEmptyID", name, err)
		}
	}
}

func TestLockEntriesAreDropped(t *testing.T) {
	t.Parallel()
	s := open(t, tempDB(t))
	ctx := t.Context()
	for i := range 100 {
		unlock, err := s.Lock(ctx, fmt.Sprintf("refresh:%d-x", i))
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		unlock() // a second call does nothing
	}
	unlock, err := s.Lock(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Lock(cctx, "held"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a cancelled context = %v, want context.Canceled", err)
	}
	unlock()
	s.locks.mu.Lock()
	n := len(s.locks.m)
	s.locks.mu.Unlock()
	if n != 0 {
		t.Errorf("%d lock entries remain after every lock was released", n)
	}
}

// crashChildEnv names the environment variable that turns this test binary
// into the child process of TestCrashRecovery.
const crashChildEnv = "CRMBRIDGE_SQLITE_CRASH_DB"

// TestCrashRecovery writes from a child process that exits without closing
// the store, the way a killed server would, and reads everything back.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := tempDB(t)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != crashExitCode {
		t.Fatalf("child: %v, want exit code %d; output:\n%s", err, crashExitCode, out)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the child left no write-ahead log (%v): this test would not test recovery", err)
	}

	s := open(t, path)
	ctx := t.Context()
	u, err := s.GetUser(ctx, "1-x")
	if err != nil || string(u.AccessToken) != "sealed" {
		t.Errorf("user after crash = %+v, %v", u, err)
	}
	ids, err := s.CallLogIDs(ctx, "1-x", []string{"s-1", "s-2"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"s-1": "crm-1"}, ids); diff != "" {
		t.Errorf("CallLogIDs after crash (-want +got):\n%s", diff)
	}
	if r, err := s.ReserveCallLog(ctx, "1-x", "s-2", time.Hour); err != nil || r.Won {
		t.Errorf("pending reservation after crash: Reserve = %+v, %v; want still pending", r, err)
	}
	if r, err := s.ReserveMessage(ctx, "1-x", "m-1", time.Hour); err != nil || r.LogID != "crm-day" {
		t.Errorf("message after crash: Reserve = %+v, %v; want crm-day", r, err)
	}
	if id, err := s.ConversationLogID(ctx, "1-x", "c/1/1/2026"); err != nil || id != "crm-day" {
		t.Errorf("conversation after crash = %q, %v", id, err)
	}
}

const crashExitCode = 17

func crashChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	steps := []error{
		s.UpsertUser(ctx, store.User{Key: "1-x", AccessToken: []byte("sealed")}),
		s.ConfirmCallLog(ctx, "1-x", "s-1", "crm-1"),
		func() error { _, err := s.ReserveCallLog(ctx, "1-x", "s-2", time.Hour); return err }(),
		s.ConfirmMessage(ctx, "1-x", "m-1", "crm-day"),
		func() error { _, err := s.PutConversationLogID(ctx, "1-x", "c/1/1/2026", "crm-day"); return err }(),
	}
	if err := errors.Join(steps...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(crashExitCode) // no Close, no checkpoint
}

// TestCallLogIDsBuckets crosses every padding bucket boundary: every
// confirmed id must be found whatever the list length.
func TestCallLogIDsBuckets(t *testing.T) {
	t.Parallel()
	s := open(t, tempDB(t))
	ctx := t.Context()
	var all []string
	confirmed := map[string]string{}
	for i := range 1001 {
		id := fmt.Sprintf("s-%d", i)
		all = append(all, id)
		if i%2 == 1 {
			if err := s.ConfirmCallLog(ctx, "1-x", id, "crm-"+id); err != nil {
				t.Fatal(err)
			}
			confirmed[id] = "crm-" + id
		}
	}
	for _, n := range []int{1, 2, 4, 5, 6, 19, 20, 21, 99, 100, 101, 499, 500, 501, 1001} {
		ids := all[len(all)-n:]
		want := map[string]string{}
		for _, id := range ids {
			if logID, ok := confirmed[id]; ok {
				want[id] = logID
			}
		}
		got, err := s.CallLogIDs(ctx, "1-x", ids)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CallLogIDs of %d ids (-want +got):\n%s", n, diff)
		}
	}
}
