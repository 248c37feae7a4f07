// Package contracttest checks server responses against the published
// OpenAPI contract of the reference server
// (shared/contract/app-connect-openapi-1.7.42.json, beside the repository).
// The test suites of httpserver and the examples use it so that one
// validator, not several copies, decides what "matches the contract" means.
//
// The document is found through CRMBRIDGE_OPENAPI (set by .ci/run) or, failing
// that, at shared/contract/ beside the repository root. When it cannot be
// loaded, checks are skipped silently on a laptop and fail the test in CI
// (when CI is set).
package contracttest
