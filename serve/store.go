package serve

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/postgres"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// openStore opens the store a DATABASE_URL selected. dbFile is the SQLite
// database's file ("" in memory), also when target is a "file:" URI.
func openStore(ctx context.Context, kind, target, dbFile string, log *slog.Logger) (store.Store, error) {
	switch kind {
	case "sqlite":
		if dbFile != "" {
			if dir := filepath.Dir(dbFile); dir != "." {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("creating database directory: %w", err)
				}
			}
			// The database holds sealed credentials: readable by the owner
			// only. SQLite gives its -wal and -shm files the same mode.
			f, err := os.OpenFile(dbFile, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return nil, fmt.Errorf("creating database file: %w", err)
			}
			fi, err := f.Stat()
			f.Close()
			if err == nil && fi.Mode().Perm()&0o077 != 0 {
				log.Warn("the database holds sealed credentials but other users can read it; chmod 600 it",
					slog.String("file", dbFile), slog.String("mode", fi.Mode().Perm().String()))
			}
		}
		return sqlite.Open(ctx, target, sqlite.WithLogger(log))
	case "postgres":
		// For several replicas sharing one database.
		return postgres.Open(ctx, target, postgres.WithLogger(log))
	}
	return nil, fmt.Errorf("unknown store kind %q", kind)
}
