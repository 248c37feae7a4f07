package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
	"github.com/crmbridge/crmbridge/store/storetest"
)

// openFile opens a store on path and closes it when the test ends.
func openFile(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openFile(t, filepath.Join(t.TempDir(), "crmbridge.db"))
	})
}

func TestConformanceInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openFile(t, ":memory:")
	})
}

func TestConformanceReopen(t *testing.T) {
	t.Parallel()
	storetest.RunReopen(t, func(t *testing.T) (store.Store, func() store.Store) {
		path := filepath.Join(t.TempDir(), "crmbridge.db")
		return openFile(t, path), func() store.Store { return openFile(t, path) }
	})
}
