package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
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
	fset := newFlags("crmbridge init", "usage: crmbridge init DIR --platform NAME [--module PATH] [--auth oauth|apikey] [--replace LOCALPATH]", stderr)
	fset.StringVar(&o.platform, "platform", "", "platform name of the new adapter: lower case letters and digits (required)")
	fset.StringVar(&o.module, "module", "", "module path of the new project (default example.com/<platform>-bridge)")
	fset.StringVar(&o.auth, "auth", "apikey", "how users log in: apikey or oauth")
	fset.StringVar(&o.replace, "replace", "", "path of a local crmbridge checkout to use through a replace directive (the module is not published)")
	fset.BoolVar(&o.tidy, "tidy", true, "run go mod tidy in the new project when --replace is given")
	// DIR may come before or after the flags.
	var rest []string
	for len(args) > 0 {
		if ok, end := parseFlags(fset, args); !ok {
			return statusOf(end)
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
//	serve.Main(a) // main.go builds it from its settings instead
package {{.Package}}
`

const readmeTmpl = `# {{.Display}} adapter for crmbridge

Generated by ` + "`crmbridge init`" + `. The adapter is in ` + "`{{.Package}}/`" + `; ` + "`main.go`" + ` serves it.

    go test ./...        # the adapter against its fake CRM, through the real server

    export {{.Env}}=https://api.{{.Package}}.example
{{- if .OAuth}}
    export {{.Prefix}}_AUTH_URL=... {{.Prefix}}_TOKEN_URL=... {{.Prefix}}_CLIENT_ID=... {{.Prefix}}_CLIENT_SECRET=... {{.Prefix}}_REDIRECT_URL=...
{{- end}}
    go run .

` + "`go run . -h`" + ` lists the configuration: the variables above and crmbridge's own
(APP_HOST, PORT, DATABASE_URL, LOG_LEVEL, ...). On SQLite (the default,
crmbridge-data/) missing keys are generated into a local file with a warning;
in production set APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY
(` + "`go run " + sdkModule + "/cmd/crmbridge keys`" + ` prints fresh ones).
`

const mainTmpl = `// Command {{.Package}}-bridge serves the softphone client for {{.Display}}
// through crmbridge. serve.Main is the whole server: the configuration
// (go run . -h lists it), keys, store, timeouts and graceful shutdown.
package main

import (
	"log/slog"

	"{{.SDK}}/adapter"
{{- if .OAuth}}
	"{{.SDK}}/auth"
{{- end}}
	"{{.SDK}}/serve"

	"{{.Module}}/{{.Package}}"
)

// crm is built from its own settings, which serve checks and lists with
// its own.
var crm = serve.Configured{
	Name: "{{.Display}}",
	Settings: []serve.Setting{
		{Flag: "{{.Package}}-api-url", Env: "{{.Env}}", Usage: "{{.Display}}'s API, an absolute URL", URL: true},
{{- if .OAuth}}
		{Flag: "{{.Package}}-auth-url", Env: "{{.Prefix}}_AUTH_URL", Usage: "{{.Display}}'s OAuth authorize URL", URL: true},
		{Flag: "{{.Package}}-token-url", Env: "{{.Prefix}}_TOKEN_URL", Usage: "{{.Display}}'s OAuth token URL", URL: true},
		{Flag: "{{.Package}}-client-id", Env: "{{.Prefix}}_CLIENT_ID", Usage: "this app's OAuth client id"},
		{Flag: "{{.Package}}-client-secret", Env: "{{.Prefix}}_CLIENT_SECRET", Usage: "this app's OAuth client secret", Secret: true},
		{Flag: "{{.Package}}-redirect-url", Env: "{{.Prefix}}_REDIRECT_URL", Usage: "the OAuth redirect URL the client uses", URL: true},
{{- end}}
	},
	New: func(v map[string]string, _ *slog.Logger) (adapter.Adapter, error) {
		return {{.Package}}.New({{.Package}}.Config{BaseURL: v["{{.Env}}"]{{if .OAuth}}, OAuth: auth.Provider{
			AuthURL:      v["{{.Prefix}}_AUTH_URL"],
			TokenURL:     v["{{.Prefix}}_TOKEN_URL"],
			ClientID:     v["{{.Prefix}}_CLIENT_ID"],
			ClientSecret: v["{{.Prefix}}_CLIENT_SECRET"],
			RedirectURL:  v["{{.Prefix}}_REDIRECT_URL"],
		}{{end}}})
	},
}

func main() {
	serve.Config{Configured: []serve.Configured{crm}}.Main()
}
`
