package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/internal/clientsim"
	"github.com/jackc/pgx/v5"
)

// lockedBuffer collects the server's log output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the server on a free port and returns its base URL and a stop
// function that shuts it down gracefully and returns run's error.
func start(t *testing.T, env map[string]string, args ...string) (string, func() error, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	getenv := func(k string) string { return env[k] }
	go func() { done <- run(ctx, append([]string{"-port", "0"}, args...), getenv, io.Discard, logs, ready) }()
	select {
	case addr := <-ready:
		stopped := false
		stop := func() error {
			if stopped {
				return nil
			}
			stopped = true
			cancel()
			return <-done
		}
		t.Cleanup(func() { stop() })
		return "http://" + addr, stop, logs
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start in 30 s\n%s", logs)
	}
	return "", nil, nil
}

func post(t *testing.T, url, body string) map[string]any {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %d %s", url, res.StatusCode, b)
	}
	return m
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// walkThrough is the README's curl walk-through: login, lookup, call log,
// message log.
func walkThrough(t *testing.T, base string) string {
	t.Helper()
	if code, body := get(t, base+"/isAlive"); code != 200 || body != "OK" {
		t.Fatalf("isAlive: %d %q", code, body)
	}
	login := post(t, base+"/apiKeyLogin", `{"platform":"testcrm","apiKey":"my-sandbox-key"}`)
	jwt, _ := login["jwtToken"].(string)
	if jwt == "" {
		t.Fatalf("login: %v", login)
	}
	code, body := get(t, base+"/contact?jwtToken="+jwt+"&phoneNumber=+16505551212")
	if code != 200 || !strings.Contains(body, `"Alice Anderson"`) {
		t.Fatalf("contact: %d %s", code, body)
	}
	code, body = get(t, base+"/contact?jwtToken="+jwt+"&phoneNumber=+16505551213&overridingFormat=(***)%20***-****")
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
	req, _ := http.NewRequest("PATCH", base+"/callLog?jwtToken="+jwt, strings.NewReader(`{"sessionId":"demo-1","note":"","recordingLink":"https://example.com/rec/1"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	patched, _ := io.ReadAll(res.Body)
	res.Body.Close()
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

func TestServerSQLiteNoSetup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "crmbridge.db")
	base, stop, logs := start(t, map[string]string{"DATABASE_URL": db})
	jwt := walkThrough(t, base)
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if !strings.Contains(logs.String(), "production must set") {
		t.Errorf("no warning about generated keys:\n%s", logs)
	}
	for _, secret := range []string{jwt, "my-sandbox-key", "6505551212"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q", secret)
		}
	}
	keyFile := filepath.Join(dir, "data", "crmbridge-keys.json")
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v %v, want mode 0600", fi.Mode().Perm(), err)
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

func TestServerGracefulShutdownFinishesInFlight(t *testing.T) {
	base, stop, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "db")})
	// Open a request, then stop while it is in flight: a slow client body
	// keeps it open until we finish writing it.
	pr, pw := io.Pipe()
	res := make(chan int, 1)
	go func() {
		r, err := http.Post(base+"/apiKeyLogin", "application/json", pr)
		if err != nil {
			res <- -1
			return
		}
		r.Body.Close()
		res <- r.StatusCode
	}()
	io.WriteString(pw, `{"platform":"testcrm",`)
	time.Sleep(300 * time.Millisecond) // let the server accept the connection and read the headers
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(100 * time.Millisecond)
	io.WriteString(pw, `"apiKey":"k"}`)
	pw.Close()
	if code := <-res; code != 200 {
		t.Errorf("in-flight request: %d", code)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestServerRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	for name, env := range map[string]map[string]string{
		"short secret":   {"DATABASE_URL": filepath.Join(dir, "a.db"), "APP_SERVER_SECRET_KEY": "short", "TOKEN_ENCRYPTION_KEY": "k1:" + strings.Repeat("A", 43)},
		"bad token key":  {"DATABASE_URL": filepath.Join(dir, "b.db"), "APP_SERVER_SECRET_KEY": strings.Repeat("s", 40), "TOKEN_ENCRYPTION_KEY": "nonsense"},
		"unknown scheme": {"DATABASE_URL": "mysql://u:secretpw@h/db"},
		"half pipedrive": {"DATABASE_URL": filepath.Join(dir, "c.db"), "PIPEDRIVE_CLIENT_ID": "id"},
		"half hubspot":   {"DATABASE_URL": filepath.Join(dir, "e.db"), "HUBSPOT_CLIENT_SECRET": "secret"},
		"bad log level":  {"DATABASE_URL": filepath.Join(dir, "d.db"), "LOG_LEVEL": "loud"},
	} {
		err := run(context.Background(), []string{"-port", "0"}, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}
}

// The HubSpot adapter is served when its OAuth client is configured.
func TestServerEnablesHubSpot(t *testing.T) {
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

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "crmbridge.db")
	_, stop, _ := start(t, map[string]string{"DATABASE_URL": db})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "data", "crmbridge-keys.json")
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-port", "0"}, func(k string) string { return map[string]string{"DATABASE_URL": db}[k] }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file: %v", err)
	}
}

func TestSecretFlagsWarn(t *testing.T) {
	_, stop, logs := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "db")},
		"-secret-key", strings.Repeat("s", 40))
	stop()
	if !strings.Contains(logs.String(), "visible in the process list") || strings.Contains(logs.String(), strings.Repeat("s", 40)) {
		t.Errorf("want a warning without the secret:\n%s", logs)
	}
}

func TestConfigFlagsOverrideEnv(t *testing.T) {
	env := map[string]string{"PORT": "7000", "APP_HOST": "0.0.0.0", "DATABASE_URL": "env.db"}
	c, err := parseConfig([]string{"-port", "7001", "-database-url", "flag.db"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != "7001" || c.Host != "0.0.0.0" || c.DatabaseURL != "flag.db" {
		t.Errorf("config: %+v", c)
	}
	for in, want := range map[string]string{
		"crmbridge.db":            "sqlite crmbridge.db",
		"sqlite:/var/lib/x.db":    "sqlite /var/lib/x.db",
		"sqlite:///var/lib/x.db":  "sqlite /var/lib/x.db",
		"postgres://u@h/db":       "postgres postgres://u@h/db",
		"postgresql://u@h/db?x=1": "postgres postgresql://u@h/db?x=1",
	} {
		kind, target, err := storeKind(in)
		if err != nil || kind+" "+target != want {
			t.Errorf("storeKind(%q) = %q %q %v, want %q", in, kind, target, err, want)
		}
	}
}

// TestServerPostgres starts the server on PostgreSQL when DATABASE_URL is a
// postgres:// URL (in a schema of its own, dropped afterwards).
func TestServerPostgres(t *testing.T) {
	dsn := os.Getenv("CRMBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("CRMBRIDGE_TEST_POSTGRES_DSN not set: skipping PostgreSQL tests")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("example_server_%d", time.Now().UnixNano())
	// Registered before anything can fail, run after the server stopped:
	// the schema goes, and the test checks that it is gone.
	t.Cleanup(func() {
		defer conn.Close(context.Background())
		dropAndCheckSchema(t, conn, schema)
	})
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

// dropAndCheckSchema drops schema and fails the test if it remains.
func dropAndCheckSchema(t *testing.T, conn *pgx.Conn, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("dropping schema %s: %v", schema, err)
	}
	var left bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&left); err != nil || left {
		t.Errorf("schema %s left behind (%v)", schema, err)
	}
}

// The SQLite file deleted under the running server: requests answer 503
// instead of writing into the unlinked file, and the log says why at ERROR.
func TestSQLiteFileDeletedWhileRunning(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "gone.db")
	base, stop, logs := start(t, map[string]string{"DATABASE_URL": db})
	jwt := walkThrough(t, base)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(db + suffix)
	}
	res, err := http.Post(base+"/callLog?jwtToken="+jwt, "application/json",
		strings.NewReader(`{"logInfo":{"sessionId":"after-delete","direction":"Inbound"},"contactId":"1001"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST /callLog after the file was deleted: %d %s, want 503", res.StatusCode, body)
	}
	stop()
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "removed or replaced") {
		t.Errorf("no ERROR log about the database file:\n%s", logs)
	}
}

// TestSimulator plays the client's scenarios (crmbridge sim) against the
// example server as it runs: every step passes.
func TestSimulator(t *testing.T) {
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
