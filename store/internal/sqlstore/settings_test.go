package sqlstore

import (
	"context"
	"errors"
	"testing"
)

// memConn is a Conn over a map of documents keyed by statement and key; it
// records the arguments of every Exec.
type memConn struct {
	docs  map[string][]byte
	execs [][]any
	err   error
}

func (c *memConn) QueryRow(_ context.Context, _, q string, args []any, dest ...any) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	b, ok := c.docs[q+"|"+args[0].(string)]
	if ok {
		*dest[0].(*[]byte) = b
	}
	return ok, nil
}

func (c *memConn) Exec(_ context.Context, _, q string, args ...any) error {
	c.execs = append(c.execs, args)
	sel := map[string]string{"put-user": "get-user", "put-admin": "get-admin"}[q]
	c.docs[sel+"|"+args[0].(string)] = args[1].([]byte)
	return c.err
}

func (c *memConn) Stamp() []any { return []any{int64(42)} }

// An empty stored document reads as absent, a nil one is stored as empty,
// each table's statements are used for its methods, and the clock stamp
// is bound after the document.
func TestSettings(t *testing.T) {
	ctx := t.Context()
	c := &memConn{docs: map[string][]byte{}}
	s := Settings{
		Conn:  c,
		User:  DocSQL{Table: UserSettingsTable, Select: "get-user", Upsert: "put-user"},
		Admin: DocSQL{Table: AdminSettingsTable, Select: "get-admin", Upsert: "put-admin"},
	}
	if got, err := s.UserSettings(ctx, "u"); got != nil || err != nil {
		t.Fatalf("UserSettings of nobody = %#v, %v; want nil, nil", got, err)
	}
	if err := s.PutUserSettings(ctx, "u", nil); err != nil {
		t.Fatal(err)
	}
	if args := c.execs[0]; len(args) != 3 || args[1] == nil || len(args[1].([]byte)) != 0 || args[2] != int64(42) {
		t.Fatalf("Exec args = %#v; want key, an empty non-nil document, the stamp", args)
	}
	if got, err := s.UserSettings(ctx, "u"); got != nil || err != nil {
		t.Fatalf("UserSettings of an empty document = %#v, %v; want nil, nil", got, err)
	}
	if err := s.PutAdminSettings(ctx, "a", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AdminSettings(ctx, "a"); string(got) != `{"x":1}` || err != nil {
		t.Fatalf("AdminSettings = %q, %v", got, err)
	}
	if got, _ := s.UserSettings(ctx, "a"); got != nil {
		t.Fatalf("admin settings read back as user settings: %q", got)
	}
	c.err = errors.New("boom")
	if got, err := s.AdminSettings(ctx, "a"); got != nil || !errors.Is(err, c.err) {
		t.Fatalf("AdminSettings with a failing database = %q, %v; want nil and the error", got, err)
	}
}
