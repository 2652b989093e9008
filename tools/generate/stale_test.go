package generate

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// The staleness gate: every committed BUILD file under protocols/ is what
// `forge generate` writes from the protocol's files.
func TestProtocolBuildFilesAreFresh(t *testing.T) {
	changes, err := Changes(corpus.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for path := range changes {
		t.Errorf("%s is stale: run `go run ./tools/forge generate` and commit the result", path)
	}
}

// Every other BUILD file (the Go packages under tools/) is what gazelle
// writes too, so that `bazel run //:gazelle` leaves the tree as committed.
func TestEveryBuildFileIsWhatGazelleWrites(t *testing.T) {
	root := corpus.RepoRoot(t)
	stage := t.TempDir()
	for _, rel := range trackedFiles(t, root) {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(stage, rel)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dest, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Gazelle(stage); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isBuildFile(d.Name()) {
			return err
		}
		rel, _ := filepath.Rel(stage, p)
		generated, _ := os.ReadFile(p)
		committed, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil || !bytes.Equal(generated, committed) {
			t.Errorf("%s differs from what gazelle writes: run `go run ./tools/forge gazelle`", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// trackedFiles lists the files git tracks plus the untracked ones it does
// not ignore: the tree a fresh clone would have, with the change at hand.
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			files = append(files, f)
		}
	}
	return files
}
