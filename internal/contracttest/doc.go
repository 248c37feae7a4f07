// Package contracttest checks server responses against OpenAPI documents.
// The test suites of httpserver and the examples use it so that one
// validator, not several copies, decides what "matches the contract" means.
//
// Every response is checked against crmbridge's own document
// (internal/apidoc, compiled in: a clone needs nothing else), with every
// status it may answer listed. When the reference contract of the original
// server is available — CRMBRIDGE_OPENAPI (set by .ci/run), or
// shared/contract/app-connect-openapi-1.7.42.json beside the repository root —
// each response is also checked against it, so our answers stay readable by
// the real client. A CRMBRIDGE_OPENAPI that cannot be loaded fails the test.
package contracttest
