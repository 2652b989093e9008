// Package corpus finds, for tests, the metadata of the Dockerfile-based
// system we replace, kept in the repository's testdata/corpus.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns a temporary repository root whose protocols/ folder holds a
// copy of every corpus protocol, so tests may generate files into it; the
// corpus itself is read-only.
func Root(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "testdata", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "UPSTREAMS.tsv")); err != nil {
		t.Fatalf("the corpus of the system we replace is missing from testdata/corpus: %v", err)
	}
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "protocols"), os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return root
}

// RepoRoot returns the directory holding go.mod, found from the test's
// working directory upwards.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
