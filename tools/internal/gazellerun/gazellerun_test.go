package gazellerun

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bazelbuild/bazel-gazelle/language"
	golang "github.com/bazelbuild/bazel-gazelle/language/go"
)

// repo makes a repository with one Go package, whose BUILD file carries a
// directive gazelle warns about.
func repo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range map[string]string{
		"WORKSPACE":       "",
		"BUILD.bazel":     "# gazelle:prefix example.com/x\n# gazelle:go_naming_convention nonsense\n",
		"lib/lib.go":      "package lib\n",
		"lib/lib_test.go": "package lib\n",
	} {
		file := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func langs() []language.Language { return []language.Language{golang.NewLanguage()} }

// What the driver logs goes to logTo, and the standard logger is as it
// was afterwards.
func TestLogTo(t *testing.T) {
	root := repo(t)
	var std bytes.Buffer
	log.SetOutput(&std)
	log.SetFlags(0)
	defer func() {
		log.SetOutput(os.Stderr)
		log.SetFlags(log.LstdFlags)
	}()
	var got bytes.Buffer
	if err := Run(langs(), root, []string{"-repo_root", root, "-mode", "fix", root}, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.String(), "gazelle: ") || !strings.Contains(got.String(), "nonsense") {
		t.Errorf("logged %q; want the directive's warning, prefixed", got.String())
	}
	log.Print("after")
	if std.String() != "after\n" {
		t.Errorf("the standard logger got %q; want only what was logged after the run", std.String())
	}
	if _, err := os.Stat(filepath.Join(root, "lib", "BUILD.bazel")); err != nil {
		t.Errorf("gazelle did not run: %v", err)
	}
}

// Runs started side by side take turns: gazelle's walk panics when two
// overlap in one process.
func TestRunsTakeTurns(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		root := repo(t)
		wg.Go(func() {
			errs[i] = Run(langs(), root, []string{"-repo_root", root, "-mode", "fix", root}, &bytes.Buffer{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
}
