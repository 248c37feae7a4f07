package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect is what differs between the databases in the text of the shared
// statements.
type Dialect struct {
	// Param is the text of the n-th bind parameter, from 1: "?1" for
	// SQLite, "$1" for PostgreSQL.
	Param func(n int) string
	// Now is the current time in a statement whose own bind parameters are
	// 1 to next-1: the bind parameter next, which the caller sets to its
	// clock's time (SQLite), or the database clock's now() (PostgreSQL).
	Now func(next int) string
	// Touched is the updated_at of a users row that an upsert replaces,
	// where "excluded" names the new row and "users" the stored one.
	Touched string
}

// Numbered is the bind parameter "<prefix><n>": Numbered("?") for SQLite,
// Numbered("$") for PostgreSQL.
func Numbered(prefix string) func(n int) string {
	return func(n int) string { return prefix + strconv.Itoa(n) }
}

// userColumns are the columns of users that UsersSQL.Upsert writes after
// user_key, in the order of its bind parameters.
var userColumns = []string{
	"platform", "crm_user_id", "hostname", "timezone", "timezone_offset",
	"access_token", "refresh_token", "api_key", "token_expiry", "extra",
}

// UsersSQL are the statements that read and write a whole users row.
type UsersSQL struct {
	// Select reads the row whose user_key is bind parameter 1: the
	// columns platform, crm_user_id, hostname, timezone, timezone_offset,
	// access_token, refresh_token, api_key, token_expiry, extra,
	// created_at, updated_at, sessions_valid_from.
	Select string
	// Upsert inserts a row or replaces every field of an existing one, in
	// one statement. Its bind parameters are user_key and the ten columns
	// above from platform to extra, then the time when the dialect binds
	// it (parameter 12).
	Upsert string
}

// Users writes the users statements in d.
func (d Dialect) Users() UsersSQL {
	values := make([]string, 0, 1+len(userColumns))
	set := make([]string, 0, len(userColumns)+1)
	for i, c := range append([]string{"user_key"}, userColumns...) {
		values = append(values, d.Param(i+1))
		if i > 0 {
			set = append(set, c+" = excluded."+c)
		}
	}
	set = append(set, "updated_at = "+d.Touched)
	now := d.Now(len(values) + 1)
	cols := strings.Join(userColumns, ", ")
	return UsersSQL{
		Select: `SELECT ` + cols + `, created_at, updated_at, sessions_valid_from
			FROM users WHERE user_key = ` + d.Param(1),
		Upsert: `INSERT INTO users (user_key, ` + cols + `, created_at, updated_at)
			VALUES (` + strings.Join(values, ", ") + `, ` + now + `, ` + now + `)
			ON CONFLICT (user_key) DO UPDATE SET ` + strings.Join(set, ", "),
	}
}
