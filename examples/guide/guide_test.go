package main

import (
	"bufio"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// guide is the document that quotes this directory's files.
const guide = "../../docs/writing-an-adapter.md"

// The guide's module path stands where the files have the repository's.
const (
	repoPath  = "github.com/crmbridge/crmbridge/examples/guide"
	guidePath = "example.com/mycrm-bridge"
)

// quotedFiles returns the code blocks of the guide that follow a
// "<!-- file: PATH -->" line, keyed by PATH.
func quotedFiles(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(guide)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blocks := map[string]string{}
	var (
		path string
		in   bool
		b    strings.Builder
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case in && line == "```":
			if _, dup := blocks[path]; dup {
				t.Errorf("the guide quotes %s twice", path)
			}
			blocks[path] = b.String()
			path, in = "", false
			b.Reset()
		case in:
			b.WriteString(line + "\n")
		case path != "" && line == "```go":
			in = true
		case path != "":
			t.Errorf("the marker of %s is not followed by a ```go block but by %q", path, line)
			path = ""
		case strings.HasPrefix(line, "<!-- file: "):
			path = strings.TrimSuffix(strings.TrimPrefix(line, "<!-- file: "), " -->")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestGuideQuotesTheCode keeps the guide from rotting: every Go file of
// this directory (but this test) is quoted in the guide exactly, with the
// guide's module path, and the guide quotes nothing else.
func TestGuideQuotesTheCode(t *testing.T) {
	t.Parallel()
	blocks := quotedFiles(t)
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || path == "guide_test.go" {
			return err
		}
		files = append(files, filepath.ToSlash(path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	quoted := slices.Sorted(maps.Keys(blocks))
	if diff := cmp.Diff(files, quoted); diff != "" {
		t.Errorf("files in examples/guide (-) and files quoted in the guide (+):\n%s", diff)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(string(b), repoPath, guidePath)
		if got, ok := blocks[path]; ok && got != want {
			t.Errorf("the guide's %s differs from the file (-file +guide):\n%s", path, cmp.Diff(want, got))
		}
	}
}
