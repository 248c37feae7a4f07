// Package adaptertest is the conformance kit for crmbridge adapters: one
// call in your adapter's tests checks it against the contract of package
// adapter, the way the real server and client use it.
//
// The smallest use, in your adapter's _test.go:
//
//	func TestConformance(t *testing.T) {
//		crm := startFakeCRM(t) // or a sandbox account
//		adaptertest.Run(t, adaptertest.Config{
//			Adapter:           mycrm.New(crm.URL),
//			APIKey:            "test-key",
//			ExistingPhone:     "+16505551212", // a contact in the CRM
//			ExistingContactID: "42",           // ... and its id
//			AbsentPhone:       "+16505550000", // a number nobody has
//		})
//	}
//
// # What it does
//
// Run starts the real server (package httpserver) on a loopback port, with
// a SQLite store in a temporary directory and a fresh session secret and
// sealing key, and talks to it as the softphone client does; every answer
// is checked against crmbridge's OpenAPI document. Between the
// server and your adapter sits a recorder (an adapter.Wrapper, so the
// server discovers exactly your adapter's capabilities) that notes every
// call: the
// request the server built and what your adapter returned. So each check
// looks at both ends, and a failure names the adapter method at fault:
// "CreateCallLog returned an empty log id", "FindContacts did not find
// contact "42" for +16505551212", "UpdateCallLog ignored the recording
// link".
//
// The checks, each a subtest. A check of a capability your adapter lacks
// (found with adapter.Discover, as the server finds it) is skipped with a
// message naming the capability, so a five-method adapter passes:
//
//	manifest               GET /implementedInterfaces is adapter.Discover's answer;
//	                       Manifest is a JSON object naming the platform, holding no secret
//	login                  POST /apiKeyLogin or GET /oauth-callback; GetUserInfo returns an id,
//	                       a valid time zone; GET /hostname
//	contact/existing       FindContacts finds ExistingContactID for ExistingPhone, with a name
//	contact/overridingFormat  ... and FormatContactID through the user's formats (optional)
//	contact/absent         FindContacts finds nothing for AbsentPhone; the placeholder
//	                       only with a ContactCreator
//	contact/create         CreateContact returns an id, FindContacts then finds it (ContactCreator)
//	contact/concurrent     eight lookups at once (run go test -race)
//	callLog/create         CreateCallLog returns a log id
//	callLog/duplicate      the same call again reaches no adapter
//	callLog/get            GetCallLog returns a subject and the note (CallLogReader)
//	callLog/update         UpdateCallLog replaces subject and note (CallLogUpdater and
//	                       CallLogReader, as is recordingLink)
//	callLog/recordingLink  the client's recording sweep twice ("note":"", link, call details):
//	                       the user's note survives, GetCallLog's note holds no link, the
//	                       link is in the record once (ReadCallLog) and a new note keeps it
//	callLog/disposition    SetCallDisposition (DispositionSetter)
//	messageLog/create      CreateMessageLog returns a log id (MessageLogger, as are the next two)
//	messageLog/append      a later message goes to UpdateMessageLog for that log
//	messageLog/repost      messages already logged reach no adapter
//	search                 SearchContacts finds the existing contact by name (ContactSearcher)
//	authValidation         GET /authValidation succeeds; ValidateAuth (AuthValidator)
//	unAuthorize            Unauthorize is called (Unauthorizer); the session stops working
//
// Any adapter call that returns an error or panics during these steps is a
// failure, reported with the error. An error from Unauthorize is only
// logged: the server erases the credentials whatever it returns.
//
// # What it needs
//
// [Config] holds the adapter and a few facts about the CRM behind it: a
// number that belongs to a contact, a number that belongs to nobody, and a
// way to log in (an API key, or for OAuth a function returning a fresh
// authorization code of the provider, which a fake provider mints). Two
// optional readers, ReadCallLog and ReadMessageLog, let the suite look at
// the CRM directly, for what cannot be seen through the adapter (whether a
// message was really appended).
//
// The suite writes to the CRM: one contact, one call log, one message log.
// Point it at a fake (an httptest.Server speaking your CRM's API) or a
// sandbox, not at production data.
//
// # Unit tests of one method
//
// [NewSession] returns the credentialed Session the server would hand your
// adapter, for calling a method directly against a fake CRM, without the
// server.
package adaptertest
