package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/internal/clientsim"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/serve"
)

// start runs the server on a free port and returns its base URL, a stop
// function that shuts it down gracefully and returns run's error, and its
// log. A failed test shows the log.
func start(t *testing.T, env map[string]string, args ...string) (string, func() error, *servertest.LogBuffer) {
	t.Helper()
	logs := &servertest.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	getenv := func(k string) string { return env[k] }
	base, stop := servertest.Process(t, func(ctx context.Context, listening func(string)) error {
		p := serve.Process{Args: append([]string{"-port", "0"}, args...), Getenv: getenv, Stderr: logs, Listening: listening}
		return server().Run(ctx, p)
	})
	return base, stop, logs
}

// get and post fetch a URL of the running program; every answer is
// checked against the contract.
var (
	get  = servertest.Get
	post = servertest.PostJSON
)

// walkThrough is the README's curl walk-through: login, lookup, call log,
// message log.
func walkThrough(t *testing.T, base string) string {
	t.Helper()
	jwt := servertest.SmokeTestCRM(t, base, "my-sandbox-key")
	code, body := get(t, base+"/contact?jwtToken="+jwt+"&phoneNumber=+16505551213&overridingFormat=(***)%20***-****")
	if code != 200 || !strings.Contains(body, `"Bob Brown"`) {
		t.Fatalf("contact by format: %d %s", code, body)
	}
	// Step 4: settings; testcrm's default format finds Bob without an
	// overridingFormat, the user's own format replaces it.
	code, body = get(t, base+"/user/settings?jwtToken="+jwt)
	if code != 200 || body != `{"overridingPhoneNumberFormat":{"value":"(***) ***-****","defaultValue":"(***) ***-****"}}` {
		t.Fatalf("settings: %d %s", code, body)
	}
	code, body = get(t, base+"/contact?jwtToken="+jwt+"&phoneNumber=+16505551213")
	if code != 200 || !strings.Contains(body, `"Bob Brown"`) {
		t.Fatalf("contact by the default format: %d %s", code, body)
	}
	saved := post(t, base+"/user/settings?jwtToken="+jwt, `{"userSettings":{"overridingPhoneNumberFormat":{"value":"***-***-****"},"autoLogCall":{"value":true}}}`)
	if fmt.Sprint(saved["userSettings"]) != "map[autoLogCall:map[value:true] overridingPhoneNumberFormat:map[defaultValue:(***) ***-**** value:***-***-****]]" {
		t.Fatalf("settings echo: %v", saved)
	}
	code, body = get(t, base+"/contact?jwtToken="+jwt+"&phoneNumber=+16505551213")
	if code != 200 || !strings.Contains(body, `"Contact not found"`) {
		t.Fatalf("contact with the user's format: %d %s", code, body)
	}
	logged := post(t, base+"/callLog?jwtToken="+jwt, `{"logInfo":{"sessionId":"demo-1","direction":"Inbound","startTime":1764300000000,"duration":42,"from":{"phoneNumber":"+16505551212"},"to":{"phoneNumber":"+14155550199"}},"contactId":"1001","note":"First call"}`)
	if logged["successful"] != true || logged["logId"] == "" {
		t.Fatalf("callLog: %v", logged)
	}
	again := post(t, base+"/callLog?jwtToken="+jwt, `{"logInfo":{"sessionId":"demo-1"},"contactId":"1001"}`)
	if again["successful"] != false || again["logId"] != logged["logId"] {
		t.Fatalf("second callLog: %v", again)
	}
	patched := servertest.Fetch(t, "PATCH", base+"/callLog?jwtToken="+jwt, `{"sessionId":"demo-1","note":"","recordingLink":"https://example.com/rec/1"}`).Body
	// The recording goes into the record; the note the client reads back
	// stays the user's own.
	if !strings.Contains(string(patched), `"successful":true`) || !strings.Contains(string(patched), `"updatedNote":"First call"`) {
		t.Fatalf("patch: %s", patched)
	}
	code, body = get(t, base+"/callLog?jwtToken="+jwt+"&sessionIds=demo-1&requireDetails=true")
	if code != 200 || !strings.Contains(body, `"logData":{"subject":"Inbound call from Alice Anderson","note":"First call"}`) {
		t.Fatalf("callLog details: %d %s", code, body)
	}
	msgs := post(t, base+"/messageLog?jwtToken="+jwt, `{"logInfo":{"conversationId":"c1","conversationLogId":"c1/11/28/2026","type":"SMS","messages":[{"id":2,"direction":"Inbound","subject":"Thanks!","creationTime":"2026-11-28T10:01:00Z"},{"id":1,"direction":"Outbound","subject":"Hello","creationTime":"2026-11-28T10:00:00Z"}],"correspondents":[{"phoneNumber":"+16505551212"}]},"contactId":"1001"}`)
	if fmt.Sprint(msgs["logIds"]) != "[1 2]" {
		t.Fatalf("messageLog: %v", msgs)
	}
	return jwt
}

// TestServerSQLiteNoSetup runs the README's walk-through on a server
// started with nothing but a database path, then restarts it. The generated
// keys, their file modes and what the log must not hold are serve's to
// check (serve's test of the same name); this is the README's promise.
func TestServerSQLiteNoSetup(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "data", "crmbridge.db")
	base, stop, _ := start(t, map[string]string{"DATABASE_URL": db})
	jwt := walkThrough(t, base)
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}

	// A restart reuses the generated keys: the session and the sealed API
	// key from the first run still work, and the call log is remembered.
	base, stop, _ = start(t, map[string]string{"DATABASE_URL": "sqlite:" + db})
	// The README's "what a restart keeps and loses": the mapping and the
	// settings stay, testcrm's in-memory record is gone.
	code, body := get(t, base+"/callLog?jwtToken="+jwt+"&sessionIds=demo-1&requireDetails=true")
	if code != 200 || !strings.Contains(body, `"matched":true`) || strings.Contains(body, "logData") {
		t.Errorf("after restart: %d %s", code, body)
	}
	code, body = get(t, base+"/user/settings?jwtToken="+jwt)
	if code != 200 || !strings.Contains(body, `"value":"***-***-****"`) {
		t.Errorf("settings after restart: %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// The example's optional adapters are checked like serve's own settings:
// half a Pipedrive or HubSpot configuration stops the start, naming what
// is missing, and -h lists their flags with the secrets hidden.
func TestServerOptionalAdapters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"half pipedrive": {map[string]string{"DATABASE_URL": filepath.Join(dir, "c.db"), "PIPEDRIVE_CLIENT_ID": "id"}, "PIPEDRIVE_CLIENT_SECRET and PIPEDRIVE_REDIRECT_URL are not set"},
		"half hubspot":   {map[string]string{"DATABASE_URL": filepath.Join(dir, "e.db"), "HUBSPOT_CLIENT_SECRET": "secret"}, "HUBSPOT_CLIENT_ID and HUBSPOT_REDIRECT_URL are not set"},
		"relative url":   {map[string]string{"DATABASE_URL": filepath.Join(dir, "f.db"), "HUBSPOT_REDIRECT_URL": "redirect"}, "HUBSPOT_REDIRECT_URL"},
	} {
		err := server().Run(context.Background(), serve.Process{Args: []string{"-port", "0"}, Getenv: func(k string) string { return tc.env[k] }})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret\"") {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.want)
		}
	}
	var help strings.Builder
	env := map[string]string{"PIPEDRIVE_CLIENT_SECRET": "pd-secret-3a8"}
	err := server().Run(context.Background(), serve.Process{Args: []string{"-h"}, Getenv: func(k string) string { return env[k] }, Stdout: &help})
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "-pipedrive-client-secret  [PIPEDRIVE_CLIENT_SECRET]") ||
		!strings.Contains(help.String(), "-hubspot-redirect-url") || strings.Contains(help.String(), "pd-secret-3a8") {
		t.Errorf("-h: %v\n%s", err, help.String())
	}
}

// The HubSpot adapter is served when its OAuth client is configured.
func TestServerEnablesHubSpot(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, map[string]string{
		"DATABASE_URL":      filepath.Join(t.TempDir(), "hs.db"),
		"HUBSPOT_CLIENT_ID": "hs-id", "HUBSPOT_CLIENT_SECRET": "hs-secret", "HUBSPOT_REDIRECT_URL": "https://app.example/redirect",
	})
	res, err := http.Get(base + "/crmManifest?platformName=hubspot")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"clientId":"hs-id"`) || strings.Contains(string(b), "hs-secret") {
		t.Errorf("manifest: %d %s", res.StatusCode, b)
	}
}

// TestServerPostgres starts the server on PostgreSQL when DATABASE_URL is a
// postgres:// URL (in a schema of its own, dropped afterwards).
func TestServerPostgres(t *testing.T) {
	t.Parallel()
	dsn := servertest.NeedPostgres(t)
	// Registered first, run after the server stopped: the schema goes, and
	// servertest checks that it is gone.
	schema := servertest.NewSchema(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	keys := map[string]string{
		"DATABASE_URL":          dsn + sep + "search_path=" + schema,
		"APP_SERVER_SECRET_KEY": strings.Repeat("s", 40),
		"TOKEN_ENCRYPTION_KEY":  "k1:" + strings.Repeat("A", 43),
		"HASH_KEY":              strings.Repeat("h", 40),
	}
	base, stop, logs := start(t, keys)
	walkThrough(t, base)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "store=postgres") {
		t.Errorf("not on postgres:\n%s", logs)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", schema).Scan(&n); err != nil || n == 0 {
		t.Errorf("no tables in %s: %d %v", schema, n, err)
	}
}

// TestSimulator plays the client's scenarios (crmbridge sim) against the
// example server as it runs: every step passes.
func TestSimulator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base, _, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(dir, "sim.db")})
	rep := clientsim.Run(context.Background(), clientsim.Options{Server: base, APIKey: "sim-key", Platform: "testcrm"})
	var b bytes.Buffer
	rep.WriteText(&b)
	t.Logf("simulator report:\n%s", b.String())
	for _, sc := range rep.Scenarios {
		for _, st := range sc.Steps {
			t.Run(sc.Name+"/"+st.Name, func(t *testing.T) {
				if !st.OK {
					t.Errorf("failed: %s (rule: %s)", st.Detail, st.Rule)
				}
			})
		}
	}
	if len(rep.Scenarios) != 8 || rep.Failed != 0 || rep.Passed != 21 {
		t.Errorf("%d scenarios, %d passed, %d failed; want 8, 21, 0", len(rep.Scenarios), rep.Passed, rep.Failed)
	}
}
