package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// skeleton is a copy of examples/template (without its doc.go), each file
// renamed *.go.txt so the go tool does not build it here. TestSkeleton
// keeps it identical to examples/template; `go test ./cmd/crmbridge -run
// TestSkeleton -update` refreshes it.
//
//go:embed skeleton/*.go.txt
var skeleton embed.FS

// sdkModule is the module path of crmbridge, as the template imports it.
const sdkModule = "github.com/crmbridge/crmbridge"

// platformName is what init accepts as --platform: it becomes the Go
// package name and the platform the client and sessions know, so lower
// case letters and digits only, starting with a letter, at most 32 bytes.
var platformName = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)

// modulePath is a conservative check of --module: slash-separated
// elements of letters, digits and . _ - ~, at most 256 bytes.
var modulePath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$`)

type initOptions struct {
	dir      string
	platform string
	module   string
	auth     string
	replace  string
	tidy     bool
}

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o initOptions
	fset := flag.NewFlagSet("crmbridge init", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&o.platform, "platform", "", "platform name of the new adapter: lower case letters and digits (required)")
	fset.StringVar(&o.module, "module", "", "module path of the new project (default example.com/<platform>-bridge)")
	fset.StringVar(&o.auth, "auth", "apikey", "how users log in: apikey or oauth")
	fset.StringVar(&o.replace, "replace", "", "path of a local crmbridge checkout to use through a replace directive (the module is not published)")
	fset.BoolVar(&o.tidy, "tidy", true, "run go mod tidy in the new project when --replace is given")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: crmbridge init DIR --platform NAME [--module PATH] [--auth oauth|apikey] [--replace LOCALPATH]")
		fset.PrintDefaults()
	}
	// DIR may come before or after the flags.
	var rest []string
	for len(args) > 0 {
		if err := fset.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fset.NArg() == 0 {
			break
		}
		rest = append(rest, fset.Arg(0))
		args = fset.Args()[1:]
	}
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "crmbridge init: give exactly one DIR")
		fset.Usage()
		return 2
	}
	o.dir = rest[0]
	if o.module == "" {
		o.module = "example.com/" + o.platform + "-bridge"
	}
	switch {
	case !platformName.MatchString(o.platform):
		fmt.Fprintf(stderr, "crmbridge init: --platform %q: use lower case letters and digits, starting with a letter (at most 32)\n", o.platform)
		return 2
	case len(o.module) > 256 || !modulePath.MatchString(o.module):
		fmt.Fprintf(stderr, "crmbridge init: --module %q is not a module path\n", o.module)
		return 2
	case o.auth != "apikey" && o.auth != "oauth":
		fmt.Fprintf(stderr, "crmbridge init: --auth %q: want apikey or oauth\n", o.auth)
		return 2
	}
	if err := writeProject(o); err != nil {
		fmt.Fprintln(stderr, "crmbridge init:", err)
		return 1
	}
	if o.replace != "" && o.tidy {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(tctx, "go", "mod", "tidy")
		cmd.Dir = o.dir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(stderr, "crmbridge init: go mod tidy in %s: %v\n", o.dir, err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "created %s (module %s, platform %s)\n", o.dir, o.module, o.platform)
	if o.replace == "" {
		fmt.Fprintf(stdout, "crmbridge is not published yet: re-run with --replace /path/to/crmbridge, or add a replace directive to %s\n",
			filepath.Join(o.dir, "go.mod"))
	}
	fmt.Fprintf(stdout, "next: cd %s && go test ./...\n", o.dir)
	return 0
}

// writeProject writes the new project. It refuses a DIR that exists and is
// not empty: init never overwrites someone's files.
func writeProject(o initOptions) error {
	if entries, err := os.ReadDir(o.dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty", o.dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	files, err := projectFiles(o)
	if err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(o.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// projectFiles renders the project: go.mod, main.go, README.md and the
// adapter package <platform>/ made from the skeleton.
func projectFiles(o initOptions) (map[string][]byte, error) {
	pkg := o.platform
	display := strings.ToUpper(pkg[:1]) + pkg[1:]
	files := map[string][]byte{}

	entries, err := fs.ReadDir(skeleton, "skeleton")
	if err != nil {
		return nil, err
	}
	qualifier := regexp.MustCompile(`\btemplate\.([A-Z])`)
	replacer := strings.NewReplacer(
		`"`+sdkModule+`/examples/template"`, `"`+o.module+`/`+pkg+`"`,
		"package template_test", "package "+pkg+"_test",
		"package template\n", "package "+pkg+"\n",
		"templatecrm", pkg,
		"TemplateCRM", display,
	)
	for _, e := range entries {
		b, err := skeleton.ReadFile(path.Join("skeleton", e.Name()))
		if err != nil {
			return nil, err
		}
		s := string(b)
		if o.auth == "oauth" {
			if s, err = applyOAuth(strings.TrimSuffix(e.Name(), ".txt"), s); err != nil {
				return nil, err
			}
		}
		s = replacer.Replace(s)
		s = qualifier.ReplaceAllString(s, pkg+".$1")
		name := strings.TrimSuffix(e.Name(), ".txt")
		if name == "template_test.go" {
			name = pkg + "_test.go"
		}
		out, err := format.Source([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("generating %s: %w", name, err)
		}
		files[pkg+"/"+name] = out
	}

	data := struct {
		Module, Package, Display, SDK, Replace, Env, Prefix string
		OAuth                                               bool
	}{o.module, pkg, display, sdkModule, filepath.ToSlash(o.replace), strings.ToUpper(pkg) + "_API_URL", strings.ToUpper(pkg), o.auth == "oauth"}
	for name, tmpl := range map[string]string{
		"go.mod":        goModTmpl,
		"main.go":       mainTmpl,
		"README.md":     readmeTmpl,
		pkg + "/doc.go": docTmpl,
	} {
		var b bytes.Buffer
		if err := template.Must(template.New(name).Parse(tmpl)).Execute(&b, data); err != nil {
			return nil, err
		}
		out := b.Bytes()
		if strings.HasSuffix(name, ".go") {
			if out, err = format.Source(out); err != nil {
				return nil, fmt.Errorf("generating %s: %w", name, err)
			}
		}
		files[name] = out
	}
	return files, nil
}

const goModTmpl = `module {{.Module}}

go 1.26.0
{{if .Replace}}
require {{.SDK}} v0.0.0-00010101000000-000000000000

replace {{.SDK}} => {{.Replace}}
{{end}}`

const docTmpl = `// Package {{.Package}} connects the crmbridge server to {{.Display}}.
//
// It began as a copy of crmbridge's examples/template (an imaginary CRM
// with a JSON API). Replace its calls with {{.Display}}'s API:
//
//  1. api.go: the API's base URL, {{if .OAuth}}the OAuth provider (Config.OAuth; the server
//     exchanges and refreshes tokens and sends the access token as a Bearer
//     token){{else}}how the API key goes on a request (Auth){{end}}, and how its error answers map to the adapter errors.
//  2. contacts.go, logs.go, user.go: one method per route of the
//     protocol, each a few calls of the CRM's API.
//  3. fakecrm_test.go: make the fake speak {{.Display}}'s API, then go test:
//     {{.Package}}_test.go runs the adaptertest conformance kit through the
//     real server and names the method at fault when something is off.
//
// The smallest use:
//
//	a, err := {{.Package}}.New({{.Package}}.Config{BaseURL: "https://api.{{.Package}}.example"})
//	if err != nil {
//		return err
//	}
//	// hand a to httpserver.New in Config.Adapters
package {{.Package}}
`

const readmeTmpl = `# {{.Display}} adapter for crmbridge

Generated by ` + "`crmbridge init`" + `. The adapter is in ` + "`{{.Package}}/`" + `; ` + "`main.go`" + ` serves it.

    go test ./...        # the adapter against its fake CRM, through the real server

    export APP_SERVER_SECRET_KEY=...   # at least 32 bytes
    export TOKEN_ENCRYPTION_KEY=...    # id:base64key (32-byte AES key)
    export {{.Env}}=https://api.{{.Package}}.example
{{- if .OAuth}}
    export {{.Prefix}}_AUTH_URL=... {{.Prefix}}_TOKEN_URL=... {{.Prefix}}_CLIENT_ID=... {{.Prefix}}_CLIENT_SECRET=... {{.Prefix}}_REDIRECT_URL=...
{{- end}}
    go run .

Environment: APP_HOST (default 127.0.0.1), PORT (6066), DATABASE_PATH
({{.Package}}-bridge.db), LOG_LEVEL (info).
`

const mainTmpl = `// Command {{.Package}}-bridge serves the softphone client for {{.Display}}
// through crmbridge.
//
// It reads APP_SERVER_SECRET_KEY (at least 32 bytes), TOKEN_ENCRYPTION_KEY
// (id:base64key), {{.Env}}{{if .OAuth}}, the OAuth app's {{.Prefix}}_AUTH_URL,
// {{.Prefix}}_TOKEN_URL, {{.Prefix}}_CLIENT_ID, {{.Prefix}}_CLIENT_SECRET and
// {{.Prefix}}_REDIRECT_URL{{end}}, and optionally APP_HOST, PORT,
// DATABASE_PATH and LOG_LEVEL, listens with timeouts and a header limit, and
// shuts down gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"{{.SDK}}/adapter"
	"{{.SDK}}/auth"
	"{{.SDK}}/httpserver"
	"{{.SDK}}/store/sqlite"

	"{{.Module}}/{{.Package}}"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "{{.Package}}-bridge:", err)
		os.Exit(1)
	}
}

func env(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, getenv func(string) string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(env(getenv, "LOG_LEVEL", "info"))); err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	sessions, err := auth.NewSessions([]byte(getenv("APP_SERVER_SECRET_KEY")))
	if err != nil {
		return fmt.Errorf("APP_SERVER_SECRET_KEY: %w", err)
	}
	keys, err := auth.ParseKeyRing(getenv("TOKEN_ENCRYPTION_KEY"))
	if err != nil {
		return fmt.Errorf("TOKEN_ENCRYPTION_KEY: %w", err)
	}
	crm, err := {{.Package}}.New({{.Package}}.Config{BaseURL: getenv("{{.Env}}"){{if .OAuth}}, OAuth: auth.Provider{
		AuthURL:      getenv("{{.Prefix}}_AUTH_URL"),
		TokenURL:     getenv("{{.Prefix}}_TOKEN_URL"),
		ClientID:     getenv("{{.Prefix}}_CLIENT_ID"),
		ClientSecret: getenv("{{.Prefix}}_CLIENT_SECRET"),
		RedirectURL:  getenv("{{.Prefix}}_REDIRECT_URL"),
	}{{end}}})
	if err != nil {
		return fmt.Errorf("{{.Env}}{{if .OAuth}} or {{.Prefix}}_AUTH_URL/_TOKEN_URL/_CLIENT_ID/_CLIENT_SECRET/_REDIRECT_URL{{end}}: %w", err)
	}
	st, err := sqlite.Open(ctx, env(getenv, "DATABASE_PATH", "{{.Package}}-bridge.db"), sqlite.WithLogger(log))
	if err != nil {
		return err
	}
	defer st.Close()
	handler, err := httpserver.New(httpserver.Config{
		Adapters: []adapter.Adapter{crm},
		Store:    st,
		Sessions: sessions,
		Keys:     keys,
	}, httpserver.WithLogger(log))
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(env(getenv, "APP_HOST", "127.0.0.1"), env(getenv, "PORT", "6066")))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10, // the protocol's request header bound
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", slog.String("addr", "http://"+ln.Addr().String()))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
`
