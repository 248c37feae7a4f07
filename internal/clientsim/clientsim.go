package clientsim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/internal/clientwire"
)

// Defaults of the simulator. The numbers match the sample CRM
// (examples/testcrm): the first is a stored contact, the second is in the
// fictional 555-01xx range that no CRM should know.
const (
	defaultKnownPhone   = "+16505551212"
	defaultUnknownPhone = "+19175550142"
	selfPhone           = "+14155550199"
	// simFormats is what the client sends as overridingFormat: the user's
	// phone formats, comma-separated.
	simFormats = "(***) ***-****,***-***-****,+1**********"
	// crmCallsMetric is the series the simulator reads from GET /metrics,
	// summed over all its label sets, to report how many CRM calls each
	// scenario cost: the count of crmbridge's CRM-call histogram
	// (httpserver's metrics, one observation per HTTP call to the CRM).
	crmCallsMetric = "crmbridge_crm_request_duration_seconds_count"
	// maxBody bounds what the simulator reads of any response.
	maxBody = 4 << 20
)

// Rules named in failure messages: the PROTOCOL.md rule a step checks.
const (
	ruleEnvelope    = "§1 data routes answer 200 with {successful, returnMessage}"
	ruleLogin       = "§3 Login: POST /apiKeyLogin and GET /oauth-callback answer {jwtToken, name, returnMessage}"
	ruleSettings    = "§3 Settings: POST /user/settings MUST echo userSettings"
	ruleContact     = "§3 GET /contact: contact MUST be an array"
	rulePlaceholder = "§3 GET /contact: no match gives a warning and the createNewContact placeholder"
	ruleCallLog     = "§3 POST /callLog: success gives a logId"
	ruleDuplicate   = "§3 POST /callLog: a second POST for the same session is successful:false with the existing logId"
	rulePatch       = "§3 PATCH /callLog: success gives {successful:true, logId}"
	ruleNoErase     = "§3 PATCH /callLog: an empty string never erases (the user's note survives the recording sweep)"
	ruleRematch     = "§3 GET /callLog: one entry per session id, in request order"
	ruleMessageLog  = "§3 POST /messageLog: logIds are the message ids logged by this request, [] when nothing was new"
	ruleUnknown     = "§1 Unknown route (any method): HTTP 404, never 405"
	ruleLogout      = "§4 logout ends every session: the old JWT answers 401"
)

// Options configure one run. Server and either JWT or APIKey with Platform
// are required.
type Options struct {
	// Server is the base URL of the adapter server (a path prefix is kept).
	Server string
	// APIKey and Platform log in with POST /apiKeyLogin.
	APIKey   string
	Platform string
	// CallbackURI, with Platform, logs in through GET /oauth-callback: it is
	// the URL the CRM sent the browser back to after the user approved the
	// app (it carries code=...). It is sent unencoded, as the client does,
	// so the CRM's code and state arrive as separate top-level parameters.
	CallbackURI string
	// Hostname is the CRM host named at login; optional.
	Hostname string
	// JWT, when set, is used as the session instead of logging in.
	JWT string
	// Phone is the E.164 number of a contact the CRM knows; default
	// +16505551212 (the sample CRM's first contact).
	Phone string
	// UnknownPhone is an E.164 number no contact has; default +19175550142.
	UnknownPhone string
	// KeepSession skips the logout scenario, which ends every session of
	// the user (PROTOCOL.md §4).
	KeepSession bool
	// HTTPClient sends the requests; default a client with a 30 s timeout.
	HTTPClient *http.Client
}

// StepResult is one reported step. Rule names the PROTOCOL.md rule a
// failed step checks.
type StepResult struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Status int    `json:"status,omitempty"`
}

// ScenarioResult is one scenario: its steps and, when the server exposes
// /metrics with crmbridge_crm_request_duration_seconds, the CRM calls it cost.
type ScenarioResult struct {
	Name     string       `json:"name"`
	Steps    []StepResult `json:"steps"`
	CRMCalls *float64     `json:"crmCalls,omitempty"`
	// NotRun counts the steps left out after a failed one.
	NotRun int `json:"notRun,omitempty"`
}

// Report is the result of a run; it marshals to the sim command's --json
// output.
type Report struct {
	Server    string           `json:"server"`
	Scenarios []ScenarioResult `json:"scenarios"`
	Passed    int              `json:"passed"`
	Failed    int              `json:"failed"`
}

// errStep fails a step; rule names the PROTOCOL.md rule it broke.
type errStep struct {
	rule string
	msg  string
}

func (e *errStep) Error() string { return e.msg }

func fail(rule, format string, args ...any) error {
	return &errStep{rule: rule, msg: fmt.Sprintf(format, args...)}
}

// sim is one run of the simulator: a client session and what the
// scenarios learned along the way.
type sim struct {
	o       Options
	base    string
	hc      *http.Client
	jwt     string
	run4    string // random suffix that keeps this run's ids apart
	ifaces  map[string]any
	contact map[string]any // the contact matched for o.phone
	session string         // the call's sessionId
	logID   string
	note    string
}

// Run plays every scenario in order and returns the report. It never
// returns early: a failed step ends its scenario, a failed login every
// later one, and all of it is in the report.
func Run(ctx context.Context, o Options) Report {
	if o.Phone == "" {
		o.Phone = defaultKnownPhone
	}
	if o.UnknownPhone == "" {
		o.UnknownPhone = defaultUnknownPhone
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	b := make([]byte, 6)
	rand.Read(b)
	s := &sim{o: o, base: strings.TrimRight(o.Server, "/"), hc: hc, jwt: o.JWT, run4: hex.EncodeToString(b)}
	return s.run(ctx)
}

// WriteText writes the report for people: one line per step, the rule
// under each failure, CRM calls per scenario when known, and a closing
// "N passed, N failed" line.
func (r Report) WriteText(w io.Writer) {
	for _, sc := range r.Scenarios {
		fmt.Fprintf(w, "== %s\n", sc.Name)
		for _, st := range sc.Steps {
			printStep(w, st)
		}
		if sc.NotRun > 0 {
			fmt.Fprintf(w, "  (%d later step(s) of this scenario not run)\n", sc.NotRun)
		}
		if sc.CRMCalls != nil {
			fmt.Fprintf(w, "  CRM calls: %g\n", *sc.CRMCalls)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", r.Passed, r.Failed)
}

// scenario is a named list of steps; a failed step ends its scenario
// because the later ones build on it.
type scenario struct {
	name  string
	steps []step
}

type step struct {
	name string
	do   func(ctx context.Context) (detail string, err error)
}

func (s *sim) scenarios() []scenario {
	sc := []scenario{
		{"login", []step{
			{"GET /isAlive", s.isAlive},
			{"GET /implementedInterfaces", s.implementedInterfaces},
			{"POST /apiKeyLogin", s.login},
			{"GET /oauth-callback", s.oauthLogin},
		}},
		{"settings sync", []step{
			{"GET /user/settings", s.getSettings},
			{"POST /user/settings echoes userSettings", s.postSettings},
		}},
		{"call lifecycle", []step{
			{"lookup while ringing", s.lookupKnown},
			{"lookup again at hang-up", s.lookupKnown},
			{"create the log", s.createLog},
			{"edit-form PATCH", s.editLog},
			{"recording sweep PATCH", s.sweep},
			{"recording sweep PATCH again", s.sweep},
			{"re-match GET /callLog", s.rematch},
		}},
		{"SMS day", s.smsSteps()},
		{"no-match placeholder", []step{{"lookup of an unknown number", s.lookupUnknown}}},
		{"duplicate log", []step{{"POST /callLog again", s.duplicateLog}}},
		{"unknown routes", []step{
			{"GET of an unknown path", s.unknownPath},
			{"DELETE /callLog", s.unknownMethod},
		}},
	}
	if !s.o.KeepSession {
		sc = append(sc, scenario{"logout", []step{
			{"POST /unAuthorize", s.logout},
			{"old JWT answers 401", s.afterLogout},
		}})
	}
	return sc
}

func (s *sim) run(ctx context.Context) Report {
	rep := Report{Server: s.base}
	for _, sc := range s.scenarios() {
		before, haveMetrics := s.crmCalls(ctx)
		res := ScenarioResult{Name: sc.name}
		for i, st := range sc.steps {
			if sc.name != "login" && s.jwt == "" {
				res.Steps = append(res.Steps, StepResult{Name: st.name, Detail: "not run: no session (login failed)", Rule: ruleLogin})
				res.NotRun = len(sc.steps) - i - 1
				break
			}
			// Steps that do not apply to this way of logging in are left
			// out, not counted as passed.
			if st.name == "GET /implementedInterfaces" && s.o.Platform == "" ||
				st.name == "POST /apiKeyLogin" && (s.o.JWT != "" || s.o.CallbackURI != "") ||
				st.name == "GET /oauth-callback" && (s.o.JWT != "" || s.o.CallbackURI == "") {
				continue
			}
			detail, err := st.do(ctx)
			r := StepResult{Name: st.name, OK: err == nil, Detail: detail}
			var es *errStep
			if errors.As(err, &es) {
				r.Rule = es.rule
			}
			var he *httpStatus
			if errors.As(err, &he) {
				r.Status = he.status
			}
			if err != nil {
				r.Detail = err.Error()
			}
			res.Steps = append(res.Steps, r)
			if err != nil {
				res.NotRun = len(sc.steps) - i - 1
				break
			}
		}
		if haveMetrics {
			if after, ok := s.crmCalls(ctx); ok {
				n := after - before
				res.CRMCalls = &n
			}
		}
		for _, r := range res.Steps {
			if r.OK {
				rep.Passed++
			} else {
				rep.Failed++
			}
		}
		rep.Scenarios = append(rep.Scenarios, res)
	}
	return rep
}

func printStep(out io.Writer, r StepResult) {
	mark := "PASS"
	if !r.OK {
		mark = "FAIL"
	}
	line := fmt.Sprintf("  %s %s", mark, r.Name)
	if r.Detail != "" {
		line += ": " + r.Detail
	}
	if !r.OK && r.Rule != "" {
		line += "\n       rule: " + r.Rule
	}
	fmt.Fprintln(out, line)
}

// --- HTTP, the way the client sends it ---

// reply is one response, read whole (bounded).
type reply struct {
	status int
	header http.Header
	body   []byte
}

// httpStatus is a step failure that carries the HTTP status.
type httpStatus struct {
	status int
	errStep
}

func (e *httpStatus) Error() string { return e.msg }
func (e *httpStatus) Unwrap() error { return &e.errStep }
func statusErr(r reply, rule, what string) error {
	return &httpStatus{status: r.status, errStep: errStep{rule: rule, msg: fmt.Sprintf("%s: HTTP %d %s", what, r.status, snippet(r.body))}}
}

// do sends one request. rawQuery is put on the wire as given: the client
// does not URL-encode its query values, so a phone number's `+` stays raw.
func (s *sim) do(ctx context.Context, method, path, rawQuery string, body any) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	req.URL.RawQuery = rawQuery
	// The client's headers: axios's Accept, its extension and account
	// hashes, and JSON bodies.
	req.Header.Set("Accept", "application/json, text/plain, */*")
	req.Header.Set("rc-extension-id", "sim-extension-"+s.run4)
	req.Header.Set("rc-account-id", "sim-account-"+s.run4)
	req.Header.Set("developer-author-name", "crmbridge sim")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}, nil
}

// q builds a raw query the client's way: jwtToken first, values as typed
// (only spaces become %20, as the browser does).
func (s *sim) q(pairs ...string) string {
	parts := []string{"jwtToken=" + s.jwt}
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+"="+strings.ReplaceAll(pairs[i+1], " ", "%20"))
	}
	return strings.Join(parts, "&")
}

// envelope decodes a data route's 200 JSON answer.
func envelope(r reply, what string) (map[string]any, error) {
	if r.status != http.StatusOK {
		return nil, statusErr(r, ruleEnvelope, what)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fail(ruleEnvelope, "%s: the answer is not a JSON object: %s", what, snippet(r.body))
	}
	if _, ok := m["successful"].(bool); !ok {
		return nil, fail(ruleEnvelope, "%s: no boolean successful in %s", what, snippet(r.body))
	}
	return m, nil
}

func message(m map[string]any) string {
	rm, _ := m["returnMessage"].(map[string]any)
	if rm == nil {
		return ""
	}
	msg, _ := rm["message"].(string)
	if t, _ := rm["messageType"].(string); t != "" {
		return fmt.Sprintf("%s %q", t, msg)
	}
	return fmt.Sprintf("%q", msg)
}

// str renders an id the server sent as a string or a number.
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// crmCalls reads the CRM call counter from GET /metrics; ok is false when
// the server has no metrics (or not this counter).
func (s *sim) crmCalls(ctx context.Context) (float64, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, false
	}
	var sum float64
	found := false
	sc := bufio.NewScanner(io.LimitReader(res.Body, maxBody))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, crmCallsMetric) {
			continue
		}
		rest := line[len(crmCallsMetric):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // another metric sharing the prefix
		}
		if i := strings.LastIndex(rest, "}"); i >= 0 {
			rest = rest[i+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// --- login ---

func (s *sim) isAlive(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodGet, "/isAlive", "", nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", statusErr(r, "§3 GET /isAlive answers 200", "GET /isAlive")
	}
	return "", nil
}

func (s *sim) implementedInterfaces(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodGet, "/implementedInterfaces", "platform="+s.o.Platform, nil)
	if err != nil {
		return "", err
	}
	const rule = "§3 GET /implementedInterfaces answers a JSON object of booleans"
	if r.status != http.StatusOK {
		return "", statusErr(r, rule, "GET /implementedInterfaces")
	}
	if err := json.Unmarshal(r.body, &s.ifaces); err != nil {
		return "", fail(rule, "not a JSON object: %s", snippet(r.body))
	}
	return fmt.Sprintf("%d capabilities", len(s.ifaces)), nil
}

func (s *sim) login(ctx context.Context) (string, error) {
	body := map[string]any{"platform": s.o.Platform, "apiKey": s.o.APIKey, "hostname": s.o.Hostname, "additionalInfo": map[string]any{}}
	r, err := s.do(ctx, http.MethodPost, "/apiKeyLogin", "state=platform="+s.o.Platform, body)
	if err != nil {
		return "", err
	}
	return s.takeLogin(r)
}

// oauthLogin finishes an OAuth login the client's way: callbackUri is not
// encoded, so its own query (code, state) spills into the top level.
func (s *sim) oauthLogin(ctx context.Context) (string, error) {
	q := "callbackUri=" + strings.ReplaceAll(s.o.CallbackURI, " ", "%20") + "&state=platform=" + s.o.Platform + "&hostname=" + s.o.Hostname
	r, err := s.do(ctx, http.MethodGet, "/oauth-callback", q, nil)
	if err != nil {
		return "", err
	}
	return s.takeLogin(r)
}

// takeLogin reads a login answer's session JWT.
func (s *sim) takeLogin(r reply) (string, error) {
	if r.status != http.StatusOK {
		return "", statusErr(r, ruleLogin, "login refused")
	}
	var m struct {
		JWT  string `json:"jwtToken"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil || m.JWT == "" {
		return "", fail(ruleLogin, "no jwtToken in %s", snippet(r.body))
	}
	s.jwt = m.JWT
	return fmt.Sprintf("logged in as %q", m.Name), nil
}

// --- settings ---

func (s *sim) getSettings(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodGet, "/user/settings", s.q("rcAccountId", "sim-account-"+s.run4), nil)
	if err != nil {
		return "", err
	}
	const rule = "§3 Settings: GET /user/settings answers a JSON object ({} when none)"
	if r.status != http.StatusOK {
		return "", statusErr(r, rule, "GET /user/settings")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil || m == nil {
		return "", fail(rule, "not a JSON object: %s", snippet(r.body))
	}
	return fmt.Sprintf("%d settings", len(m)), nil
}

func (s *sim) postSettings(ctx context.Context) (string, error) {
	// The client posts its whole local copy back; posting what the server
	// just gave changes nothing for the user.
	r, err := s.do(ctx, http.MethodGet, "/user/settings", s.q("rcAccountId", "sim-account-"+s.run4), nil)
	if err != nil {
		return "", err
	}
	var current map[string]json.RawMessage
	if r.status != http.StatusOK || json.Unmarshal(r.body, &current) != nil {
		return "", statusErr(r, ruleSettings, "GET /user/settings")
	}
	if current == nil {
		current = map[string]json.RawMessage{}
	}
	r, err = s.do(ctx, http.MethodPost, "/user/settings", s.q(), map[string]any{"userSettings": current})
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", statusErr(r, ruleSettings, "POST /user/settings")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		return "", fail(ruleSettings, "not a JSON object: %s", snippet(r.body))
	}
	var echoed map[string]json.RawMessage
	if raw, ok := m["userSettings"]; !ok || json.Unmarshal(raw, &echoed) != nil || echoed == nil {
		return "", fail(ruleSettings, "no userSettings object in %s", snippet(r.body))
	}
	return fmt.Sprintf("%d settings echoed", len(echoed)), nil
}

// --- contacts ---

func (s *sim) lookup(ctx context.Context, phone string) (map[string]any, []any, error) {
	r, err := s.do(ctx, http.MethodGet, "/contact", s.q("phoneNumber", phone, "overridingFormat", simFormats, "isExtension", "false"), nil)
	if err != nil {
		return nil, nil, err
	}
	m, err := envelope(r, "GET /contact")
	if err != nil {
		return nil, nil, err
	}
	list, ok := m["contact"].([]any)
	if !ok {
		return nil, nil, fail(ruleContact, "contact is not an array: %s", snippet(r.body))
	}
	return m, list, nil
}

func (s *sim) lookupKnown(ctx context.Context) (string, error) {
	m, list, err := s.lookup(ctx, s.o.Phone)
	if err != nil {
		return "", err
	}
	if m["successful"] != true {
		return "", fail(ruleContact, "successful:false for %s: %s", s.o.Phone, message(m))
	}
	for _, c := range list {
		c, _ := c.(map[string]any)
		if c == nil || c["isNewContact"] == true || str(c["id"]) == "" {
			continue
		}
		s.contact = c
		return fmt.Sprintf("%d match(es), first %q", len(list), str(c["name"])), nil
	}
	return "", fail(ruleContact, "no contact for %s (give --phone a number your CRM knows): %s", s.o.Phone, message(m))
}

func (s *sim) lookupUnknown(ctx context.Context) (string, error) {
	m, list, err := s.lookup(ctx, s.o.UnknownPhone)
	if err != nil {
		return "", err
	}
	if m["successful"] != true {
		return "", fail(rulePlaceholder, "successful:false for an unknown number: %s", message(m))
	}
	rm, _ := m["returnMessage"].(map[string]any)
	if rm == nil || rm["messageType"] != "warning" {
		return "", fail(rulePlaceholder, "no warning returnMessage: %s", message(m))
	}
	if s.ifaces != nil && s.ifaces["createContact"] == false {
		return message(m) + " (no createContact capability, so no placeholder)", nil
	}
	for _, c := range list {
		c, _ := c.(map[string]any)
		if c != nil && str(c["id"]) == "createNewContact" && c["isNewContact"] == true {
			return message(m) + " and the createNewContact placeholder", nil
		}
		if c != nil && c["isNewContact"] != true {
			return "", fail(rulePlaceholder, "%s matched %q: pass --unknown-phone a number no contact has", s.o.UnknownPhone, str(c["name"]))
		}
	}
	return "", fail(rulePlaceholder, "no createNewContact placeholder in %d entries", len(list))
}

// --- call log ---

func (s *sim) callBody(note string) map[string]any {
	if s.session == "" {
		s.session = "sim-" + s.run4
	}
	call := clientwire.Call{
		Start: time.Now().Add(-2 * time.Minute), Duration: 42 * time.Second, Direction: "Inbound", Result: "Call connected",
		From: clientwire.Party{PhoneNumber: s.o.Phone, Name: str(s.contact["name"])}, To: clientwire.Party{PhoneNumber: selfPhone, Name: "crmbridge sim"},
	}
	return map[string]any{
		"logInfo":              call.LogInfo("sim-call-"+s.run4, s.session, "s-sim-"+s.run4, ""),
		"note":                 note,
		"additionalSubmission": map[string]any{},
		"contactId":            s.contact["id"],
		"contactType":          str(s.contact["type"]),
		"contactName":          str(s.contact["name"]),
	}
}

func (s *sim) createLog(ctx context.Context) (string, error) {
	s.note = "Asked about the renewal (crmbridge sim)"
	r, err := s.do(ctx, http.MethodPost, "/callLog", s.q(), s.callBody(s.note))
	if err != nil {
		return "", err
	}
	m, err := envelope(r, "POST /callLog")
	if err != nil {
		return "", err
	}
	s.logID = str(m["logId"])
	if m["successful"] != true || s.logID == "" {
		return "", fail(ruleCallLog, "successful=%v logId=%q: %s", m["successful"], s.logID, message(m))
	}
	return "logId " + s.logID, nil
}

func (s *sim) patch(ctx context.Context, body map[string]any) (map[string]any, error) {
	r, err := s.do(ctx, http.MethodPatch, "/callLog", s.q(), body)
	if err != nil {
		return nil, err
	}
	m, err := envelope(r, "PATCH /callLog")
	if err != nil {
		return nil, err
	}
	if m["successful"] != true {
		return nil, fail(rulePatch, "successful:false: %s", message(m))
	}
	return m, nil
}

func (s *sim) editLog(ctx context.Context) (string, error) {
	s.note = "Asked about the renewal; call back Friday (crmbridge sim)"
	_, err := s.patch(ctx, map[string]any{"sessionId": s.session, "subject": "Renewal call", "note": s.note, "additionalSubmission": map[string]any{}})
	if err != nil {
		return "", err
	}
	return "note and subject saved", nil
}

// sweep is the client's 5-minute recording sweep: the recording link with
// an empty note.
func (s *sim) sweep(ctx context.Context) (string, error) {
	link := "https://media.example.com/recording/sim-" + s.run4
	_, err := s.patch(ctx, map[string]any{"sessionId": s.session, "recordingLink": link, "recordingDownloadLink": link + "/content", "note": ""})
	if err != nil {
		return "", err
	}
	return "recording link sent with \"note\":\"\"", nil
}

func (s *sim) rematch(ctx context.Context) (string, error) {
	unknown := "sim-none-" + s.run4
	r, err := s.do(ctx, http.MethodGet, "/callLog", s.q("sessionIds", s.session+","+unknown, "requireDetails", "true"), nil)
	if err != nil {
		return "", err
	}
	m, err := envelope(r, "GET /callLog")
	if err != nil {
		return "", err
	}
	logs, ok := m["logs"].([]any)
	if !ok || len(logs) != 2 {
		return "", fail(ruleRematch, "want logs as an array of 2, got %s", snippet(r.body))
	}
	first, _ := logs[0].(map[string]any)
	second, _ := logs[1].(map[string]any)
	if first == nil || str(first["sessionId"]) != s.session || first["matched"] != true || str(first["logId"]) != s.logID {
		return "", fail(ruleRematch, "first entry should match session %s with logId %s: %v", s.session, s.logID, first)
	}
	if second == nil || str(second["sessionId"]) != unknown || second["matched"] != false {
		return "", fail(ruleRematch, "second entry should be %s unmatched: %v", unknown, second)
	}
	data, _ := first["logData"].(map[string]any)
	if got := str(data["note"]); got != s.note {
		return "", fail(ruleNoErase, "the note after the recording sweep is %q, want the user's %q", got, s.note)
	}
	return "matched, the user's note intact", nil
}

func (s *sim) duplicateLog(ctx context.Context) (string, error) {
	if s.logID == "" {
		return "", fail(ruleDuplicate, "not run: the call lifecycle created no log")
	}
	r, err := s.do(ctx, http.MethodPost, "/callLog", s.q(), s.callBody(""))
	if err != nil {
		return "", err
	}
	m, err := envelope(r, "POST /callLog")
	if err != nil {
		return "", err
	}
	if m["successful"] != false {
		return "", fail(ruleDuplicate, "the second POST answered successful:%v (logId %q): the CRM record was created twice", m["successful"], str(m["logId"]))
	}
	if got := str(m["logId"]); got != s.logID {
		return "", fail(ruleDuplicate, "logId %q, want the existing %q", got, s.logID)
	}
	return "refused: " + message(m), nil
}

// --- SMS ---

func (s *sim) smsSteps() []step {
	base := time.Now().Truncate(time.Minute)
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
	first := n.Int64() + 1_000_000_000 // message ids are numbers; keep each run's apart
	msg := func(i int64, text string, at time.Time) map[string]any {
		return map[string]any{
			"id": first + i, "type": "SMS", "direction": "Inbound", "subject": text,
			"from": map[string]any{"phoneNumber": s.o.Phone}, "to": []any{map[string]any{"phoneNumber": selfPhone}},
			"creationTime": at.UnixMilli(), "lastModifiedTime": at.UnixMilli(), "messageStatus": "Received", "readStatus": "Read",
		}
	}
	// Newest first, as the client sends them.
	day := []any{msg(1, "Friday works", base.Add(-time.Minute)), msg(0, "Can we talk about the renewal?", base.Add(-2*time.Minute))}
	more := append([]any{msg(2, "Great, talk then", base)}, day...)
	post := func(messages []any, want []string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if s.contact == nil {
				return "", fail(ruleMessageLog, "not run: the lookup found no contact")
			}
			conv := "sim-conv-" + s.run4
			body := map[string]any{
				"logInfo": map[string]any{
					"conversationId":    conv,
					"conversationLogId": fmt.Sprintf("%s/%d/%d/%d", conv, base.Month(), base.Day(), base.Year()),
					"type":              "SMS",
					"messages":          messages,
					"correspondents":    []any{map[string]any{"phoneNumber": s.o.Phone}},
					"self":              map[string]any{"phoneNumber": selfPhone},
					"date":              base.Format("01/02/2006"),
				},
				"additionalSubmission": map[string]any{},
				"contactId":            s.contact["id"],
				"contactType":          str(s.contact["type"]),
				"contactName":          str(s.contact["name"]),
			}
			r, err := s.do(ctx, http.MethodPost, "/messageLog", s.q(), body)
			if err != nil {
				return "", err
			}
			m, err := envelope(r, "POST /messageLog")
			if err != nil {
				return "", err
			}
			ids, ok := m["logIds"].([]any)
			if m["successful"] != true || !ok {
				return "", fail(ruleMessageLog, "successful=%v logIds=%v: %s", m["successful"], m["logIds"], message(m))
			}
			got := map[string]bool{}
			for _, id := range ids {
				got[str(id)] = true
			}
			wantSet := map[string]bool{}
			for _, id := range want {
				wantSet[id] = true
			}
			if len(ids) != len(want) || len(got) != len(wantSet) {
				return "", fail(ruleMessageLog, "logIds %v, want %v", ids, want)
			}
			for id := range wantSet {
				if !got[id] {
					return "", fail(ruleMessageLog, "logIds %v, want %v", ids, want)
				}
			}
			return fmt.Sprintf("%d message(s) logged", len(ids)), nil
		}
	}
	id := func(i int64) string { return strconv.FormatInt(first+i, 10) }
	return []step{
		{"post the day", post(day, []string{id(0), id(1)})},
		{"re-post the same day", post(day, nil)},
		{"re-post with one new message", post(more, []string{id(2)})},
	}
}

// --- unknown routes ---

func (s *sim) unknownPath(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodGet, "/crmbridge-sim/no-such-route", s.q(), nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusNotFound {
		return "", statusErr(r, ruleUnknown, "GET /crmbridge-sim/no-such-route")
	}
	return "404", nil
}

func (s *sim) unknownMethod(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodDelete, "/callLog", s.q("sessionId", s.session), nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusNotFound {
		return "", statusErr(r, ruleUnknown, "DELETE /callLog")
	}
	return "404", nil
}

// --- logout ---

func (s *sim) logout(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodPost, "/unAuthorize", s.q(), nil)
	if err != nil {
		return "", err
	}
	m, err := envelope(r, "POST /unAuthorize")
	if err != nil {
		return "", err
	}
	if m["successful"] != true {
		return "", fail("§3 POST /unAuthorize answers successful:true", "successful:false: %s", message(m))
	}
	return message(m), nil
}

func (s *sim) afterLogout(ctx context.Context) (string, error) {
	r, err := s.do(ctx, http.MethodGet, "/contact", s.q("phoneNumber", s.o.Phone), nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusUnauthorized {
		return "", statusErr(r, ruleLogout, "GET /contact with the logged-out JWT")
	}
	return "401", nil
}
