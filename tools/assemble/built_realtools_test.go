//go:build realtools

package assemble_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/assemble"
	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// The acceptance test takes the binaries the protocol build test left in
// a directory, where gosource.Binary.File lays them out, and refuses a
// directory that lacks one rather than ship nothing in its place.
func TestBuiltBinariesAreTakenFromTheBuildTestsDirectory(t *testing.T) {
	repo, err := spec.Load(corpus.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	bins, err := gosource.Find(repo)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want := map[string]bool{}
	for _, b := range bins {
		for _, pl := range b.Protocol.Platforms {
			file := b.File(dir, pl)
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte("built\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			want[file] = true
		}
	}
	files, _, err := assemble.BuiltBinaries(repo, dir)
	if err != nil {
		t.Fatal(err)
	}
	taken := 0
	for _, f := range files {
		if want[f] {
			taken++
		} else if strings.HasPrefix(f, dir) {
			t.Errorf("%s was taken but is no binary the build test builds", f)
		}
	}
	if taken != len(want) {
		t.Errorf("took %d of the %d binaries in %s", taken, len(want), dir)
	}
	// Each under the key of its own platform and MANIFEST entry.
	for _, b := range bins {
		for _, pl := range b.Protocol.Platforms {
			key := assemble.SourceKey(pl, assemble.SourceLabel(b.Protocol, b.Entry))
			if files[key] != b.File(dir, pl) {
				t.Errorf("%s: %s, want %s", key, files[key], b.File(dir, pl))
			}
		}
	}

	last := bins[len(bins)-1]
	missing := last.File(dir, last.Protocol.Platforms[0])
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}
	if _, _, err := assemble.BuiltBinaries(repo, dir); err == nil || !strings.Contains(err.Error(), "not built") || !strings.Contains(err.Error(), last.Package) {
		t.Errorf("BuiltBinaries with %s missing: %v, want an error naming %s as not built", missing, err, last.Package)
	}
}
