package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// secretEnv is a full configuration whose every secret is recognisable.
func secretEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATABASE_URL":            "postgres://crm:db-password-9f3@127.0.0.1:1/crm?sslmode=disable",
		"APP_SERVER_SECRET_KEY":   "jwt-secret-7c1" + strings.Repeat("x", 40),
		"TOKEN_ENCRYPTION_KEY":    "k1:" + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"HASH_KEY":                "hash-secret-5e2" + strings.Repeat("y", 40),
		"PIPEDRIVE_CLIENT_ID":     "pd-client",
		"PIPEDRIVE_CLIENT_SECRET": "pd-secret-3a8",
		"PIPEDRIVE_REDIRECT_URL":  "https://app.example/redirect",
		"HUBSPOT_CLIENT_ID":       "hs-client",
		"HUBSPOT_CLIENT_SECRET":   "hs-secret-6d4",
		"HUBSPOT_REDIRECT_URL":    "https://app.example/hs-redirect",
	}
}

func noSecrets(t *testing.T, what, out string, env map[string]string) {
	t.Helper()
	for _, k := range []string{"APP_SERVER_SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "HASH_KEY", "PIPEDRIVE_CLIENT_SECRET", "HUBSPOT_CLIENT_SECRET"} {
		v := env[k]
		if strings.Contains(out, v) || strings.Contains(out, v[len(v)/2:]) {
			t.Errorf("%s shows the value of %s:\n%s", what, k, out)
		}
	}
	if strings.Contains(out, "db-password-9f3") {
		t.Errorf("%s shows the database password:\n%s", what, out)
	}
}

// -h prints the flags with "(set)" for secrets, never a value from the
// environment, tells how to generate keys, and exits 0 (errHelp).
func TestHelpShowsNoSecrets(t *testing.T) {
	t.Parallel()
	env := secretEnv(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-h"}, func(k string) string { return env[k] }, &stdout, &stderr, nil)
	if !errors.Is(err, errHelp) {
		t.Fatalf("run -h: %v, want errHelp (exit 0)", err)
	}
	out := stdout.String()
	noSecrets(t, "-h", out+stderr.String(), env)
	for _, want := range []string{"-secret-key", "APP_SERVER_SECRET_KEY", "(set)", "HASH_KEY", keygenCommand,
		"crmbridge-keys.json", "SERVER_URL or APP_SERVER", "debug, info, warn, error", "postgres://***@127.0.0.1:1/crm"} {
		if !strings.Contains(out, want) {
			t.Errorf("-h lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "(set)") != 5 {
		t.Errorf("want the five secrets shown as (set):\n%s", out)
	}
	if stderr.Len() != 0 {
		t.Errorf("-h wrote to stderr (the deployment's logs): %s", stderr.String())
	}
}

// A mistyped flag fails with a message naming the flag and pointing to -h,
// and prints nothing else: no help text with values into the logs.
func TestMistypedFlagPrintsNoSecrets(t *testing.T) {
	t.Parallel()
	env := secretEnv(t)
	for _, args := range [][]string{{"-secret-kye", "x"}, {"--token-key"}, {"-port", "1", "extra"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr, nil)
		if err == nil || errors.Is(err, errHelp) {
			t.Fatalf("%q: %v", args, err)
		}
		if !strings.Contains(err.Error(), "-h") {
			t.Errorf("%q: error does not point to -h: %v", args, err)
		}
		noSecrets(t, "a flag error", err.Error()+stdout.String()+stderr.String(), env)
		if stdout.Len()+stderr.Len() != 0 {
			t.Errorf("%q printed %q %q", args, stdout.String(), stderr.String())
		}
	}
}

// On PostgreSQL the server refuses to start unless the three keys are set,
// naming each missing one and the command that generates them; it refuses
// before connecting anywhere.
func TestPostgresRefusesWithoutKeys(t *testing.T) {
	for _, missing := range [][]string{
		{"APP_SERVER_SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "HASH_KEY"},
		{"HASH_KEY"},
		{"TOKEN_ENCRYPTION_KEY"},
		{"APP_SERVER_SECRET_KEY", "HASH_KEY"},
	} {
		env := secretEnv(t)
		for _, k := range missing {
			delete(env, k)
		}
		dir := t.TempDir()
		t.Chdir(dir)
		done, cancel := context.WithCancel(context.Background())
		cancel()
		err := run(done, []string{"-port", "0"}, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
		if err == nil {
			t.Fatalf("missing %v: started", missing)
		}
		msg := err.Error()
		for _, k := range missing {
			if !strings.Contains(msg, k) {
				t.Errorf("missing %v: message does not name %s: %s", missing, k, msg)
			}
		}
		for _, k := range []string{"APP_SERVER_SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "HASH_KEY"} {
			if env[k] != "" && strings.Contains(msg, k) {
				t.Errorf("missing %v: message names %s, which is set: %s", missing, k, msg)
			}
		}
		if !strings.Contains(msg, keygenCommand) {
			t.Errorf("message does not say how to generate keys: %s", msg)
		}
		noSecrets(t, "the refusal", msg, secretEnv(t))
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("the refused start wrote files into the working directory: %v", entries)
		}
	}
}

// Every value is checked at start, with the variable it came from and what
// it accepts.
func TestConfigValidation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := func() map[string]string {
		return map[string]string{"DATABASE_URL": filepath.Join(dir, "v.db"), "PORT": "0"}
	}
	for _, tc := range []struct {
		name  string
		set   map[string]string
		wants []string
	}{
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL", `"loud"`, "debug, info, warn, error"}},
		{"relative SERVER_URL", map[string]string{"SERVER_URL": "crm.example.com"}, []string{"SERVER_URL", "absolute"}},
		{"relative APP_SERVER", map[string]string{"APP_SERVER": "/adapter"}, []string{"APP_SERVER", "absolute"}},
		{"port", map[string]string{"PORT": "http"}, []string{"PORT", "0-65535"}},
		{"empty sqlite path", map[string]string{"DATABASE_URL": "sqlite:"}, []string{"DATABASE_URL", "sqlite:PATH"}},
		{"unknown scheme", map[string]string{"DATABASE_URL": "mysql://u:pw-7@h/db"}, []string{"DATABASE_URL", "mysql://***@h/db"}},
		{"pipedrive redirect", map[string]string{"PIPEDRIVE_REDIRECT_URL": "redirect"}, []string{"PIPEDRIVE_REDIRECT_URL", "absolute"}},
		{"short secret", map[string]string{"APP_SERVER_SECRET_KEY": "short"}, []string{"APP_SERVER_SECRET_KEY", "32 bytes", keygenCommand}},
		{"bad token key", map[string]string{"TOKEN_ENCRYPTION_KEY": "k1:nope"}, []string{"TOKEN_ENCRYPTION_KEY", "id:base64key", keygenCommand}},
		{"tracing exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, []string{"OTEL_TRACES_EXPORTER", "otlp and none"}},
	} {
		env := base()
		for k, v := range tc.set {
			env[k] = v
		}
		// A configuration accepted by mistake starts and stops at once.
		done, cancel := context.WithCancel(context.Background())
		cancel()
		err := run(done, nil, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, want := range tc.wants {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: message lacks %q: %v", tc.name, want, err)
			}
		}
	}
	// A flag is named as the flag.
	env := base()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	err := run(done, []string{"-port", "0", "-log-level", "chatty"}, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-log-level") {
		t.Errorf("flag value: %v", err)
	}
}

// With only one key configured, the other comes from the generated file,
// and both the warning and any error about it say so.
func TestOneKeyFromTheGeneratedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "one.db")
	_, stop, logs := start(t, map[string]string{"DATABASE_URL": db, "APP_SERVER_SECRET_KEY": strings.Repeat("s", 40)})
	stop()
	if !strings.Contains(logs.String(), "TOKEN_ENCRYPTION_KEY and HASH_KEY are not set and come from the generated key file") {
		t.Errorf("no warning naming the key taken from the file:\n%s", logs)
	}
	// A broken generated secret is reported as coming from the file.
	keyFile := filepath.Join(dir, "data", "crmbridge-keys.json")
	if err := os.WriteFile(keyFile, []byte(`{"APP_SERVER_SECRET_KEY":"short","TOKEN_ENCRYPTION_KEY":"k1:`+strings.Repeat("A", 43)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-port", "0"}, func(k string) string { return map[string]string{"DATABASE_URL": db}[k] }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "APP_SERVER_SECRET_KEY (from the generated key file "+keyFile+")") {
		t.Errorf("error about a generated key: %v", err)
	}
}

// A bare base64 TOKEN_ENCRYPTION_KEY is a ring of one key.
func TestBareTokenKeyAccepted(t *testing.T) {
	t.Parallel()
	k, err := auth.GenerateSealingKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	base, stop, _ := start(t, map[string]string{
		"DATABASE_URL":          filepath.Join(t.TempDir(), "bare.db"),
		"APP_SERVER_SECRET_KEY": strings.Repeat("s", 40),
		"TOKEN_ENCRYPTION_KEY":  base64.StdEncoding.EncodeToString(k.Secret),
	})
	walkThrough(t, base)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// APP_SERVER, the reference server's name, sets the public URL; SERVER_URL
// wins when both are set.
func TestAppServerAlias(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"APP_SERVER": "https://ref.example"}, "https://ref.example"},
		{map[string]string{"APP_SERVER": "https://ref.example", "SERVER_URL": "https://ours.example"}, "https://ours.example"},
	} {
		c, err := parse(nil, func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if c.ServerURL != tc.want {
			t.Errorf("%v: ServerURL = %q, want %q", tc.env, c.ServerURL, tc.want)
		}
	}
}

// A "file:" URI names the database file: it is created 0600 and the key
// file goes beside it, not into a directory called "file:".
func TestSQLiteFileURI(t *testing.T) {
	for in, want := range map[string]string{
		"x.db":                           "x.db",
		"file:x.db?mode=rwc":             "x.db",
		"file:/var/lib/a%20b.db?cache=1": "/var/lib/a b.db",
		"file:///var/lib/x.db":           "/var/lib/x.db",
		"file://localhost/var/x.db":      "/var/x.db",
	} {
		if got, ok := sqlite.FilePath(in); !ok || got != want {
			t.Errorf("sqlite.FilePath(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{":memory:", "file::memory:", "file:x?mode=memory", "file:x?vfs=memdb"} {
		if _, ok := sqlite.FilePath(in); ok {
			t.Errorf("sqlite.FilePath(%q) names a file", in)
		}
	}

	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join(dir, "store", "x.db")
	_, stop, _ := start(t, map[string]string{"DATABASE_URL": "sqlite:file:" + db + "?mode=rwc"})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, "store", "crmbridge-keys.json")); err != nil {
		t.Errorf("key file not beside the database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "file:")); err == nil {
		t.Errorf("a directory named file: was created")
	}
}

// Generated keys are accepted by the checks they are made for, and differ
// each time.
func TestGenerateKeys(t *testing.T) {
	t.Parallel()
	a, err := GenerateKeys("k7")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKeys("k7")
	if a == b || a.AppServerSecretKey == a.HashKey {
		t.Errorf("keys repeat: %+v %+v", a, b)
	}
	c := runConfig{SecretKey: a.AppServerSecretKey, TokenKey: a.TokenEncryptionKey, HashKey: a.HashKey, table: baseSettings, from: map[string]string{}}
	if err := c.validateKeys(); err != nil {
		t.Errorf("generated keys refused: %v", err)
	}
	if _, err := auth.NewJWTIssuer([]byte(a.AppServerSecretKey)); err != nil {
		t.Error(err)
	}
	if _, err := GenerateKeys(""); err == nil {
		t.Error("an empty token key id was accepted")
	}
}
