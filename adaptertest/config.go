package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/phone"
)

// Config is the adapter under test and the fixtures of the CRM it talks to.
// The suite cannot know your CRM's data, so it asks for a few facts about
// it: a number that belongs to a contact, a number that belongs to nobody,
// and how a user logs in.
//
// Phone numbers are E.164 ("+16505551212"). The suite writes to the CRM: it
// creates one contact (with NewContactPhone) and one call log and one
// message log against LogContactID. Run it against a fake or a sandbox
// account, never against production data.
type Config struct {
	// Adapter is the adapter under test. Required.
	Adapter adapter.Adapter

	// APIKey is the key of a CRM user, for adapters whose Auth is
	// adapter.AuthAPIKey: the suite logs in with POST /apiKeyLogin.
	APIKey string
	// LoginForm is sent as the additionalInfo of POST /apiKeyLogin, for
	// login pages with more fields than the key. Optional.
	LoginForm map[string]any
	// AuthorizationCode returns a fresh authorization code of the adapter's
	// OAuth provider, as if a user had just approved the app, for adapters
	// whose Auth is adapter.AuthOAuth: the suite hands it to
	// GET /oauth-callback and the server exchanges it at the provider's
	// token URL. A fake provider mints one (see examples/pipedrive's
	// fakepipedrive.Server.Authorize).
	AuthorizationCode func(ctx context.Context) (string, error)
	// Hostname is the CRM host the login names, e.g. "acme.mycrm.com".
	// Optional.
	Hostname string

	// ExistingPhone is the number of a contact that exists in the CRM, and
	// ExistingContactID that contact's id: FindContacts must return it for
	// ExistingPhone. Both required.
	ExistingPhone, ExistingContactID string
	// AbsentPhone is a valid number no contact has: FindContacts must
	// return nothing for it. Required.
	AbsentPhone string

	// FormatPhone is a number stored in the CRM only in the form that
	// OverridingFormat produces (for example "(650) 555-1213" for
	// "+16505551213" with "(***) ***-****"), and FormatContactID its
	// contact: FindContacts must find it through the candidates the server
	// computes from the user's overridingFormat. Set all three or none.
	FormatPhone, OverridingFormat, FormatContactID string

	// NewContactPhone is the number of the contact the suite creates with
	// POST /contact and then looks up; AbsentPhone when empty (the create
	// check runs after the absent check). Against a CRM that keeps its data
	// between runs, give a fresh number each run.
	NewContactPhone string
	// NewContactName is the created contact's name; "Adaptertest <run id>"
	// when empty.
	NewContactName string
	// NewContactType is the newContactType sent, for CRMs with several
	// contact types. Optional.
	NewContactType string

	// LogContactID is the contact the call and message logs are written
	// against; ExistingContactID when empty.
	LogContactID string
	// AdditionalSubmission is sent with the call and message logs: the log
	// form's additional fields, such as a deal. Optional.
	AdditionalSubmission map[string]any

	// SearchName is typed into contact search (adapters that implement
	// adapter.ContactSearcher): the results must include ExistingContactID.
	// When empty, the name FindContacts returned for ExistingPhone.
	SearchName string
	// Dispositions are set with PUT /callDisposition (adapters that
	// implement adapter.DispositionSetter); {"adaptertest": "checked"} when
	// nil.
	Dispositions map[string]any

	// ReadCallLog reads a call log straight from the CRM, bypassing the
	// adapter, and returns everything the CRM shows a user about it
	// (subject, note, details) as text. Optional, but without it the suite
	// cannot see whether the recording link was stored, once, and kept when
	// the note is replaced (GetCallLog returns the user's note only, so the
	// link is not there); it says so in its log.
	ReadCallLog func(ctx context.Context, logID string) (string, error)
	// ReadMessageLog reads a message log straight from the CRM and returns
	// its text. Optional: when set, the suite checks that the log holds
	// both messages it logged, so an UpdateMessageLog that does not append
	// fails; without it that cannot be seen from outside.
	ReadMessageLog func(ctx context.Context, logID string) (string, error)

	// ServerOptions are added to the server's options, for example
	// httpserver.WithLogger to read the server's log next to a failure, or
	// httpserver.WithHTTPClient for a CRM behind a proxy. Optional.
	ServerOptions []httpserver.Option
}

// errConfig marks a Config the suite cannot run with; the suite reports it
// as a failure of the whole run, with everything that is missing.
var errConfig = errors.New("adaptertest: invalid Config")

// check returns what is wrong with cfg, all of it at once.
func (cfg Config) check() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if cfg.Adapter == nil {
		return fmt.Errorf("%w: Adapter is nil", errConfig)
	}
	switch a := cfg.Adapter.Auth(); a.Type {
	case adapter.AuthAPIKey:
		if strings.TrimSpace(cfg.APIKey) == "" {
			add("APIKey is required: the adapter logs users in with an API key")
		}
	case adapter.AuthOAuth:
		if cfg.AuthorizationCode == nil {
			add("AuthorizationCode is required: the adapter logs users in with OAuth")
		}
		if a.OAuth == nil || a.OAuth.RedirectURL == "" {
			add("the adapter's Auth().OAuth needs a RedirectURL: the suite sends it as the callbackUri")
		}
	default:
		add("Adapter.Auth().Type is %q; want adapter.AuthAPIKey or adapter.AuthOAuth", a.Type)
	}
	number := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			add("%s is required", field)
		case v != "":
			if _, err := phone.Parse(v); err != nil || !strings.HasPrefix(v, "+") {
				add("%s %q is not an E.164 number such as +16505551212", field, v)
			}
		}
	}
	number("ExistingPhone", cfg.ExistingPhone, true)
	number("AbsentPhone", cfg.AbsentPhone, true)
	number("NewContactPhone", cfg.NewContactPhone, false)
	if cfg.ExistingContactID == "" {
		add("ExistingContactID is required: the id FindContacts must return for ExistingPhone")
	}
	if cfg.ExistingPhone != "" && cfg.ExistingPhone == cfg.AbsentPhone {
		add("ExistingPhone and AbsentPhone are the same number")
	}
	set := 0
	for _, v := range []string{cfg.FormatPhone, cfg.OverridingFormat, cfg.FormatContactID} {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		add("FormatPhone, OverridingFormat and FormatContactID go together: set all three or none")
	}
	number("FormatPhone", cfg.FormatPhone, false)
	if problems != nil {
		return fmt.Errorf("%w: %s", errConfig, strings.Join(problems, "; "))
	}
	return nil
}
