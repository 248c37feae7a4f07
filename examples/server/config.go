package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/crmbridge/crmbridge/auth"
)

// config is the server's configuration. Environment variables carry the
// names the reference server uses, so existing deployment files keep
// working; each has a flag that overrides it.
type config struct {
	Host          string // APP_HOST
	Port          string // PORT
	ServerURL     string // SERVER_URL: public URL served in the manifest
	SecretKey     string // APP_SERVER_SECRET_KEY: signs session JWTs
	DatabaseURL   string // DATABASE_URL: SQLite path, sqlite: URL or postgres:// URL
	TokenKey      string // TOKEN_ENCRYPTION_KEY: "id:base64key[,id:base64key...]"
	HashKey       string // HASH_KEY: keys the telephony account and extension hashes
	RCServer      string // RINGCENTRAL_SERVER: where admin tokens are validated
	LogLevel      string // LOG_LEVEL: debug, info, warn, error
	MetricsAddr   string // METRICS_ADDR: "" serves /metrics on the main address, "off" not at all
	KeyFile       string // where generated keys are kept when none are configured
	Pipedrive     pipedriveConfig
	HubSpot       hubspotConfig
	generatedKeys bool
	secretFlags   []string // secrets given as flags, which other local users can read
}

// pipedriveConfig enables the Pipedrive adapter when ClientID is set.
type pipedriveConfig struct {
	ClientID     string // PIPEDRIVE_CLIENT_ID
	ClientSecret string // PIPEDRIVE_CLIENT_SECRET
	RedirectURL  string // PIPEDRIVE_REDIRECT_URL
}

// hubspotConfig enables the HubSpot adapter when ClientID is set.
type hubspotConfig struct {
	ClientID     string // HUBSPOT_CLIENT_ID
	ClientSecret string // HUBSPOT_CLIENT_SECRET
	RedirectURL  string // HUBSPOT_REDIRECT_URL
}

const defaultDatabase = "crmbridge-data/crmbridge.db"

// parseConfig reads the environment, then the flags.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Host, "host", env("APP_HOST", "127.0.0.1"), "address to listen on (APP_HOST)")
	fs.StringVar(&c.Port, "port", env("PORT", "6066"), "port to listen on (PORT)")
	fs.StringVar(&c.ServerURL, "server-url", env("SERVER_URL", ""), "public URL of this server, for the manifest (SERVER_URL)")
	fs.StringVar(&c.SecretKey, "secret-key", env("APP_SERVER_SECRET_KEY", ""), "secret that signs session JWTs, at least 32 bytes (APP_SERVER_SECRET_KEY; prefer the variable: flags show in the process list)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", defaultDatabase), "SQLite path, sqlite: URL, or postgres:// URL (DATABASE_URL)")
	fs.StringVar(&c.TokenKey, "token-key", env("TOKEN_ENCRYPTION_KEY", ""), "key ring that seals CRM tokens at rest: id:base64key[,older...] (TOKEN_ENCRYPTION_KEY; prefer the variable)")
	fs.StringVar(&c.HashKey, "hash-key", env("HASH_KEY", ""), "key of the telephony account and extension hashes; keep it stable (HASH_KEY; prefer the variable)")
	fs.StringVar(&c.RCServer, "ringcentral-server", env("RINGCENTRAL_SERVER", "https://platform.ringcentral.com"), "RingCentral platform URL that validates admins (RINGCENTRAL_SERVER)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("METRICS_ADDR", ""), "host:port serving Prometheus metrics at /metrics; empty serves them on the main address, off turns them off (METRICS_ADDR)")
	fs.StringVar(&c.Pipedrive.ClientID, "pipedrive-client-id", env("PIPEDRIVE_CLIENT_ID", ""), "enables the Pipedrive adapter (PIPEDRIVE_CLIENT_ID)")
	fs.StringVar(&c.Pipedrive.ClientSecret, "pipedrive-client-secret", env("PIPEDRIVE_CLIENT_SECRET", ""), "Pipedrive OAuth client secret (PIPEDRIVE_CLIENT_SECRET; prefer the variable)")
	fs.StringVar(&c.Pipedrive.RedirectURL, "pipedrive-redirect-url", env("PIPEDRIVE_REDIRECT_URL", ""), "Pipedrive OAuth redirect URL (PIPEDRIVE_REDIRECT_URL)")
	fs.StringVar(&c.HubSpot.ClientID, "hubspot-client-id", env("HUBSPOT_CLIENT_ID", ""), "enables the HubSpot adapter (HUBSPOT_CLIENT_ID)")
	fs.StringVar(&c.HubSpot.ClientSecret, "hubspot-client-secret", env("HUBSPOT_CLIENT_SECRET", ""), "HubSpot OAuth client secret (HUBSPOT_CLIENT_SECRET; prefer the variable)")
	fs.StringVar(&c.HubSpot.RedirectURL, "hubspot-redirect-url", env("HUBSPOT_REDIRECT_URL", ""), "HubSpot OAuth redirect URL (HUBSPOT_REDIRECT_URL)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "secret-key", "token-key", "hash-key", "pipedrive-client-secret", "hubspot-client-secret":
			c.secretFlags = append(c.secretFlags, f.Name)
		}
	})
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, nil
}

// storeKind tells which store a DATABASE_URL selects and its DSN or path.
func storeKind(databaseURL string) (kind, target string, err error) {
	u := strings.TrimSpace(databaseURL)
	switch {
	case u == "":
		return "", "", errors.New("DATABASE_URL is empty")
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "postgres", u, nil
	case strings.HasPrefix(u, "sqlite://"):
		return "sqlite", strings.TrimPrefix(u, "sqlite://"), nil
	case strings.HasPrefix(u, "sqlite:"):
		return "sqlite", strings.TrimPrefix(u, "sqlite:"), nil
	case strings.Contains(u, "://"):
		return "", "", fmt.Errorf("DATABASE_URL %q: unsupported scheme (use a file path, sqlite:PATH or postgres://...)", redactURL(u))
	default:
		return "sqlite", u, nil
	}
}

// redactURL drops credentials from a URL before it is printed.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "***@" + rest[at+1:]
	}
	return scheme + "://" + rest
}

// generatedKeys is the file that keeps keys generated on first start.
type generatedKeys struct {
	AppServerSecretKey string `json:"APP_SERVER_SECRET_KEY"`
	TokenEncryptionKey string `json:"TOKEN_ENCRYPTION_KEY"`
	HashKey            string `json:"HASH_KEY,omitempty"`
}

// ensureKeys fills in missing keys from the key file beside the database,
// generating and saving them (mode 0600) the first time. Production sets
// both keys explicitly; the file only makes the no-setup start work and
// keeps sessions and sealed tokens valid across restarts.
func (c *config) ensureKeys(dbPath string) error {
	if c.SecretKey != "" && c.TokenKey != "" && c.HashKey != "" {
		return nil
	}
	dir := "crmbridge-data"
	if dbPath != "" {
		dir = filepath.Dir(dbPath)
	}
	c.KeyFile = filepath.Join(dir, "crmbridge-keys.json")
	var keys generatedKeys
	b, err := os.ReadFile(c.KeyFile)
	switch {
	case err == nil:
		if fi, err := os.Stat(c.KeyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("%s is readable by other users (mode %v): chmod 600 it", c.KeyFile, fi.Mode().Perm())
		}
		if err := json.Unmarshal(b, &keys); err != nil {
			return fmt.Errorf("reading generated keys from %s: %w", c.KeyFile, err)
		}
	case errors.Is(err, os.ErrNotExist):
		secret := make([]byte, 48)
		if _, err := randRead(secret); err != nil {
			return err
		}
		key, err := auth.GenerateKey("k1")
		if err != nil {
			return err
		}
		hashKey, err := newHashKey()
		if err != nil {
			return err
		}
		keys = generatedKeys{
			AppServerSecretKey: base64.RawURLEncoding.EncodeToString(secret),
			TokenEncryptionKey: key.String(),
			HashKey:            hashKey,
		}
		b, _ := json.MarshalIndent(keys, "", "  ")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		if err := writeFileExclusive(c.KeyFile, append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("saving generated keys: %w", err)
		}
	default:
		return fmt.Errorf("reading generated keys: %w", err)
	}
	if c.SecretKey == "" {
		c.SecretKey = keys.AppServerSecretKey
	}
	if c.TokenKey == "" {
		c.TokenKey = keys.TokenEncryptionKey
	}
	if c.HashKey == "" {
		if keys.HashKey == "" {
			// A key file from before HASH_KEY existed: add one, keeping
			// the other keys.
			if keys.HashKey, err = newHashKey(); err != nil {
				return err
			}
			b, _ := json.MarshalIndent(keys, "", "  ")
			if err := replaceFile(c.KeyFile, append(b, '\n'), 0o600); err != nil {
				return fmt.Errorf("saving generated keys: %w", err)
			}
		}
		c.HashKey = keys.HashKey
	}
	c.generatedKeys = true
	return nil
}

// newHashKey generates a HASH_KEY: 32 random bytes, base64.
func newHashKey() (string, error) {
	b := make([]byte, 32)
	if _, err := randRead(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// replaceFile writes path atomically (a temporary file renamed over it).
func replaceFile(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := writeFileExclusive(tmp, data, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeFileExclusive creates path with mode perm, failing if it exists, so
// two servers starting together never overwrite each other's keys.
func writeFileExclusive(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
