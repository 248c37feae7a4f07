package sqlite

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/store"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The database file removed or replaced under an open store: every call
// fails with ErrFileGone wrapped in store.ErrUnavailable (instead of
// writing into an unlinked file), and the first failure logs at ERROR.
func TestDatabaseFileRemovedOrReplaced(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"removed", "replaced", "moved"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.db")
			logs := &lockedBuf{}
			s := open(t, "file:"+path+"?mode=rwc", WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			ctx := t.Context()
			u := store.User{Key: "1-p", Platform: "p", CRMUserID: "1"}
			if err := s.UpsertUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "removed":
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suffix)
				}
			case "replaced":
				other := filepath.Join(dir, "other.db")
				if err := os.WriteFile(other, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(other, path); err != nil {
					t.Fatal(err)
				}
			case "moved":
				if err := os.Rename(path, filepath.Join(dir, "moved.db")); err != nil {
					t.Fatal(err)
				}
			}
			for name, err := range map[string]error{
				"UpsertUser": s.UpsertUser(ctx, u),
				"GetUser":    func() error { _, err := s.GetUser(ctx, u.Key); return err }(),
				"Reserve":    func() error { _, err := s.ReserveCallLog(ctx, u.Key, "s", 0); return err }(),
				"DeleteUser": s.DeleteUser(ctx, u.Key),
				"Ping":       s.Ping(ctx),
			} {
				if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, ErrFileGone) {
					t.Errorf("%s after the file was %s: %v", name, how, err)
				}
			}
			if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
				t.Errorf("%d ERROR lines, want one:\n%s", n, logs)
			}
			if !strings.Contains(logs.String(), path) {
				t.Errorf("the log does not name the file:\n%s", logs)
			}
		})
	}
}

func TestFilePath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"x.db":                           "x.db",
		"file:x.db?mode=rwc":             "x.db",
		"file:/var/lib/a%20b.db?cache=1": "/var/lib/a b.db",
		"file:///var/lib/x.db":           "/var/lib/x.db",
		"file://localhost/var/x.db":      "/var/x.db",
	} {
		if got, ok := FilePath(in); !ok || got != want {
			t.Errorf("FilePath(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{":memory:", "file::memory:", "file:x?mode=memory", "file:x?vfs=memdb", "file://elsewhere/x.db"} {
		if _, ok := FilePath(in); ok {
			t.Errorf("FilePath(%q) names a local file", in)
		}
	}
}
