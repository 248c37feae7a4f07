package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// renamed serves an adapter under another platform name: the optional
// adapters of the tests, without a CRM of their own.
type renamed struct {
	adapter.Adapter
	platform string
}

func (r renamed) Platform() string { return r.platform }

// oauthSeen records the OAuth clients the optional adapters were built
// with, by platform.
var oauthSeen sync.Map

// testProgram is a server of testcrm, with two optional OAuth adapters
// configured like the example server's Pipedrive and HubSpot.
func testProgram() Config {
	optional := func(platform string) func(OAuthClient, *slog.Logger) (adapter.Adapter, error) {
		return func(c OAuthClient, log *slog.Logger) (adapter.Adapter, error) {
			if log == nil {
				return nil, errors.New("no logger")
			}
			oauthSeen.Store(platform, c)
			return renamed{testcrm.New(testcrm.NewCRM()), platform}, nil
		}
	}
	return Config{
		Name:     "server",
		Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
		Configured: []Configured{
			whenSet(OAuthAdapter("Pipedrive", "PIPEDRIVE", optional("pipedrive"))),
			whenSet(OAuthAdapter("HubSpot", "HUBSPOT", optional("hubspot"))),
		},
	}
}

func whenSet(c Configured) Configured {
	c.Optional = true
	return c
}

// run runs testProgram as the tests of the example server's main did;
// listening, when not nil, is called with the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, listening func(addr string)) error {
	return testProgram().Run(ctx, Process{Args: args, Getenv: getenv, Stdout: stdout, Stderr: stderr, Listening: listening})
}

// parse reads testProgram's configuration.
func parse(args []string, getenv func(string) string) (runConfig, error) {
	prog := testProgram()
	table, err := prog.settings()
	if err != nil {
		return runConfig{}, err
	}
	return parseConfig(prog, table, args, getenv, io.Discard)
}

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
		return run(ctx, append([]string{"-port", "0"}, args...), getenv, io.Discard, logs, listening)
	})
	return base, stop, logs
}

// get and post fetch a URL of the running program; every answer is
// checked against the contract.
var (
	get  = servertest.Get
	post = servertest.PostJSON
)

// walkThrough logs in, looks a caller up, saves a setting and logs call
// demo-1: what the tests need of a running server. The README's whole
// walk-through runs in examples/server.
func walkThrough(t *testing.T, base string) string {
	t.Helper()
	jwt := servertest.SmokeTestCRM(t, base, "my-sandbox-key")
	saved := post(t, base+"/user/settings?jwtToken="+jwt, `{"userSettings":{"overridingPhoneNumberFormat":{"value":"***-***-****"}}}`)
	if !strings.Contains(fmt.Sprint(saved["userSettings"]), "value:***-***-****") {
		t.Fatalf("settings echo: %v", saved)
	}
	logged := post(t, base+"/callLog?jwtToken="+jwt, `{"logInfo":{"sessionId":"demo-1","direction":"Inbound","startTime":1764300000000,"duration":42,"from":{"phoneNumber":"+16505551212"},"to":{"phoneNumber":"+14155550199"}},"contactId":"1001","note":"First call"}`)
	if logged["successful"] != true || logged["logId"] == "" {
		t.Fatalf("callLog: %v", logged)
	}
	return jwt
}

func TestServerSQLiteNoSetup(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// An optional adapter is served when its settings are set, built from
// their values.
func TestOptionalConfiguredAdapter(t *testing.T) {
	base, stop, logs := start(t, map[string]string{
		"DATABASE_URL":      filepath.Join(t.TempDir(), "hs.db"),
		"HUBSPOT_CLIENT_ID": "hs-id", "HUBSPOT_CLIENT_SECRET": "hs-secret", "HUBSPOT_REDIRECT_URL": "https://app.example/redirect",
	})
	login := post(t, base+"/apiKeyLogin", `{"platform":"hubspot","apiKey":"k"}`)
	if login["jwtToken"] == nil {
		t.Errorf("login to the optional adapter: %v", login)
	}
	res, err := http.Post(base+"/apiKeyLogin", "application/json", strings.NewReader(`{"platform":"pipedrive","apiKey":"k"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("login to an optional adapter without settings: %d, want 400 (unknown platform)", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	got, _ := oauthSeen.Load("hubspot")
	if want := (OAuthClient{ClientID: "hs-id", ClientSecret: "hs-secret", RedirectURL: "https://app.example/redirect"}); got != want {
		t.Errorf("built with %+v, want %+v", got, want)
	}
	if !strings.Contains(logs.String(), "platforms=\"[testcrm hubspot]\"") || strings.Contains(logs.String(), "hs-secret") {
		t.Errorf("log:\n%s", logs)
	}
}

// A half-configured optional adapter names what is missing; a Config
// whose optional settings clash with serve's is refused.
func TestConfiguredAdapterMisconfigured(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := map[string]string{"PIPEDRIVE_CLIENT_ID": "id", "PIPEDRIVE_REDIRECT_URL": "https://app.example/r"}
	err := run(context.Background(), []string{"-port", "0"}, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "PIPEDRIVE_CLIENT_SECRET is not set") || strings.Contains(err.Error(), "PIPEDRIVE_CLIENT_ID is") {
		t.Errorf("half configured: %v", err)
	}
	// Refused before anything was generated or opened.
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused start wrote files: %v", entries)
	}
	for name, o := range map[string]Configured{
		"flag taken":  {Name: "X", Settings: []Setting{{Flag: "port", Env: "X_PORT"}}, New: func(map[string]string, *slog.Logger) (adapter.Adapter, error) { return nil, nil }},
		"env taken":   {Name: "X", Settings: []Setting{{Flag: "x-url", Env: "DATABASE_URL"}}, New: func(map[string]string, *slog.Logger) (adapter.Adapter, error) { return nil, nil }},
		"no settings": {Name: "X", New: func(map[string]string, *slog.Logger) (adapter.Adapter, error) { return nil, nil }},
		"no New":      {Name: "X", Settings: []Setting{{Flag: "x-id", Env: "X_ID"}}},
	} {
		c := Config{Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())}, Configured: []Configured{o}}
		if err := c.Run(context.Background(), Process{Args: []string{"-h"}}); err == nil || errors.Is(err, errHelp) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A required Configured adapter: the start is refused, before anything is
// made, until all its settings are set; then it is served, built from
// them.
func TestConfiguredAdapterRequired(t *testing.T) {
	t.Chdir(t.TempDir())
	var got map[string]string
	prog := Config{Configured: []Configured{{
		Name: "MyCRM",
		Settings: []Setting{
			{Flag: "mycrm-url", Env: "MYCRM_URL", Usage: "MyCRM's API", URL: true},
			{Flag: "mycrm-token", Env: "MYCRM_TOKEN", Usage: "MyCRM's service token", Secret: true},
		},
		New: func(v map[string]string, _ *slog.Logger) (adapter.Adapter, error) {
			got = v
			return renamed{testcrm.New(testcrm.NewCRM()), "mycrm"}, nil
		},
	}}}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "MyCRM needs MYCRM_URL and MYCRM_TOKEN; none of them is set"},
		{map[string]string{"MYCRM_URL": "https://api.mycrm.example"}, "MYCRM_TOKEN is not set"},
		{map[string]string{"MYCRM_URL": "api.mycrm.example", "MYCRM_TOKEN": "t-9c2"}, "MYCRM_URL"},
	} {
		err := prog.Run(context.Background(), Process{Args: []string{"-port", "0"}, Getenv: func(k string) string { return tc.env[k] }})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "t-9c2") {
			t.Errorf("%v: %v, want an error naming %q", tc.env, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 || got != nil {
		t.Errorf("a refused start made files %v or the adapter (%v)", entries, got)
	}
	var help bytes.Buffer
	if err := prog.Run(context.Background(), Process{Args: []string{"-h"}, Stdout: &help}); !errors.Is(err, errHelp) ||
		!strings.Contains(help.String(), "A crmbridge server for MyCRM.") || !strings.Contains(help.String(), "-mycrm-token  [MYCRM_TOKEN]") {
		t.Errorf("-h without the settings: %v\n%s", err, help.String())
	}

	env := map[string]string{"DATABASE_URL": "db", "MYCRM_URL": "https://api.mycrm.example", "MYCRM_TOKEN": "t-9c2"}
	ctx, cancel := context.WithCancel(context.Background())
	err := prog.Run(ctx, Process{Args: []string{"-port", "0"}, Getenv: func(k string) string { return env[k] },
		Listening: func(addr string) {
			login := post(t, "http://"+addr+"/apiKeyLogin", `{"platform":"mycrm","apiKey":"k"}`)
			if login["jwtToken"] == nil {
				t.Errorf("login: %v", login)
			}
			cancel()
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got["MYCRM_URL"] != "https://api.mycrm.example" || got["MYCRM_TOKEN"] != "t-9c2" {
		t.Errorf("built with %v", got)
	}
}

// Config.Options reach the handler after serve's own: a body limit set
// there is the one enforced.
func TestConfigOptionsReachTheHandler(t *testing.T) {
	t.Parallel()
	prog := testProgram()
	prog.Options = []httpserver.Option{httpserver.WithBodyLimit(64)}
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "o.db")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := prog.Run(ctx, Process{Args: []string{"-port", "0"}, Getenv: func(k string) string { return env[k] },
		Listening: func(addr string) {
			defer cancel()
			body := `{"platform":"testcrm","apiKey":"` + strings.Repeat("k", 640) + `"}`
			res, err := http.Post("http://"+addr+"/apiKeyLogin", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("a body of ten times the configured limit: %d, want 413", res.StatusCode)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// No adapter at all is refused before anything starts.
func TestNoAdapterRefused(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "n.db")}
	err := Config{}.Run(context.Background(), Process{Args: []string{"-port", "0"}, Getenv: func(k string) string { return env[k] }})
	if err == nil || !strings.Contains(err.Error(), "no adapter") {
		t.Errorf("no adapter: %v", err)
	}
}

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	_, stop, logs := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "db")},
		"-secret-key", strings.Repeat("s", 40))
	stop()
	if !strings.Contains(logs.String(), "visible in the process list") || strings.Contains(logs.String(), strings.Repeat("s", 40)) {
		t.Errorf("want a warning without the secret:\n%s", logs)
	}
}

func TestConfigFlagsOverrideEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PORT": "7000", "APP_HOST": "0.0.0.0", "DATABASE_URL": "env.db"}
	c, err := parse([]string{"-port", "7001", "-database-url", "flag.db"}, func(k string) string { return env[k] })
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
		"POSTGRES://u@h/db":       "postgres POSTGRES://u@h/db",
	} {
		kind, target, err := storeKind(in)
		if err != nil || kind+" "+target != want {
			t.Errorf("storeKind(%q) = %q %q %v, want %q", in, kind, target, err, want)
		}
	}
}

// A libpq keyword/value connection string is refused, never taken as a
// SQLite file name (which would hold the password and be private to one
// replica), and its password never appears in -h or the refusal.
func TestKeywordConnectionStringRefused(t *testing.T) {
	t.Parallel()
	const dsn = "host=db.internal user=app password=KVSECRET dbname=crm"
	for _, in := range []string{dsn, "dbname=crm", "  HOST=db sslmode=disable"} {
		if kind, _, err := storeKind(in); err == nil || !strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "KVSECRET") {
			t.Errorf("storeKind(%q) = %q, %v; want a refusal naming the URL form, without the password", in, kind, err)
		}
	}
	if got := redactURL(dsn); strings.Contains(got, "KVSECRET") {
		t.Errorf("redactURL(%q) = %q, shows the password", dsn, got)
	}
	if got := redactURL("host=h password='a b\\' c' dbname=x"); strings.Contains(got, "a b") {
		t.Errorf("a quoted password is shown: %q", got)
	}
}

// The SQLite file deleted under the running server: requests answer 503
// instead of writing into the unlinked file, and the log says why at ERROR.
func TestSQLiteFileDeletedWhileRunning(t *testing.T) {
	t.Parallel()
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
