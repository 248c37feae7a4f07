package postgres

import (
	"testing"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, dsn, newSchema(t))
	})
}

func TestConformanceReopen(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	storetest.RunReopen(t, func(t *testing.T) (store.Store, func() store.Store) {
		schema := newSchema(t)
		return openStore(t, dsn, schema), func() store.Store { return openStore(t, dsn, schema) }
	})
}
