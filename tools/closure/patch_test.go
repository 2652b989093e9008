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

// What Bazel's patch does beyond editing a file, which the check must do
// alike: patches apply in order, a deleted file goes, a file a patch
// creates over an existing one (gazelle's BUILD.bazel) gets the new lines
// before the old, a rename onto an existing file fails; and what the
// check refuses: names outside the repository or through a symbolic link.
func TestApplyPatchFiles(t *testing.T) {
	const create = "diff --git a/pkg/BUILD.bazel b/pkg/BUILD.bazel\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/BUILD.bazel\n@@ -0,0 +1 @@\n+added\n"
	const deleteFile = "diff --git a/pkg/BUILD.bazel b/pkg/BUILD.bazel\ndeleted file mode 100644\n--- a/pkg/BUILD.bazel\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-added\n-one\n-two\n"
	const rename = "diff --git a/pkg/BUILD.bazel b/pkg/BUILD\nsimilarity index 100%\nrename from pkg/BUILD.bazel\nrename to pkg/BUILD\n"
	outsideFile := func(name string) string {
		return "diff --git a/" + name + " b/" + name + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + name + "\n@@ -0,0 +1 @@\n+x\n"
	}

	dir := t.TempDir()
	write(t, filepath.Join(dir, "pkg", "BUILD.bazel"), "one\ntwo\n")
	if err := applyPatches(dir, []patchFile{{label: "//:create.patch", data: []byte(create), strip: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "pkg", "BUILD.bazel")); got != "added\none\ntwo\n" {
		t.Errorf("a new file over an existing one: %q, want the new lines before the old", got)
	}
	// The second patch deletes what the first made: order matters.
	if err := applyPatches(dir, []patchFile{
		{label: "//:create.patch", data: []byte(strings.ReplaceAll(create, "pkg/BUILD.bazel", "pkg/other.txt")), strip: 1},
		{label: "//:delete.patch", data: []byte(strings.ReplaceAll(strings.ReplaceAll(deleteFile, "pkg/BUILD.bazel", "pkg/other.txt"), "@@ -1,3 +0,0 @@\n-added\n-one\n-two\n", "@@ -1 +0,0 @@\n-added\n")), strip: 1},
		{label: "//:delete2.patch", data: []byte(deleteFile), strip: 1},
	}); err != nil {
		t.Error(err)
	}
	for _, gone := range []string{"other.txt", "BUILD.bazel"} {
		if _, err := os.Stat(filepath.Join(dir, "pkg", gone)); !os.IsNotExist(err) {
			t.Errorf("pkg/%s should be deleted: %v", gone, err)
		}
	}

	for _, c := range []struct {
		name, patch, want string
	}{
		{"rename onto an existing file", rename, "exists"},
		{"parent directory", outsideFile("../evil"), "outside the repository"},
		{"parent directory inside a name", outsideFile("pkg/../../evil"), "outside the repository"},
		{"through a symbolic link", outsideFile("link/evil"), "symbolic link"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			outside := t.TempDir()
			dir := filepath.Join(root, "repo")
			write(t, filepath.Join(dir, "pkg", "BUILD.bazel"), "one\ntwo\n")
			write(t, filepath.Join(dir, "pkg", "BUILD"), "")
			if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			err := applyPatches(dir, []patchFile{{label: "//:p.patch", data: []byte(c.patch), strip: 1}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("applyPatches = %v, want an error with %q", err, c.want)
			}
			for _, d := range []string{root, outside} {
				if _, err := os.Stat(filepath.Join(d, "evil")); err == nil {
					t.Errorf("the patch wrote %s", filepath.Join(d, "evil"))
				}
			}
			if got := read(t, filepath.Join(dir, "pkg", "BUILD.bazel")); got != "one\ntwo\n" {
				t.Errorf("pkg/BUILD.bazel changed: %q", got)
			}
		})
	}
}
