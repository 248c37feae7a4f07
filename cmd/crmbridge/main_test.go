package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/auth"
)

// keysOutput runs "keys" and returns its NAME=value lines as a map.
func keysOutput(t *testing.T, args ...string) map[string]string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(append([]string{"keys"}, args...), &out, &errOut); err != nil {
		t.Fatalf("keys: %v %s", err, errOut.String())
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("line %q is not NAME=value", line)
		}
		m[name] = value
	}
	return m
}

// The printed values are accepted by what reads them: the session secret
// by auth.NewJWTIssuer, the token key by auth.ParseSealingKeyRing (with the id
// asked for), and every run gives new values.
func TestKeys(t *testing.T) {
	t.Parallel()
	a := keysOutput(t)
	if len(a) != 3 {
		t.Fatalf("want three values, got %v", a)
	}
	if _, err := auth.NewJWTIssuer([]byte(a["APP_SERVER_SECRET_KEY"])); err != nil {
		t.Errorf("APP_SERVER_SECRET_KEY refused: %v", err)
	}
	ring, err := auth.ParseSealingKeyRing(a["TOKEN_ENCRYPTION_KEY"])
	if err != nil {
		t.Fatalf("TOKEN_ENCRYPTION_KEY refused: %v", err)
	}
	if ring.PrimaryID() != "k1" {
		t.Errorf("key id %q, want k1", ring.PrimaryID())
	}
	if len(a["HASH_KEY"]) < auth.MinJWTSecretLength {
		t.Errorf("HASH_KEY is %d characters", len(a["HASH_KEY"]))
	}
	for name, v := range a {
		if strings.ContainsAny(v, " \"'$`\\=") {
			t.Errorf("%s has characters an environment file would mangle: %q", name, v)
		}
	}
	b := keysOutput(t, "-key-id", "k2")
	for name := range a {
		if a[name] == b[name] {
			t.Errorf("%s repeated across runs", name)
		}
	}
	if ring, err := auth.ParseSealingKeyRing(b["TOKEN_ENCRYPTION_KEY"] + "," + a["TOKEN_ENCRYPTION_KEY"]); err != nil || ring.PrimaryID() != "k2" {
		t.Errorf("rotation ring: %v", err)
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := run([]string{"nope"}, &out, &errOut); !errors.Is(err, errUsage) || !strings.Contains(errOut.String(), "keys") {
		t.Errorf("unknown command: %v %q", err, errOut.String())
	}
	out.Reset()
	if err := run([]string{"help"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "keys") {
		t.Errorf("help: %v %q", err, out.String())
	}
	if err := run(nil, &out, &errOut); !errors.Is(err, errUsage) {
		t.Errorf("no command: %v", err)
	}
	if err := run([]string{"keys", "-key-id", "bad id!"}, &out, &errOut); err == nil {
		t.Errorf("invalid key id accepted")
	}
	if err := run([]string{"keys", "extra"}, &out, &errOut); !errors.Is(err, errUsage) {
		t.Errorf("extra argument: %v", err)
	}
}
