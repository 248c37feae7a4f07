package postgres_test

import (
	"reflect"
	"testing"

	"github.com/crmbridge/crmbridge/store/postgres"
)

// TestStoreExportsNoFields: the shared reservation and settings code is
// embedded unexported, so a caller can neither reach its statements (its
// Conn runs any SQL) nor replace them.
func TestStoreExportsNoFields(t *testing.T) {
	typ := reflect.TypeFor[postgres.Store]()
	for i := range typ.NumField() {
		if f := typ.Field(i); f.IsExported() {
			t.Errorf("postgres.Store exports the field %s (%s)", f.Name, f.Type)
		}
	}
}
