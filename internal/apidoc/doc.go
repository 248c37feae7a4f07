// Package apidoc holds crmbridge's own OpenAPI document (openapi.json): every
// route httpserver serves, with the exact shapes it answers, errors included.
//
// httpserver serves it at GET /openapi.json, and internal/contracttest
// validates every response of every test suite against it, so a clone's
// tests need nothing outside the repository. The document is hand-written
// from PROTOCOL.md; a test in httpserver fails when the handler serves a
// route the document does not describe, or the other way round.
package apidoc

import _ "embed"

// JSON is the OpenAPI 3.0 document, as served. Callers must not modify it.
//
//go:embed openapi.json
var JSON []byte
