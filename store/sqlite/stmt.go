package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// stmts prepares each query once per Store; database/sql then keeps a
// prepared copy per pooled connection. Preparing costs about as much as
// running one of these queries, so doing it once per query instead of once
// per call roughly halves the latency of the hot lookups.
type stmts struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

// stmt returns the prepared statement of q, preparing it on first use. It
// fails once the store is closed, and once the database file was removed or
// replaced (checkFile).
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	if err := s.checkFile(); err != nil {
		return nil, err
	}
	s.stmts.mu.RLock()
	st := s.stmts.m[q]
	s.stmts.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st := s.stmts.m[q]; st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.stmts.m == nil {
		s.stmts.m = make(map[string]*sql.Stmt)
	}
	s.stmts.m[q] = st
	return st, nil
}

// closeStmts closes every prepared statement; later calls prepare anew and
// fail on the closed database.
func (s *Store) closeStmts() {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	for q, st := range s.stmts.m {
		st.Close()
		delete(s.stmts.m, q)
	}
}

// queryRow runs a prepared single-row query.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) (*sql.Row, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(ctx, args...), nil
}

// exec runs a prepared statement.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// conn runs the shared statements (sqlstore.Conn) as prepared
// statements (which fail once the store is closed), stamped with the
// store's clock.
type conn struct{ s *Store }

func (c conn) QueryRow(ctx context.Context, op, q string, args []any, dest ...any) (bool, error) {
	row, err := c.s.queryRow(ctx, q, args...)
	if err == nil {
		err = row.Scan(dest...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(op, err)
	}
	return true, nil
}

func (c conn) Exec(ctx context.Context, op, q string, args ...any) error {
	if _, err := c.s.exec(ctx, q, args...); err != nil {
		return unavailable(op, err)
	}
	return nil
}

func (c conn) Stamp() []any { return []any{c.s.now().UnixMicro()} }

func (c conn) Refuse(op string) error {
	if c.s.closed.Load() {
		return unavailable(op, errStoreClosed)
	}
	return nil
}

func (c conn) Begin(ctx context.Context, op string) (sqlstore.Tx, error) {
	tx, err := c.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable(op, err)
	}
	return sqlTx{op: op, tx: tx}, nil
}

// sqlTx is a transaction of the shared statements (sqlstore.Tx).
type sqlTx struct {
	op string
	tx *sql.Tx
}

func (t sqlTx) Exec(ctx context.Context, q string, args ...any) error {
	if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
		return unavailable(t.op, err)
	}
	return nil
}

func (t sqlTx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return unavailable(t.op, err)
	}
	return nil
}

func (t sqlTx) Rollback() { t.tx.Rollback() }
