// Package generate runs gazelle, with Go's language and ours, the way the
// repository's gazelle_binary runs it, and writes the BUILD files it produces
// for protocols/ all at once or not at all.
package generate

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/bazel-contrib/bazel-gazelle/v2/cmd/gazelle/update"
	"github.com/bazelbuild/bazel-gazelle/language"
	golang "github.com/bazelbuild/bazel-gazelle/language/go"

	"github.com/protocol-forge/protocol-forge/tools/gazelle/forge"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// Languages are the languages of //:gazelle_binary, in its order.
func Languages() []language.Language {
	return []language.Language{golang.NewLanguage(), forge.NewLanguage()}
}

// Gazelle runs gazelle's update command over root with args: the driver that
// gazelle's own main calls, with the languages of //:gazelle_binary.
func Gazelle(root string, args ...string) error {
	// The gazelle rule's runner passes -bzlmod in a module-mode repository.
	return update.Run(context.Background(), Languages(), root, append([]string{"-bzlmod", "-repo_root", root}, args...))
}

// repoFiles are the files outside protocols/ whose content changes what
// gazelle generates there: directives in the root BUILD file, and the module
// names MODULE.bazel makes visible.
var repoFiles = []string{"BUILD.bazel", "BUILD", "MODULE.bazel", "go.mod", "WORKSPACE"}

// Changes returns the BUILD files under root/protocols that gazelle would
// write, with their new content, without touching root. Keys are
// slash-separated paths relative to root.
func Changes(root string) (map[string][]byte, error) {
	stage, err := os.MkdirTemp("", "forge-generate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	for _, name := range repoFiles {
		if err := copyFile(filepath.Join(root, name), filepath.Join(stage, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	protocols := filepath.Join(root, metadata.ProtocolsDir)
	if _, err := os.Stat(protocols); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if err := os.CopyFS(filepath.Join(stage, metadata.ProtocolsDir), os.DirFS(protocols)); err != nil {
		return nil, err
	}
	if err := Gazelle(stage, filepath.Join(stage, metadata.ProtocolsDir)); err != nil {
		return nil, err
	}
	changes := map[string][]byte{}
	err = filepath.WalkDir(filepath.Join(stage, metadata.ProtocolsDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isBuildFile(d.Name()) {
			return err
		}
		rel, err := filepath.Rel(stage, p)
		if err != nil {
			return err
		}
		generated, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		current, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err != nil || !bytes.Equal(current, generated) {
			changes[filepath.ToSlash(rel)] = generated
		}
		return nil
	})
	return changes, err
}

func isBuildFile(name string) bool { return name == "BUILD.bazel" || name == "BUILD" }

// Write generates every protocol's BUILD file under root. It stages all of
// them first, so that a metadata error, reported with file and line, writes
// nothing; then it writes each changed file beside its destination and
// renames them into place. It returns the paths it changed, sorted.
func Write(root string) ([]string, error) {
	changes, err := Changes(root)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(changes))
	for p := range changes {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var temps []string
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, p := range paths {
		dest := filepath.Join(root, filepath.FromSlash(p))
		tmp := dest + ".forge-tmp"
		if err := os.WriteFile(tmp, changes[p], 0o644); err != nil {
			cleanup()
			return nil, err
		}
		temps = append(temps, tmp)
	}
	for i, p := range paths {
		if err := os.Rename(temps[i], filepath.Join(root, filepath.FromSlash(p))); err != nil {
			cleanup()
			return paths[:i], err
		}
	}
	return paths, nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
