package closure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A git patch with patch_strip 2 edits a file one directory below where
// its names point, creates a file, and refuses what Bazel's patch would
// refuse: a patch outside git's format, patch_strip 0, and a hunk whose
// lines are not there.
func TestApplyPatch(t *testing.T) {
	const edit = `diff --git a/x/pkg/BUILD.bazel b/x/pkg/BUILD.bazel
--- a/x/pkg/BUILD.bazel
+++ b/x/pkg/BUILD.bazel
@@ -1,2 +1,3 @@
 one
+inserted
 two
diff --git a/x/pkg/new.txt b/x/pkg/new.txt
new file mode 100644
--- /dev/null
+++ b/x/pkg/new.txt
@@ -0,0 +1 @@
+created
`
	dir := t.TempDir()
	write(t, filepath.Join(dir, "pkg", "BUILD.bazel"), "one\ntwo\n")
	if err := applyPatches(dir, []patchFile{{label: "//:p.patch", data: []byte(edit), strip: 2}}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "pkg", "BUILD.bazel")); got != "one\ninserted\ntwo\n" {
		t.Errorf("patched file: %q", got)
	}
	if got := read(t, filepath.Join(dir, "pkg", "new.txt")); got != "created\n" {
		t.Errorf("created file: %q", got)
	}

	for _, c := range []struct {
		name  string
		patch string
		strip int
		want  string
	}{
		{"not git's format", "--- a/pkg/BUILD.bazel\n+++ b/pkg/BUILD.bazel\n@@ -1 +1 @@\n-one\n+uno\n", 1, "git's format"},
		{"strip 0", strings.ReplaceAll(edit, "x/pkg", "pkg"), 0, "patch_strip 0"},
		{"lines not there", strings.ReplaceAll(edit, " two\n", " three\n"), 2, "conflict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "pkg", "BUILD.bazel"), "one\ntwo\n")
			err := applyPatches(dir, []patchFile{{label: "//:p.patch", data: []byte(c.patch), strip: c.strip}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("applyPatches = %v, want an error with %q", err, c.want)
			}
		})
	}
}

func write(t *testing.T, file, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
