package storetest_test

import (
	"path/filepath"
	"testing"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
	"github.com/crmbridge/crmbridge/store/storetest"
)

// A store's test file runs the suite with a fresh store per subtest. (The
// suite needs a *testing.T, so this example is compiled, not run.)
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	}
}

// RunReopen needs to open the same database twice.
func ExampleRunReopen() {
	_ = func(t *testing.T) {
		storetest.RunReopen(t, func(t *testing.T) (store.Store, func() store.Store) {
			path := filepath.Join(t.TempDir(), "test.db")
			open := func() store.Store {
				s, err := sqlite.Open(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			return open(), open
		})
	}
}
