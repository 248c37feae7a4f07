package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/adapter"
)

// runReport runs the suite into a report and returns it.
func runReport(t *testing.T, cfg Config) *report {
	t.Helper()
	r := newReport()
	t.Cleanup(r.Close)
	runTB(r, cfg)
	return r
}

// failedTests lists the subtests with failures, sorted, each once.
func failedTests(r *report) []string {
	var out []string
	for _, f := range r.Failures() {
		out = append(out, f.Test)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRunPasses runs the suite through go test itself against a correct
// adapter, with and without the optional capabilities.
func TestRunPasses(t *testing.T) {
	t.Parallel()
	t.Run("every capability", func(t *testing.T) {
		crm := newMemCRM(flaws{})
		Run(t, crm.config(memFull{memBasic{crm}}))
	})
	t.Run("required methods only", func(t *testing.T) {
		crm := newMemCRM(flaws{})
		Run(t, crm.config(memBasic{crm}))
	})
}

// TestBrokenAdapters runs the suite against adapters that each break the
// contract one way, and checks that it fails where it should, saying why.
func TestBrokenAdapters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flaws flaws
		// tests are the subtests that must fail, and only they.
		tests []string
		// message must be part of one of the failures.
		message string
	}{
		{"no user id", flaws{noUserID: true}, []string{"", "login"},
			"GetUserInfo returned no user id"},
		{"bad time zone", flaws{badTimezone: true}, []string{"login"},
			`GetUserInfo returned timezone "Mars/Olympus_Mons", which is not an IANA zone name`},
		{"contact without id", flaws{contactWithoutID: true},
			[]string{"contact/concurrent", "contact/create", "contact/existing", "contact/overridingFormat", "search"},
			"FindContacts returned a contact without an id (Contacts[0]"},
		{"existing contact not found", flaws{missExisting: true},
			[]string{"contact/concurrent", "contact/create", "contact/existing", "contact/overridingFormat", "search"},
			`FindContacts did not find contact "1" for +16505551212; it returned no contact`},
		{"absent number found", flaws{findAbsent: true}, []string{"contact/absent"},
			`FindContacts found contacts "1" for +16505550000, which no contact has`},
		{"overridingFormat ignored", flaws{ignoreFormats: true}, []string{"contact/overridingFormat"},
			`FindContacts did not find contact "2" for +16505551213 with overridingFormat "(***) ***-****"`},
		{"duplicate matches", flaws{duplicateContacts: true},
			[]string{"contact/create", "contact/existing", "contact/overridingFormat"},
			`FindContacts returned contact "1" twice`},
		{"created contact without id", flaws{createContactNoID: true}, []string{"contact/create"},
			"CreateContact returned a contact without an id"},
		{"created contact not stored", flaws{createContactLost: true}, []string{"contact/create"},
			"FindContacts did not find the contact CreateContact just created"},
		{"empty call log id", flaws{emptyCallLogID: true}, []string{"callLog", "callLog/create"},
			"CreateCallLog returned an empty log id"},
		{"call log error", flaws{callLogError: true}, []string{"callLog", "callLog/create"},
			"CreateCallLog returned an error: memcrm is down"},
		{"GetCallLog panics", flaws{getCallLogPanics: true},
			[]string{"callLog/disposition", "callLog/get", "callLog/recordingLink", "callLog/update"},
			"GetCallLog panicked: memcrm: nil map"},
		{"no subject", flaws{noSubject: true}, []string{"callLog/get", "callLog/update"},
			"GetCallLog returned an empty subject"},
		{"subject not replaced", flaws{ignoreSubject: true}, []string{"callLog/update"},
			"UpdateCallLog did not replace the subject"},
		{"note appended", flaws{appendNote: true}, []string{"callLog/update"},
			"UpdateCallLog kept the old note"},
		{"recording link ignored", flaws{ignoreRecording: true}, []string{"callLog/recordingLink"},
			"UpdateCallLog ignored the recording link"},
		{"recording link replaces note", flaws{recordingReplaces: true}, []string{"callLog/recordingLink"},
			"UpdateCallLog lost the note when adding the recording link"},
		{"note erased by the recording sweep", flaws{eraseOnSweep: true}, []string{"callLog/recordingLink"},
			"UpdateCallLog erased the user's note on the recording sweep"},
		{"recording link added twice", flaws{recordingTwice: true}, []string{"callLog/recordingLink"},
			"UpdateCallLog added the recording link again on the second sweep"},
		{"recording link in the user's note", flaws{noteWithRecording: true}, []string{"callLog/recordingLink"},
			"GetCallLog returned the recording link inside the note"},
		{"new note drops the recording", flaws{noteDropsRecording: true}, []string{"callLog/recordingLink"},
			"UpdateCallLog dropped the recording link when the note was replaced"},
		{"dispositions not stored", flaws{dispositionIgnored: true}, []string{"callLog/disposition"},
			`SetCallDisposition did not store disposition "adaptertest"`},
		{"empty message log id", flaws{emptyMessageLogID: true}, []string{"messageLog", "messageLog/create"},
			"CreateMessageLog returned an empty log id"},
		{"message append ignored", flaws{ignoreMessageAppend: true}, []string{"messageLog/append"},
			"UpdateMessageLog did not append the second message"},
		{"message append fails", flaws{messageAppendFails: true}, []string{"messageLog/append"},
			"UpdateMessageLog returned an error"},
		{"search finds nothing", flaws{searchMisses: true}, []string{"search"},
			`SearchContacts did not find contact "1" by the name "Alice Anderson"`},
		{"manifest leaks the key", flaws{manifestLeaksKey: true}, []string{"manifest"},
			"Manifest contains the API key"},
		{"manifest not JSON", flaws{manifestInvalid: true}, []string{"manifest"},
			"Manifest returned invalid JSON"},
		{"manifest names another platform", flaws{manifestWrongName: true}, []string{"manifest"},
			`Manifest's name is "othercrm"; want the platform name "memcrm"`},
		{"auth validation fails", flaws{validateFails: true}, []string{"authValidation"},
			"ValidateAuth returned an error"},
		{"Unauthorize panics", flaws{unauthorizePanics: true}, []string{"unAuthorize"},
			"Unauthorize panicked: memcrm: unauthorize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crm := newMemCRM(tc.flaws)
			r := runReport(t, crm.config(memFull{memBasic{crm}}))
			if diff := cmp.Diff(tc.tests, failedTests(r)); diff != "" {
				t.Errorf("failing subtests (-want +got):\n%s\nfailures:\n%s", diff, r)
			}
			if !strings.Contains(r.String(), tc.message) {
				t.Errorf("no failure says %q; failures:\n%s", tc.message, r)
			}
		})
	}
}

// TestWithoutReadMessageLog: without a reader, an ignored append cannot be
// seen, and the suite says so in its log instead of failing.
func TestWithoutReadMessageLog(t *testing.T) {
	t.Parallel()
	crm := newMemCRM(flaws{ignoreMessageAppend: true})
	cfg := crm.config(memFull{memBasic{crm}})
	cfg.ReadMessageLog = nil
	r := runReport(t, cfg)
	if r.Failed() {
		t.Errorf("failures:\n%s", r)
	}
	want := "messageLog/append: Config.ReadMessageLog is not set"
	if !slices.ContainsFunc(r.Logs(), func(l string) bool { return strings.HasPrefix(l, want) }) {
		t.Errorf("no log line %q in %q", want, r.Logs())
	}
}

// TestReadCallLog: with a reader, the recording link is looked for in what
// it returns, not in GetCallLog's note.
func TestReadCallLog(t *testing.T) {
	t.Parallel()
	crm := newMemCRM(flaws{})
	cfg := crm.config(memBasic{crm})
	var asked []string
	cfg.ReadCallLog = func(_ context.Context, id string) (string, error) {
		asked = append(asked, id)
		return "subject only, no link", nil
	}
	r := runReport(t, cfg)
	if diff := cmp.Diff([]string{"callLog/recordingLink"}, failedTests(r)); diff != "" {
		t.Errorf("failing subtests (-want +got):\n%s\n%s", diff, r)
	}
	if !strings.Contains(r.String(), "the call log Config.ReadCallLog read does not contain") || len(asked) != 2 {
		t.Errorf("ReadCallLog asked for %q; failures:\n%s", asked, r)
	}

	cfg.ReadCallLog = func(context.Context, string) (string, error) { return "", errors.New("sandbox offline") }
	r = runReport(t, cfg)
	if !strings.Contains(r.String(), "callLog/recordingLink: Config.ReadCallLog(") {
		t.Errorf("a failing reader is not reported:\n%s", r)
	}
}

// TestOAuthLogin logs in through GET /oauth-callback: the server exchanges
// the code Config.AuthorizationCode returns.
func TestOAuthLogin(t *testing.T) {
	t.Parallel()
	provider := httptest.NewServer(newProvider())
	t.Cleanup(provider.Close)
	crm := newMemCRM(flaws{})
	cfg := crm.config(memOAuth{memFull{memBasic{crm}}, provider.URL})
	cfg.APIKey = ""
	cfg.AuthorizationCode = func(context.Context) (string, error) { return "good-code", nil }
	if r := runReport(t, cfg); r.Failed() {
		t.Errorf("failures:\n%s", r)
	}

	cfg.AuthorizationCode = func(context.Context) (string, error) { return "stale-code", nil }
	r := runReport(t, cfg)
	if diff := cmp.Diff([]string{"", "login"}, failedTests(r)); diff != "" {
		t.Errorf("failing subtests (-want +got):\n%s\n%s", diff, r)
	}
	if !strings.Contains(r.String(), "the server could not exchange the authorization code at "+provider.URL+"/token") {
		t.Errorf("failures:\n%s", r)
	}
}

// TestConfigErrors: a Config the suite cannot use fails at once, naming
// every problem.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	crm := newMemCRM(flaws{})
	for _, tc := range []struct {
		name   string
		edit   func(*Config)
		wanted []string
	}{
		{"no adapter", func(c *Config) { c.Adapter = nil }, []string{"Adapter is nil"}},
		{"no fixtures", func(c *Config) {
			c.ExistingPhone, c.ExistingContactID, c.AbsentPhone, c.APIKey = "", "", "", ""
		}, []string{"APIKey is required", "ExistingPhone is required", "AbsentPhone is required", "ExistingContactID is required"}},
		{"not E.164", func(c *Config) { c.AbsentPhone = "650 555 0000" }, []string{`AbsentPhone "650 555 0000" is not an E.164 number`}},
		{"same numbers", func(c *Config) { c.AbsentPhone = c.ExistingPhone }, []string{"ExistingPhone and AbsentPhone are the same number"}},
		{"half a format fixture", func(c *Config) { c.FormatContactID = "" }, []string{"set all three or none"}},
		{"OAuth without a code", func(c *Config) {
			c.Adapter = memOAuth{memFull{memBasic{crm}}, "http://127.0.0.1:1"}
		}, []string{"AuthorizationCode is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := crm.config(memFull{memBasic{crm}})
			tc.edit(&cfg)
			r := runReport(t, cfg)
			fs := r.Failures()
			if len(fs) != 1 || fs[0].Test != "" {
				t.Fatalf("want one failure of the whole run, got:\n%s", r)
			}
			for _, w := range tc.wanted {
				if !strings.Contains(fs[0].Message, w) {
					t.Errorf("failure %q does not say %q", fs[0].Message, w)
				}
			}
		})
	}
}

// TestServerRefusesAdapter: an adapter the server cannot take (a platform
// name with a space) is reported before any check runs.
func TestServerRefusesAdapter(t *testing.T) {
	t.Parallel()
	crm := newMemCRM(flaws{})
	r := runReport(t, crm.config(badName{memBasic{crm}}))
	want := []failure{{Test: "", Message: `adaptertest: the server refuses the adapter: httpserver: adapter platform name "mem crm" is empty or has spaces or URL characters`}}
	if diff := cmp.Diff(want, r.Failures()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type badName struct{ memBasic }

func (badName) Platform() string { return "mem crm" }

var _ adapter.Adapter = badName{}

// TestReport checks the report itself: subtest names and results, logs,
// cleanups last-first, once.
func TestReport(t *testing.T) {
	t.Parallel()
	r := newReport()
	var order []string
	r.Cleanup(func() { order = append(order, "first") })
	dir := r.TempDir()
	passed := r.Run("outer", func(tb suiteTB) {
		tb.Run("ok one", func(tb suiteTB) { tb.Logf("fine") })
		tb.Run("bad", func(tb suiteTB) { tb.Errorf("broke %d", 1) })
		tb.Cleanup(func() { order = append(order, "last") })
	})
	if passed {
		t.Errorf("Run reported success for a subtest with a failed child")
	}
	if !r.Run("clean", func(suiteTB) {}) {
		t.Errorf("Run reported failure for a clean subtest")
	}
	if diff := cmp.Diff([]failure{{Test: "outer/bad", Message: "broke 1"}}, r.Failures()); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"outer/ok_one: fine"}, r.Logs()); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	if got := r.String(); got != "outer/bad: broke 1\n" {
		t.Errorf("String() = %q", got)
	}
	r.Close()
	r.Close()
	if diff := cmp.Diff([]string{"last", "first"}, order); diff != "" {
		t.Errorf("cleanup order (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("TempDir %s survives Close: %v", dir, err)
	}
}

// TestNoJWTInFailures: when the server cannot be reached, the failure names
// the route, never the session JWT that was in the query.
func TestNoJWTInFailures(t *testing.T) {
	t.Parallel()
	crm := newMemCRM(flaws{})
	r := newReport()
	defer r.Close()
	var stopped bool
	runTB(stopAfterLogin{r, &stopped}, crm.config(memFull{memBasic{crm}}))
	if !r.Failed() {
		t.Fatalf("no failure although the server was stopped")
	}
	if strings.Contains(r.String(), "jwtToken") || strings.Contains(r.String(), "eyJ") {
		t.Errorf("a failure carries the session JWT:\n%s", r)
	}
}

// stopAfterLogin is a suiteTB that, once login has passed, runs the cleanups
// registered so far (which stop the suite's server), so that every later
// request fails to connect.
type stopAfterLogin struct {
	*report
	stopped *bool
}

func (s stopAfterLogin) Run(name string, f func(suiteTB)) bool {
	ok := s.report.Run(name, f)
	if name == "login" && !*s.stopped {
		*s.stopped = true
		s.report.Close()
	}
	return ok
}

// BenchmarkRun measures one whole run of the suite against an in-memory
// adapter: server start (SQLite file, keys), about 40 requests, shutdown.
func BenchmarkRun(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		crm := newMemCRM(flaws{})
		r := newReport()
		runTB(r, crm.config(memFull{memBasic{crm}}))
		r.Close()
		if r.Failed() {
			b.Fatalf("failures:\n%s", r)
		}
	}
}

// runTB with a report collects the failures instead of failing a test: here
// against an adapter whose UpdateCallLog drops recording links.
func TestRunTBReport(t *testing.T) {
	t.Parallel()
	crm := newMemCRM(flaws{ignoreRecording: true})
	report := newReport()
	defer report.Close()

	runTB(report, crm.config(memFull{memBasic{crm}}))

	var got []string
	for _, f := range report.Failures() {
		what, _, _ := strings.Cut(f.Message, ":") // the rest names this run's link
		got = append(got, f.Test+": "+what)
	}
	if diff := cmp.Diff([]string{"callLog/recordingLink: UpdateCallLog ignored the recording link"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A report is a suiteTB of its own: subtests, failures and logs.
func TestReportRecords(t *testing.T) {
	t.Parallel()
	r := newReport()
	defer r.Close()
	r.Run("contact", func(tb suiteTB) {
		tb.Run("existing", func(tb suiteTB) { tb.Errorf("FindContacts did not find contact %q", "42") })
		tb.Logf("looked up one number")
	})
	got := fmt.Sprint(r) + fmt.Sprintln(r.Failed(), r.Logs())
	want := "contact/existing: FindContacts did not find contact \"42\"\ntrue [contact: looked up one number]\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
