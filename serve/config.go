package serve

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/auth"
)

// errHelp is returned by parseConfig after printing the help for -h: the
// program exits 0.
var errHelp = flag.ErrHelp

// runConfig is one run's configuration. Environment variables carry the
// names the reference server uses, so existing deployment files keep
// working; each has a flag that overrides it.
type runConfig struct {
	Host        string // APP_HOST
	Port        string // PORT
	ServerURL   string // SERVER_URL or APP_SERVER: public URL served in the manifest
	SecretKey   string // APP_SERVER_SECRET_KEY: signs session JWTs
	DatabaseURL string // DATABASE_URL: SQLite path, sqlite: URL or postgres:// URL
	TokenKey    string // TOKEN_ENCRYPTION_KEY: "id:base64key[,id:base64key...]" or one bare base64 key
	HashKey     string // HASH_KEY: keys the telephony account and extension hashes
	RCServer    string // RINGCENTRAL_SERVER: where admin tokens are validated
	LogLevel    string // LOG_LEVEL: debug, info, warn, error
	MetricsAddr string // METRICS_ADDR: "" serves /metrics on the main address, "off" not at all
	KeyFile     string // where generated keys are kept when none are configured
	// Playground serves the try-it page under /playground (PLAYGROUND,
	// -playground); set by validate from the text of the setting.
	Playground     bool
	playgroundText string

	// configured holds the Configured adapters' settings, by variable name.
	configured map[string]*string
	// table is the settings this run knows: serve's own, then the
	// Configured adapters'.
	table []setting
	// from names the variable (or flag) each value came from, by setting
	// flag, for messages; "" for a default.
	from map[string]string
	// generated lists the key variables taken from KeyFile.
	generated   []string
	secretFlags []string // secrets given as flags, which other local users can read
	program     string   // the program's name, for -h
	description string   // what -h says the program serves
}

// usesGeneratedKeys reports whether any key came from the generated file.
func (c *runConfig) usesGeneratedKeys() bool { return len(c.generated) > 0 }

const defaultDatabase = "crmbridge-data/crmbridge.db"

// setting is one configuration value: its flag, its environment variables
// (the first is its name; later ones are accepted aliases), its default
// and how -h may show it.
type setting struct {
	flag   string
	envs   []string
	def    string
	dst    func(*runConfig) *string
	usage  string
	secret bool // -h shows "(set)" or "(not set)", never the value
	url    bool // -h shows the value without credentials
	// absolute: a value set must be an absolute http(s) URL.
	absolute bool
	// boolean lets the flag stand alone (-playground means true).
	boolean bool
}

// baseSettings are serve's own settings, with the reference server's
// variable names.
var baseSettings = []setting{
	{flag: "host", envs: []string{"APP_HOST"}, def: "127.0.0.1", dst: func(c *runConfig) *string { return &c.Host },
		usage: "address to listen on"},
	{flag: "port", envs: []string{"PORT"}, def: "6066", dst: func(c *runConfig) *string { return &c.Port },
		usage: "port to listen on, 0-65535 (0: any free port)"},
	{flag: "server-url", envs: []string{"SERVER_URL", "APP_SERVER"}, dst: func(c *runConfig) *string { return &c.ServerURL },
		usage: "public absolute URL of this server, served in the manifest (default: from each request's Host)"},
	{flag: "secret-key", envs: []string{"APP_SERVER_SECRET_KEY"}, dst: func(c *runConfig) *string { return &c.SecretKey }, secret: true,
		usage: "secret that signs session JWTs, at least 32 bytes"},
	{flag: "token-key", envs: []string{"TOKEN_ENCRYPTION_KEY"}, dst: func(c *runConfig) *string { return &c.TokenKey }, secret: true,
		usage: "key ring sealing CRM tokens and API keys at rest: id:base64key[,older-id:base64key...], or one bare base64 key of 32 bytes"},
	{flag: "hash-key", envs: []string{"HASH_KEY"}, dst: func(c *runConfig) *string { return &c.HashKey }, secret: true,
		usage: "key of the telephony account and extension hashes (/userInfoHash); admin settings are stored under them, so keep it stable"},
	{flag: "ringcentral-server", envs: []string{"RINGCENTRAL_SERVER"}, def: "https://platform.ringcentral.com", dst: func(c *runConfig) *string { return &c.RCServer },
		usage: "RingCentral platform URL that validates admins, absolute"},
	{flag: "database-url", envs: []string{"DATABASE_URL"}, def: defaultDatabase, dst: func(c *runConfig) *string { return &c.DatabaseURL }, url: true,
		usage: "SQLite path, sqlite:PATH or sqlite:file:PATH?..., or postgres://... URL"},
	{flag: "playground", envs: []string{"PLAYGROUND"}, def: "false", dst: func(c *runConfig) *string { return &c.playgroundText }, boolean: true,
		usage: "serve the playground page under /playground, for development only: true or false"},
	{flag: "log-level", envs: []string{"LOG_LEVEL"}, def: "info", dst: func(c *runConfig) *string { return &c.LogLevel },
		usage: "one of " + strings.Join(logLevels, ", ")},
	{flag: "metrics-addr", envs: []string{"METRICS_ADDR"}, dst: func(c *runConfig) *string { return &c.MetricsAddr },
		usage: "host:port serving Prometheus metrics at /metrics; empty serves them on the main address, off turns them off"},
}

var logLevels = []string{"debug", "info", "warn", "error"}

// settings is serve's own settings followed by the Configured adapters',
// checked for clashes: two settings with one flag or variable would make
// one of them unreachable.
func (c Config) settings() ([]setting, error) {
	table := append([]setting(nil), baseSettings...)
	flags, envs := map[string]bool{}, map[string]bool{}
	for _, s := range baseSettings {
		flags[s.flag] = true
		for _, e := range s.envs {
			envs[e] = true
		}
	}
	for _, o := range c.Configured {
		if o.Name == "" || o.New == nil || len(o.Settings) == 0 {
			return nil, fmt.Errorf("serve: configured adapter %q needs a Name, a New and at least one Setting", o.Name)
		}
		for _, s := range o.Settings {
			switch {
			case s.Flag == "" || s.Env == "":
				return nil, fmt.Errorf("serve: configured adapter %s: a setting without its Flag or Env", o.Name)
			case flags[s.Flag]:
				return nil, fmt.Errorf("serve: configured adapter %s: flag -%s is already taken", o.Name, s.Flag)
			case envs[s.Env]:
				return nil, fmt.Errorf("serve: configured adapter %s: variable %s is already taken", o.Name, s.Env)
			}
			flags[s.Flag], envs[s.Env] = true, true
			env := s.Env
			table = append(table, setting{flag: s.Flag, envs: []string{env}, usage: s.Usage, secret: s.Secret, absolute: s.URL,
				dst: func(c *runConfig) *string { return c.configured[env] }})
		}
	}
	return table, nil
}

// stringFlag records a flag's value without a default, so that flag's own
// help (which this program never prints) could not show one either.
type stringFlag struct {
	v       string
	set     bool
	boolean bool
}

func (f *stringFlag) String() string     { return "" }
func (f *stringFlag) Set(s string) error { f.v, f.set = s, true; return nil }

// IsBoolFlag lets a boolean setting's flag stand alone (package flag then
// sets it to "true").
func (f *stringFlag) IsBoolFlag() bool { return f.boolean }

// parseConfig reads the environment, then the flags. For -h it prints the
// help to help and returns errHelp. A flag error says what was wrong and
// points to -h; it never prints values.
func parseConfig(prog Config, table []setting, args []string, getenv func(string) string, help io.Writer) (runConfig, error) {
	fs := flag.NewFlagSet(prog.name(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	flags := make([]*stringFlag, len(table))
	for i, s := range table {
		flags[i] = &stringFlag{boolean: s.boolean}
		fs.Var(flags[i], s.flag, s.usage)
	}
	err := fs.Parse(args)
	c := runConfig{from: map[string]string{}, configured: map[string]*string{}, table: table,
		program: prog.name(), description: prog.description()}
	for _, o := range prog.Configured {
		for _, s := range o.Settings {
			c.configured[s.Env] = new(string)
		}
	}
	for i, s := range table {
		dst := s.dst(&c)
		switch {
		case flags[i].set:
			*dst = flags[i].v
			c.from[s.flag] = "-" + s.flag
			if s.secret {
				c.secretFlags = append(c.secretFlags, s.flag)
			}
		default:
			*dst = s.def
			for _, env := range s.envs {
				if v := getenv(env); v != "" {
					*dst, c.from[s.flag] = v, env
					break
				}
			}
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		printHelp(help, &c)
		return runConfig{}, errHelp
	}
	if err != nil {
		// flag's messages name the flag, never a value of ours.
		return runConfig{}, fmt.Errorf("%w: %w (run with -h for the flags)", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return runConfig{}, fmt.Errorf("%w: unexpected arguments %q (run with -h for the flags)", ErrUsage, fs.Args())
	}
	return c, nil
}

// description says in -h what the program serves.
func (c Config) description() string {
	var names []string
	for _, a := range c.Adapters {
		names = append(names, a.Platform())
	}
	for _, o := range c.Configured {
		if o.Optional {
			names = append(names, o.Name+" (when configured)")
		} else {
			names = append(names, o.Name)
		}
	}
	if len(names) == 0 {
		return "A crmbridge server."
	}
	return "A crmbridge server for " + strings.Join(names, ", ") + "."
}

// printHelp lists the flags with their variables and current values;
// secrets show only whether they are set.
func printHelp(w io.Writer, c *runConfig) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s Each flag overrides its environment variable.\n\n", c.program, c.description)
	for _, s := range c.table {
		v := *s.dst(c)
		shown := strconv.Quote(v)
		switch {
		case s.secret && v != "":
			shown = "(set)"
		case s.secret:
			shown = "(not set)"
		case s.url:
			shown = strconv.Quote(redactURL(v))
		case v == "":
			shown = "(not set)"
		}
		fmt.Fprintf(w, "  -%s  [%s]\n    \t%s\n    \tcurrent: %s\n", s.flag, strings.Join(s.envs, " or "), s.usage, shown)
	}
	fmt.Fprintf(w, `
Keys: APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY. Generate fresh
values with

    %s

which prints them in the expected formats, ready for an environment file.
Prefer the environment to the flags: flags show in the process list.
On SQLite, missing keys are generated once into crmbridge-keys.json (mode 0600)
beside the database, so a laptop needs no setup. On PostgreSQL the server
refuses to start without all three: every replica must use the same keys.
`, keygenCommand)
}

// validate checks every value once, before anything starts, with a message
// naming the variable and what it accepts.
func (c *runConfig) validate() error {
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", c.name(name), fmt.Sprintf(format, a...)))
	}
	if c.Host != "" && strings.ContainsAny(c.Host, " /:?#@") && net.ParseIP(c.Host) == nil {
		bad("host", "%q is not a host name or IP address", c.Host)
	}
	if n, err := strconv.Atoi(c.Port); err != nil || n < 0 || n > 65535 {
		bad("port", "%q is not a port number (0-65535)", c.Port)
	}
	if !absoluteURL(c.RCServer) {
		bad("ringcentral-server", "%q is not an absolute http(s) URL", redactURL(c.RCServer))
	}
	if c.ServerURL != "" && !absoluteURL(c.ServerURL) {
		bad("server-url", "%q is not an absolute http(s) URL such as https://crm.example.com", redactURL(c.ServerURL))
	}
	if !validLevel(c.LogLevel) {
		bad("log-level", "%q is not one of %s", c.LogLevel, strings.Join(logLevels, ", "))
	}
	if _, _, err := storeKind(c.DatabaseURL); err != nil {
		errs = append(errs, err)
	}
	for _, s := range c.table {
		if v := *s.dst(c); s.absolute && v != "" && !absoluteURL(v) {
			bad(s.flag, "%q is not an absolute http(s) URL", redactURL(v))
		}
	}
	if b, err := strconv.ParseBool(strings.TrimSpace(c.playgroundText)); err != nil {
		bad("playground", "%q is not true or false", c.playgroundText)
	} else {
		c.Playground = b
	}
	return errors.Join(errs...)
}

// validateKeys checks the keys, after the generated file filled in any.
func (c *runConfig) validateKeys() error {
	var errs []error
	if len(c.SecretKey) < auth.MinJWTSecretLength {
		errs = append(errs, fmt.Errorf("%s: at least %d bytes, got %d; generate one with: %s",
			c.name("secret-key"), auth.MinJWTSecretLength, len(c.SecretKey), keygenCommand))
	}
	if _, err := auth.ParseSealingKeyRing(c.TokenKey); err != nil {
		errs = append(errs, fmt.Errorf("%s: want id:base64key[,older-id:base64key...] or one bare base64 key of %d bytes (%w); generate one with: %s",
			c.name("token-key"), auth.SealingKeySize, err, keygenCommand))
	}
	return errors.Join(errs...)
}

// requireKeys refuses to run without explicit keys: on a shared database,
// keys generated per process differ between replicas and restarts.
func (c *runConfig) requireKeys(store string) error {
	var missing []string
	for _, k := range []struct{ name, v string }{
		{"APP_SERVER_SECRET_KEY", c.SecretKey},
		{"TOKEN_ENCRYPTION_KEY", c.TokenKey},
		{"HASH_KEY", c.HashKey},
	} {
		if k.v == "" {
			missing = append(missing, k.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("on %s every replica must use the same keys, and %s not set: %s. "+
		"Generate them with: %s (it prints all three; keep them in your secret store)",
		store, plural(len(missing), "this is", "these are"), strings.Join(missing, ", "), keygenCommand)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// name is the variable (or flag) a setting came from, for messages, and
// says when it came from the generated key file.
func (c *runConfig) name(flagName string) string {
	var s setting
	for _, x := range c.table {
		if x.flag == flagName {
			s = x
		}
	}
	from := c.from[flagName]
	switch {
	case from == "generated":
		return s.envs[0] + " (from the generated key file " + c.KeyFile + ")"
	case from != "":
		return from
	default:
		return s.envs[0]
	}
}

func validLevel(s string) bool {
	for _, l := range logLevels {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// storeKind tells which store a DATABASE_URL selects and its DSN or path.
func storeKind(databaseURL string) (kind, target string, err error) {
	u := strings.TrimSpace(databaseURL)
	switch {
	case u == "":
		return "", "", errors.New("DATABASE_URL is empty")
	case hasSchemeFold(u, "postgres://"), hasSchemeFold(u, "postgresql://"):
		// URI schemes are case-insensitive (RFC 3986 §3.1).
		return "postgres", u, nil
	case keywordDSN.MatchString(u):
		// Taken as a path, it would become a SQLite file named after the
		// connection string, password included, private to this replica.
		return "", "", errors.New("DATABASE_URL holds a keyword/value connection string (host=... dbname=...); give PostgreSQL as a URL: postgres://user:password@host:5432/dbname")
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("DATABASE_URL: sqlite: needs a file path (sqlite:PATH)")
		}
		return "sqlite", path, nil
	case strings.Contains(u, "://"):
		return "", "", fmt.Errorf("DATABASE_URL %q: unsupported scheme (use a file path, sqlite:PATH or postgres://...)", redactURL(u))
	default:
		return "sqlite", u, nil
	}
}

// keywordDSN matches a libpq keyword/value connection string
// ("host=db user=app password=... dbname=crm").
var keywordDSN = regexp.MustCompile(`(?i)(^|\s)(host|hostaddr|port|dbname|user|password|passfile|sslmode|service|application_name|connect_timeout)\s*=`)

// keywordPassword finds the password of a keyword/value string, to mask it.
var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(\\.|[^'])*'|\S+)`)

// hasSchemeFold reports whether u starts with scheme ("postgres://"),
// ignoring case.
func hasSchemeFold(u, scheme string) bool {
	return len(u) >= len(scheme) && strings.EqualFold(u[:len(scheme)], scheme)
}

// redactURL drops credentials from a URL before it is printed.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return keywordPassword.ReplaceAllString(u, "${1}***")
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "***@" + rest[at+1:]
	}
	// A password may also travel as a query parameter.
	if base, query, ok := strings.Cut(rest, "?"); ok {
		if q, err := url.ParseQuery(query); err == nil && q.Has("password") {
			q.Set("password", "***")
			rest = base + "?" + q.Encode()
		}
	}
	return scheme + "://" + rest
}

// ensureKeys fills in missing keys from the key file beside the database
// file, generating and saving them (mode 0600) the first time. Production
// sets the keys explicitly; the file only makes the no-setup start work and
// keeps sessions and sealed tokens valid across restarts.
func (c *runConfig) ensureKeys(dbFile string) error {
	if c.SecretKey != "" && c.TokenKey != "" && c.HashKey != "" {
		return nil
	}
	dir := "crmbridge-data"
	if dbFile != "" {
		dir = filepath.Dir(dbFile)
	}
	c.KeyFile = filepath.Join(dir, "crmbridge-keys.json")
	var keys Keys
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
		if keys, err = GenerateKeys("k1"); err != nil {
			return err
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
		c.from["secret-key"] = "generated"
		c.generated = append(c.generated, "APP_SERVER_SECRET_KEY")
	}
	if c.TokenKey == "" {
		c.TokenKey = keys.TokenEncryptionKey
		c.from["token-key"] = "generated"
		c.generated = append(c.generated, "TOKEN_ENCRYPTION_KEY")
	}
	if c.HashKey == "" {
		if keys.HashKey == "" {
			// A key file from before HASH_KEY existed: add one, keeping
			// the other keys.
			if keys.HashKey, err = randomSecret(); err != nil {
				return err
			}
			b, _ := json.MarshalIndent(keys, "", "  ")
			if err := replaceFile(c.KeyFile, append(b, '\n'), 0o600); err != nil {
				return fmt.Errorf("saving generated keys: %w", err)
			}
		}
		c.HashKey = keys.HashKey
		c.from["hash-key"] = "generated"
		c.generated = append(c.generated, "HASH_KEY")
	}
	return nil
}

// Keys are a deployment's three secrets, in the formats serve reads; the
// JSON names are the variables'.
type Keys struct {
	AppServerSecretKey string `json:"APP_SERVER_SECRET_KEY"`
	TokenEncryptionKey string `json:"TOKEN_ENCRYPTION_KEY"`
	HashKey            string `json:"HASH_KEY,omitempty"`
}

// secretBytes is the length of the random session secret and hash key:
// more than auth.MinJWTSecretLength, so a value cut short by a copy mistake
// is still refused rather than silently weaker.
const secretBytes = 48

// GenerateKeys returns fresh keys from crypto/rand: APP_SERVER_SECRET_KEY
// and HASH_KEY of 48 random bytes each, and TOKEN_ENCRYPTION_KEY as one
// 32-byte AES key with id tokenKeyID ("id:base64key"). All are base64url
// without padding: nothing a shell or an environment file would treat
// specially. The error is crypto/rand's or auth.GenerateSealingKey's (an invalid
// id).
func GenerateKeys(tokenKeyID string) (Keys, error) {
	key, err := auth.GenerateSealingKey(tokenKeyID)
	if err != nil {
		return Keys{}, err
	}
	secret, err := randomSecret()
	if err != nil {
		return Keys{}, err
	}
	hash, err := randomSecret()
	if err != nil {
		return Keys{}, err
	}
	return Keys{AppServerSecretKey: secret, TokenEncryptionKey: key.Encode(), HashKey: hash}, nil
}

// randomSecret is secretBytes from crypto/rand, base64url without padding.
func randomSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
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
