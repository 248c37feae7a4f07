// Package template is a STARTING POINT TO COPY, not a library to import.
//
// Copy this directory into your module, rename the package and the
// platform, and replace the calls to "TemplateCRM" (an imaginary CRM with a
// JSON API, faked in fakecrm_test.go) with your CRM's:
//
//  1. cp -r examples/template ./mycrm, then rename "package template" and
//     Platform (the name the client and the sessions know your CRM by).
//  2. api.go: your CRM's base URL, how the API key goes on a request
//     (Auth), and how its error answers map to the adapter errors.
//  3. contacts.go, logs.go, user.go: one method per route of the
//     protocol, each a few calls of your CRM's API.
//  4. fakecrm_test.go: make the fake speak your CRM's API (only what the
//     adapter uses), then go test: template_test.go runs the adaptertest
//     conformance kit through the real server and names the method at
//     fault when something is off.
//
// docs/writing-an-adapter.md walks through the same steps with a smaller
// adapter and shows the main that serves it.
//
// What this template has beyond that minimal adapter (which implements the
// five required methods only): a Config checked by New, error answers
// mapped by adapter.ResponseError to adapter.ErrUnauthorized,
// adapter.ErrNotFound, *adapter.RateLimitError (with the CRM's
// Retry-After) and *adapter.UserError (with the CRM's validation message),
// log bodies composed and updated by logbody (the user's note, the call
// details their settings ask for, a recording link added once however
// often it is sent), and these optional capabilities: creating contacts
// (adapter.ContactCreator), reading and updating call logs
// (adapter.CallLogReader, adapter.CallLogUpdater), message logs
// (adapter.MessageLogger), the log format (adapter.LogFormatter), contact
// search (adapter.ContactSearcher), the client manifest
// (adapter.Manifester) and credential checks (adapter.AuthValidator). Drop
// the ones your CRM cannot do: the server answers without them as each
// interface documents. Call dispositions (adapter.DispositionSetter) are
// left out: few CRMs have them; so is adapter.Unauthorizer, as API keys are
// revoked in TemplateCRM's settings, not through its API.
//
// The smallest main, once copied (serve.Main is the whole server:
// configuration, keys, store, timeouts, graceful shutdown):
//
//	func main() {
//		a, err := template.New(template.Config{BaseURL: "https://api.templatecrm.example"})
//		if err != nil {
//			log.Fatal(err)
//		}
//		serve.Main(a)
//	}
package template
