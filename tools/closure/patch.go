package closure

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// patchFile is one patch of a module_override, read from the main
// repository.
type patchFile struct {
	label string // as MODULE.bazel writes it, for messages
	data  []byte
	strip int // patch_strip
}

// readPatch reads the patch a module_override names by label: a file of
// the main repository (go_deps passes the labels to go_repository's
// patches, go_deps.bzl:272-278, 780).
func (m *module) readPatch(l string, strip int, line int) (patchFile, error) {
	pl, err := label.Parse(l)
	if err != nil {
		return patchFile{}, fmt.Errorf("patch %q is not a label: %v", l, err)
	}
	if pl.Repo != "" && pl.Repo != "@" && pl.Repo != m.name && pl.Repo != m.repoName {
		return patchFile{}, fmt.Errorf("patch %s: this check reads patches of the main repository only", l)
	}
	if strip < 0 {
		return patchFile{}, fmt.Errorf("patch_strip %d is negative", strip)
	}
	data, err := m.ours.read(path.Join(pl.Pkg, pl.Name))
	if err != nil {
		return patchFile{}, fmt.Errorf("patch %s: %v", l, err)
	}
	return patchFile{label: l, data: data, strip: strip}, nil
}

// applyPatches applies r's patches to the repository in dir, in order, as
// go_repository does after gazelle (go_repository.bzl:417-418): with
// patch_strip alone, Bazel's own patch implementation
// (tools/build_defs/repo/utils.bzl, patch: ctx.patch(patchfile, strip)
// when patch_args holds only -p options, as go_deps passes them,
// go_deps.bzl:183-185).
//
// Bazel's implementation tries each hunk at its line first and then at
// any offset; this one applies hunks at their lines only, so it refuses
// a patch whose lines moved, which Bazel might still apply. It reads
// patches in git's format (diff --git a/... b/...), whose names carry one
// leading component, so patch_strip must be at least 1.
func applyPatches(dir string, patches []patchFile) error {
	for _, pf := range patches {
		if err := applyPatch(dir, pf); err != nil {
			return fmt.Errorf("patch %s: %v", pf.label, err)
		}
	}
	return nil
}

func applyPatch(dir string, pf patchFile) error {
	files, _, err := gitdiff.Parse(bytes.NewReader(pf.data))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no file is patched")
	}
	if !bytes.HasPrefix(pf.data, []byte("diff --git ")) && !bytes.Contains(pf.data, []byte("\ndiff --git ")) {
		return errors.New("not in git's format (diff --git a/PATH b/PATH)")
	}
	for _, f := range files {
		if f.IsBinary {
			return fmt.Errorf("%s: binary patches are not applied", f.NewName)
		}
		oldName, err := stripPath(f.OldName, pf.strip)
		if err != nil {
			return err
		}
		newName, err := stripPath(f.NewName, pf.strip)
		if err != nil {
			return err
		}
		if err := applyFile(dir, f, oldName, newName); err != nil {
			return err
		}
	}
	return nil
}

// stripPath is Bazel's stripPath (PatchUtil.java) for a name gitdiff has
// already stripped of its a/ or b/: strip-1 more leading components.
func stripPath(name string, strip int) (string, error) {
	if name == "" {
		return "", nil // /dev/null: a new or deleted file
	}
	if strip < 1 {
		return "", fmt.Errorf("patch_strip 0 keeps git's a/ and b/ in %q: set patch_strip = 1", name)
	}
	parts := strings.Split(name, "/")
	if strip-1 >= len(parts) {
		return "", fmt.Errorf("patch_strip %d leaves nothing of %q", strip, name)
	}
	rel := path.Clean(strings.Join(parts[strip-1:], "/"))
	if rel == "." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return "", fmt.Errorf("%q is outside the repository", name)
	}
	return rel, nil
}

// applyFile writes one file's patched content: a new file from nothing,
// a deleted file removed, a renamed one moved.
//
// Where a patch creates a file the repository already has (a BUILD.bazel
// gazelle generated, for a patch written against upstream's tree),
// Bazel's patch reads the existing file and inserts the new lines before
// its content (PatchUtil.applyPatchToFile: the new file's content is the
// input when there is no old file, and an insertion at line 0 keeps what
// follows); so does this. A rename onto an existing file Bazel refuses
// (checkFilesStatusForRenaming); so does this.
func applyFile(dir string, f *gitdiff.File, oldName, newName string) error {
	for _, name := range []string{oldName, newName} {
		if err := noSymlinkIn(dir, name); err != nil {
			return err
		}
	}
	var src, kept []byte
	if oldName != "" {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(oldName)))
		if err != nil {
			return fmt.Errorf("%s: %v", oldName, err)
		}
		src = data
	}
	if newName != "" && newName != oldName {
		existing, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(newName)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("%s: %v", newName, err)
		case oldName != "":
			return fmt.Errorf("cannot rename %s to %s, which exists", oldName, newName)
		default:
			kept = existing
		}
	}
	var out bytes.Buffer
	if err := gitdiff.Apply(&out, bytes.NewReader(src), f); err != nil {
		return fmt.Errorf("%s: %v", firstNonEmpty(oldName, newName), err)
	}
	if len(kept) > 0 {
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			out.WriteByte('\n')
		}
		out.Write(kept)
	}
	if oldName != "" && (f.IsDelete || f.IsRename) {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(oldName))); err != nil {
			return err
		}
	}
	if f.IsDelete {
		return nil
	}
	target := filepath.Join(dir, filepath.FromSlash(newName))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	// A copy of the module cache is read-only; the file is written anew.
	os.Remove(target)
	return os.WriteFile(target, out.Bytes(), 0o644)
}

// noSymlinkIn refuses a name under dir that passes through a symbolic
// link: a patch writes only files of the repository's own tree, never
// where a link in it points.
func noSymlinkIn(dir, name string) error {
	if name == "" {
		return nil
	}
	p := dir
	for _, part := range strings.Split(name, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: %s is a symbolic link, which this check does not patch through", name, strings.TrimPrefix(p, dir+string(filepath.Separator)))
		}
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// patchKey is what a cache key takes of the patches: their labels, strip
// and content hashes.
func patchKey(patches []patchFile) []string {
	key := make([]string, 0, len(patches))
	for _, pf := range patches {
		key = append(key, fmt.Sprintf("%s -p%d %s", pf.label, pf.strip, contentHash(pf.data, nil)))
	}
	return key
}
