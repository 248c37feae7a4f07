// Package store is the persistence contract of the crmbridge server: users
// with their sealed CRM credentials, call-log and message-log mappings with a
// reserve/confirm/release protocol that makes logging idempotent, and named
// locks shared by every replica that uses the same database.
//
// Two implementations ship with the SDK: store/sqlite (embedded, one process)
// and store/postgres (several replicas). store/storetest is the conformance
// suite both pass; a third-party store can run it too.
//
// The store never sees a plaintext token: the server seals credentials with
// auth.SealingKeyRing before they reach [Store.UpsertUser] or [Store.UpdateTokens].
package store
