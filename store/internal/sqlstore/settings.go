package sqlstore

import "context"

// The settings tables: one JSON document per key.
var (
	UserSettingsTable  = Table{Name: "user_settings", Key: "user_key", What: "user settings"}
	AdminSettingsTable = Table{Name: "admin_settings", Key: "account_key", What: "admin settings"}
)

// DocSQL are the statements of one settings table.
type DocSQL struct {
	// Table is the table they read and write.
	Table
	// Select reads the document of the key in bind parameter 1.
	Select string
	// Upsert stores the document in bind parameter 2 under the key in bind
	// parameter 1, stamped with the time (parameter 3 when the dialect
	// binds it).
	Upsert string
}

// Doc writes the statements of the settings table t in d.
func (d Dialect) Doc(t Table) DocSQL {
	return DocSQL{
		Table:  t,
		Select: `SELECT settings FROM ` + t.Name + ` WHERE ` + t.Key + ` = ` + d.Param(1),
		Upsert: `INSERT INTO ` + t.Name + ` (` + t.Key + `, settings, updated_at) VALUES (` + d.Param(1) + `, ` + d.Param(2) + `, ` + d.Now(3) + `)
			ON CONFLICT (` + t.Key + `) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
	}
}

// Conn is how one database runs the shared statements: it refuses a
// closed store and wraps every failure with op and its own error classes
// (store.ErrUnavailable when the database is at fault).
type Conn interface {
	// QueryRow runs the single-row query q and scans the row into dest;
	// found is false, with no error, when there is no row.
	QueryRow(ctx context.Context, op, q string, args []any, dest ...any) (found bool, err error)
	// Exec runs the statement q.
	Exec(ctx context.Context, op, q string, args ...any) error
	// Stamp is what the statements' clock parameter is bound to (see
	// Dialect.Now): the current time, or nothing when the database reads
	// its own clock.
	Stamp() []any
}

// Settings gives a store the four settings methods of [store.Store]: one
// JSON document per key in the tables User and Admin.
type Settings struct {
	Conn        Conn
	User, Admin DocSQL
}

// UserSettings returns the user's own settings, or nil when none are stored.
func (s Settings) UserSettings(ctx context.Context, userKey string) ([]byte, error) {
	return s.get(ctx, s.User, userKey)
}

// PutUserSettings replaces the user's own settings.
func (s Settings) PutUserSettings(ctx context.Context, userKey string, settings []byte) error {
	return s.put(ctx, s.User, userKey, settings)
}

// AdminSettings returns the settings of a telephony account, or nil.
func (s Settings) AdminSettings(ctx context.Context, accountKey string) ([]byte, error) {
	return s.get(ctx, s.Admin, accountKey)
}

// PutAdminSettings replaces the settings of a telephony account.
func (s Settings) PutAdminSettings(ctx context.Context, accountKey string, settings []byte) error {
	return s.put(ctx, s.Admin, accountKey, settings)
}

// get reads a document; a missing or empty one reads as absent (nil).
func (s Settings) get(ctx context.Context, t DocSQL, key string) ([]byte, error) {
	var b []byte
	found, err := s.Conn.QueryRow(ctx, t.What, t.Select, []any{key}, &b)
	if err != nil || !found || len(b) == 0 {
		return nil, err
	}
	return b, nil
}

// put stores a document; nil is stored as empty, which reads as absent.
func (s Settings) put(ctx context.Context, t DocSQL, key string, settings []byte) error {
	if settings == nil {
		settings = []byte{}
	}
	return s.Conn.Exec(ctx, "put "+t.What, t.Upsert, append([]any{key, settings}, s.Conn.Stamp()...)...)
}
