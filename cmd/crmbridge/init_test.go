package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "refresh cmd/crmbridge/skeleton from examples/template")

// TestSkeleton keeps the embedded skeleton identical to examples/template,
// so init always starts from the template the repository tests.
func TestSkeleton(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "examples", "template")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || e.Name() == "doc.go" {
			continue
		}
		want[e.Name()+".txt"] = true
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join("skeleton", e.Name()+".txt")
		if *update {
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := skeleton.ReadFile("skeleton/" + e.Name() + ".txt")
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("skeleton/%s.txt differs from examples/template/%s: run go test ./cmd/crmbridge -run TestSkeleton -update", e.Name(), e.Name())
		}
	}
	if *update {
		return
	}
	have, _ := skeleton.ReadDir("skeleton")
	for _, e := range have {
		if !want[e.Name()] {
			t.Errorf("skeleton/%s is not in examples/template: run with -update and delete it", e.Name())
		}
	}
}

// TestInitThenGoTest creates a project in a temp dir for each kind of
// login, with a replace directive to this checkout, and runs go vet, go
// build and go test there: the generated adapter passes adaptertest
// against its fake CRM at once.
func TestInitThenGoTest(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a new module; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, authKind := range []string{"apikey", "oauth"} {
		t.Run(authKind, func(t *testing.T) {
			t.Parallel() // two modules of their own, built by two go commands
			dir := filepath.Join(t.TempDir(), "acme-bridge")
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			code := dispatch(ctx, []string{"init", dir, "--platform", "acme", "--module", "example.com/acme-bridge", "--auth", authKind, "--replace", root}, &out, &errOut)
			if code != 0 {
				t.Fatalf("init exit %d\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
			}
			for _, f := range []string{"go.mod", "go.sum", "main.go", "README.md", "acme/doc.go", "acme/api.go", "acme/acme_test.go", "acme/fakecrm_test.go"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			b, _ := os.ReadFile(filepath.Join(dir, "acme", "api.go"))
			if !strings.Contains(string(b), `const Platform = "acme"`) || strings.Contains(string(b), "templatecrm") {
				t.Errorf("api.go was not renamed:\n%.600s", b)
			}
			wantAuth := map[string]string{"apikey": "adapter.AuthAPIKey", "oauth": "adapter.OAuthConfig("}[authKind]
			if !strings.Contains(string(b), wantAuth) {
				t.Errorf("api.go does not use %s", wantAuth)
			}
			for _, args := range [][]string{{"vet", "./..."}, {"build", "./..."}, {"test", "-count=1", "./..."}} {
				cmd := exec.CommandContext(ctx, goBin, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
				res, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("go %s in the new project: %v\n%s", strings.Join(args, " "), err, res)
				}
				t.Logf("go %s:\n%s", strings.Join(args, " "), res)
			}

			// init never overwrites: the same DIR again is refused.
			if code := dispatch(ctx, []string{"init", dir, "--platform", "acme"}, &out, &errOut); code != 1 {
				t.Errorf("init into a non-empty dir: exit %d, want 1", code)
			}
		})
	}
}

// TestOAuthRewritesApply: every OAuth edit finds its text in the skeleton,
// so a change of examples/template fails here with the file named, not in
// a user's new project.
func TestOAuthRewritesApply(t *testing.T) {
	t.Parallel()
	for name := range oauthRewrites {
		b, err := skeleton.ReadFile("skeleton/" + name + ".txt")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := applyOAuth(name, string(b)); err != nil {
			t.Error(err)
		}
	}
	if _, err := applyOAuth("api.go", "package template\n"); err == nil {
		t.Error("an edit that does not apply was not reported")
	}
}

func TestInitUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init"},
		{"init", dir},
		{"init", dir, "--platform", "Acme"},
		{"init", dir, "--platform", "acme crm"},
		{"init", dir, "--platform", strings.Repeat("a", 330)},
		{"init", dir, "--platform", "acme", "--module", "bad module"},
		{"init", dir, "--platform", "acme", "--module", "example.com/" + strings.Repeat("m", 2560)},
		{"init", dir, "--platform", "acme", "--auth", "saml"},
		{"init", dir, "other", "--platform", "acme"},
	} {
		var out, errOut bytes.Buffer
		if code := dispatch(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused init wrote %d entries", len(entries))
	}
}
