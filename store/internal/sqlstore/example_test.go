package sqlstore_test

import (
	"fmt"
	"strings"

	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// Each database passes its bind parameters and clock as data; the
// statements' columns are written once.
func ExampleDialect_Users() {
	postgres := sqlstore.Dialect{
		Param:   sqlstore.Numbered("$"),
		Now:     func(int) string { return "now()" },
		Touched: "greatest(excluded.updated_at, users.created_at)",
	}
	q := postgres.Users().Upsert
	fmt.Println(strings.Join(strings.Fields(q)[:4], " "))
	fmt.Println(strings.Contains(q, "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), now())"))
	fmt.Println(strings.HasSuffix(q, "extra = excluded.extra, updated_at = greatest(excluded.updated_at, users.created_at)"))
	sqlite := sqlstore.Dialect{Param: sqlstore.Numbered("?"), Now: sqlstore.Numbered("?"), Touched: "excluded.updated_at"}
	fmt.Println(strings.Fields(sqlite.Doc(sqlstore.UserSettingsTable).Upsert)[6:10])
	// Output:
	// INSERT INTO users (user_key,
	// true
	// true
	// [VALUES (?1, ?2, ?3)]
}
