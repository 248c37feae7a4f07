package sqlstore

import (
	"context"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// Table names a table keyed by one column besides user_key (reservations)
// or by one column alone (settings), and says what its rows are in error
// messages. The tables of a kind have the same shape and differ only in
// these names.
type Table struct {
	Name string // "call_logs"
	Key  string // "session_id"
	What string // "call log"
}

// The reservation tables, keyed by (user_key, Key).
var (
	CallLogTable = Table{Name: "call_logs", Key: "session_id", What: "call log"}
	MessageTable = Table{Name: "message_logs", Key: "message_id", What: "message"}
)

// Slot is one database's reserve/confirm/release protocol on one
// reservation table (see [store.Store.ReserveCallLog]).
type Slot interface {
	// Reserve claims the slot (userKey, id), or takes over a pending one
	// whose lease has run out; see [store.Store.ReserveCallLog].
	Reserve(ctx context.Context, userKey, id string, lease time.Duration) (store.Reservation, error)
	// Confirm records the CRM's logID for the slot; see
	// [store.Store.ConfirmCallLog].
	Confirm(ctx context.Context, userKey, id, logID string) error
	// Release frees the slot if it is pending.
	Release(ctx context.Context, userKey, id string) error
}

// Slots gives a store the six reservation methods of [store.Store] by
// routing each to the Slot of its table. A store embeds it.
type Slots struct {
	CallLogs, Messages Slot
}

// ReserveCallLog claims the call-log slot (userKey, sessionID); see
// [store.Store.ReserveCallLog].
func (s Slots) ReserveCallLog(ctx context.Context, userKey, sessionID string, lease time.Duration) (store.Reservation, error) {
	return s.CallLogs.Reserve(ctx, userKey, sessionID, lease)
}

// ConfirmCallLog records logID for the slot. A slot that is already
// confirmed keeps its first id; a slot that is no longer reserved (released
// or deleted meanwhile) is recorded as confirmed all the same, because the
// CRM record exists. An empty logID is an error.
func (s Slots) ConfirmCallLog(ctx context.Context, userKey, sessionID, logID string) error {
	return s.CallLogs.Confirm(ctx, userKey, sessionID, logID)
}

// ReleaseCallLog frees the slot if it is pending; it does nothing to a
// confirmed or missing slot.
func (s Slots) ReleaseCallLog(ctx context.Context, userKey, sessionID string) error {
	return s.CallLogs.Release(ctx, userKey, sessionID)
}

// ReserveMessage claims the message slot (userKey, messageID); it behaves
// as ReserveCallLog.
func (s Slots) ReserveMessage(ctx context.Context, userKey, messageID string, lease time.Duration) (store.Reservation, error) {
	return s.Messages.Reserve(ctx, userKey, messageID, lease)
}

// ConfirmMessage records the CRM record the message went into; it behaves
// as ConfirmCallLog.
func (s Slots) ConfirmMessage(ctx context.Context, userKey, messageID, logID string) error {
	return s.Messages.Confirm(ctx, userKey, messageID, logID)
}

// ReleaseMessage frees the slot if it is pending; it behaves as
// ReleaseCallLog.
func (s Slots) ReleaseMessage(ctx context.Context, userKey, messageID string) error {
	return s.Messages.Release(ctx, userKey, messageID)
}
