package check

import (
	"os"
	"path/filepath"
	"testing"
)

// A protocol's staleness key changes with everything gazelle's output for
// it depends on, and with nothing else: other protocols, files forge does
// not read.
func TestStalenessKeysFollowTheirInputs(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	root := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		file := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("MODULE.bazel", "module(name = \"x\")\n")
	write("BUILD.bazel", "# gazelle:forge_maintainer A <a@b.c>\n")
	write("protocols/BUILD.bazel", "# gazelle:lang forge\n")
	write("protocols/a/MANIFEST", "/usr/local/bin/a\n")
	write("protocols/a/a", "#!/bin/sh\n")
	write("protocols/b/MANIFEST", "/usr/local/bin/b\n")
	write("protocols/notes/README.md", "not a protocol\n")
	keys := func() map[string]string {
		t.Helper()
		units, err := stalenessUnits(root)
		if err != nil || units == nil {
			t.Fatalf("stalenessUnits: %v, %v", units, err)
		}
		return units
	}
	before := keys()
	if len(before) != 3 || before["protocols/a"] == "" || before["protocols/b"] == "" || before[restUnit] == "" {
		t.Fatalf("units %v; want protocols/a, protocols/b and the rest", before)
	}
	for _, tc := range []struct {
		what, file, content string
		changes             []string
	}{
		{"a source's content", "protocols/a/a", "#!/bin/sh\necho\n", nil},
		{"VERSION", "protocols/a/VERSION", "v1\n", []string{"protocols/a"}},
		{"a new file's name", "protocols/a/bin/x", "", []string{"protocols/a"}},
		{"BUILD file", "protocols/b/BUILD.bazel", "# gazelle:forge_upstream https://x.invalid\n", []string{"protocols/b"}},
		{"drop-in", "protocols/b/systemd.conf", "[Service]\n", []string{"protocols/b"}},
		{"a directory that is no protocol", "protocols/notes/BUILD.bazel", "", []string{"protocols/a", "protocols/b", restUnit}},
		{"protocols/BUILD.bazel", "protocols/BUILD.bazel", "# gazelle:lang forge\n\n", []string{"protocols/a", "protocols/b", restUnit}},
		{"root directives", "BUILD.bazel", "# gazelle:forge_maintainer B <a@b.c>\n", []string{"protocols/a", "protocols/b", restUnit}},
		{"MODULE.bazel", "MODULE.bazel", "module(name = \"y\")\n", []string{"protocols/a", "protocols/b", restUnit}},
	} {
		write(tc.file, tc.content)
		after := keys()
		changed := map[string]bool{}
		for _, u := range tc.changes {
			changed[u] = true
		}
		for unit := range before {
			if (after[unit] != before[unit]) != changed[unit] {
				t.Errorf("%s: key of %s changed: %v, want %v", tc.what, unit, after[unit] != before[unit], changed[unit])
			}
		}
		before = after
	}
}
