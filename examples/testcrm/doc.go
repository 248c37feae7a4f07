// Package testcrm is the sample adapter of crmbridge: an in-memory CRM and an
// adapter for it that implements adapter.Adapter and every optional
// capability (contact search, call dispositions, manifest, auth validation).
//
// The server's end-to-end tests, the example server and the README
// walk-through run on it, so it behaves like a real CRM: phone lookups match
// the stored phone strings exactly against the candidates the server
// computed (a contact stored as "(650) 555-1213" is found only when the user's
// overridingFormat produces that string), ids are numeric strings, and
// unknown records, bad input and revoked keys fail with the errors of package
// adapter.
//
// Tests observe the CRM ([CRM.CallLogs], [CRM.MessageLogs],
// [CRM.Invocations], ...) and steer it: [CRM.FailNext] makes the next call of
// an operation fail with a chosen error, [CRM.SetDelay] slows an operation
// down (honouring the context), [CRM.PanicNext] makes it panic.
//
// Users log in with any non-blank API key; the key's user id is [UserID].
//
// The smallest use:
//
//	crm := testcrm.NewCRM()
//	a := testcrm.New(crm)
//	crm.FailNext(testcrm.OpCreateCallLog, &adapter.RateLimitError{RetryAfter: time.Second})
//	// hand a to the server; the next call log it creates is rate limited.
package testcrm
