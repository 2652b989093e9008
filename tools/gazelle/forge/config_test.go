package forge

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bazelbuild/bazel-gazelle/config"
)

// The protocols CheckFlags loads follow from gazelle's directory
// arguments: all of them for the root or protocols/, the protocol a
// directory is in, none for a directory outside protocols/.
func TestProtocolsUnderGazellesDirectories(t *testing.T) {
	// Gazelle's RepoRoot has its symbolic links resolved.
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"protocols/a/bin", "protocols/b", "protocols/not-one", "tools"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(root, "protocols", name, "MANIFEST"), []byte("/usr/local/bin/x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := config.New()
	c.RepoRoot, c.WorkDir = root, filepath.Join(root, "tools")
	for _, tc := range []struct {
		dirs         []string
		notRecursive bool
		want         string
	}{
		{nil, false, "[] false"}, // gazelle's default, ".", is tools/ here
		{[]string{root}, false, "[] true"},
		{[]string{filepath.Join(root, "protocols")}, false, "[] true"},
		{[]string{"../protocols"}, false, "[] true"},
		{[]string{"../protocols/a/bin", filepath.Join(root, "protocols/b")}, false, "[a b] false"},
		{[]string{filepath.Join(root, "protocols/not-one")}, false, "[] false"},
		{[]string{"."}, false, "[] false"},
		// gazelle -r=false updates the directories given alone.
		{[]string{filepath.Join(root, "protocols")}, true, "[] false"},
		{[]string{root, filepath.Join(root, "protocols/a")}, true, "[a] false"},
	} {
		names, all := protocolsUnder(c, tc.dirs, !tc.notRecursive)
		if got := fmt.Sprintf("%v %v", names, all); got != tc.want {
			t.Errorf("protocolsUnder(%q) = %s, want %s", tc.dirs, got, tc.want)
		}
	}
}
