// Package generate runs gazelle, with Go's language and ours, the way the
// repository's gazelle_binary runs it, over the tree in place, and writes
// the BUILD files it produces for protocols/ all at once or not at all.
package generate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/bazelbuild/bazel-gazelle/language"
	golang "github.com/bazelbuild/bazel-gazelle/language/go"

	"github.com/protocol-forge/protocol-forge/tools/gazelle/forge"
	"github.com/protocol-forge/protocol-forge/tools/internal/filetx"
	"github.com/protocol-forge/protocol-forge/tools/internal/gazellerun"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Languages are the languages of //:gazelle_binary, in its order.
func Languages() []language.Language {
	return []language.Language{golang.NewLanguage(), forge.NewLanguage()}
}

// Gazelle runs gazelle's update command over root with args: the driver that
// gazelle's own main calls, with the languages of //:gazelle_binary.
func Gazelle(root string, args ...string) error {
	// The gazelle rule's runner passes -bzlmod in a module-mode repository.
	return gazellerun.Run(Languages(), root, append([]string{"-bzlmod", "-repo_root", root}, args...), nil)
}

// Changes returns the BUILD files under root/protocols (or under dirs, each
// a protocol directory relative to root) that gazelle would write, with
// their new content, without touching the tree. Keys are slash-separated
// paths relative to root.
func Changes(root string, dirs ...string) (map[string][]byte, error) {
	stage, err := os.MkdirTemp("", "forge-generate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	return changes(root, stage, dirs)
}

// changes runs gazelle over the tree in place and has it write the files it
// would change into stage instead (its -experimental_write_build_files_dir, which writes
// only files whose content differs), then maps each back to the BUILD file
// it replaces.
func changes(root, stage string, dirs []string) (map[string][]byte, error) {
	targets, err := protocolDirs(root, dirs)
	if err != nil || len(targets) == 0 {
		return nil, err
	}
	if err := gazelleInBatches(root, stage, targets); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	err = filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isBuildFile(d.Name()) {
			return err
		}
		rel, err := filepath.Rel(stage, filepath.Dir(p))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[buildFileOf(root, filepath.ToSlash(rel))] = data
		return nil
	})
	return out, err
}

// batchSize is how many protocol directories one run of gazelle visits at
// most. Gazelle keeps every package it visits in memory until the run ends
// (to resolve dependencies across packages, which forge's rules do not
// have): one run over thousands of protocols would need gigabytes.
var batchSize = 100

// gazelleInBatches runs gazelle over the directories targets and every
// directory under them, writing into stage, in runs of at most batchSize
// protocol directories (with theirs under them) each. Each run configures
// each directory from its parents' BUILD files, as one run over all would.
// Metadata errors of all runs are reported together.
//
// The directories are listed, not recursed into (-r=false): a recursive
// run of gazelle's walk reads and parses every BUILD file of the whole
// repository in the background, to warm its cache, whatever directories
// it was given. -index=none: nor does it index Go libraries, for under
// protocols/ only the forge language generates (protocols/BUILD.bazel:
// gazelle:lang forge) and it resolves nothing.
func gazelleInBatches(root, stage string, targets []string) error {
	args := []string{"-index=none", "-r=false", "-experimental_write_build_files_dir", stage}
	whole := filepath.Join(root, metadata.ProtocolsDir)
	var units [][]string // per protocol directory: it and its subdirectories
	var first []string   // protocols/ itself, when it is given
	if len(targets) == 1 && targets[0] == whole {
		first = []string{whole}
		entries, err := os.ReadDir(whole)
		if err != nil {
			return err
		}
		targets = nil
		for _, e := range entries {
			if e.IsDir() {
				targets = append(targets, filepath.Join(whole, e.Name()))
			}
		}
	}
	for _, t := range targets {
		var dirs []string
		err := filepath.WalkDir(t, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return err
		})
		if err != nil {
			return err
		}
		units = append(units, dirs)
	}
	var runs [][]string
	run := append([]string(nil), first...)
	n := 0
	for _, u := range units {
		if n == batchSize {
			runs, run, n = append(runs, run), nil, 0
		}
		run = append(run, u...)
		n++
	}
	if len(run) > 0 {
		runs = append(runs, run)
	}
	var errs metadata.ErrorList
	seen := map[metadata.Error]bool{}
	for _, dirs := range runs {
		err := Gazelle(root, append(append([]string(nil), args...), dirs...)...)
		var list metadata.ErrorList
		switch {
		case errors.As(err, &list):
			// The root's errors come back from every run.
			for _, e := range list {
				if !seen[*e] {
					seen[*e] = true
					errs = append(errs, e)
				}
			}
		case err != nil:
			return err
		}
	}
	errs.Sort()
	return errs.Err()
}

// protocolDirs returns the absolute directories gazelle visits: protocols/
// as a whole, or the named protocol directories, each of which must be a
// directory under protocols/.
func protocolDirs(root string, dirs []string) ([]string, error) {
	if len(dirs) == 0 {
		whole := filepath.Join(root, metadata.ProtocolsDir)
		if _, err := os.Stat(whole); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		return []string{whole}, nil
	}
	names, err := spec.ProtocolNames(root, dirs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		out = append(out, filepath.Join(root, metadata.ProtocolsDir, name))
	}
	return out, nil
}

// buildFileOf is the BUILD file of package rel that gazelle reads and so
// replaces: the existing one by gazelle's order of names, or BUILD.bazel.
func buildFileOf(root, rel string) string {
	for _, name := range spec.BuildFileNames {
		if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel), name)); err == nil && !fi.IsDir() {
			return path.Join(rel, name)
		}
	}
	return path.Join(rel, spec.BuildFileNames[0])
}

func isBuildFile(name string) bool { return name == "BUILD.bazel" || name == "BUILD" }

// Write generates the BUILD files of every protocol under root, or of the
// protocol directories dirs, all or none: a metadata error, reported with
// file and line, writes nothing, and the files are replaced as one
// transaction (package filetx) under the repository's lock, so that
// concurrent runs take turns and a killed run is completed by the next.
// It returns the paths it changed, sorted.
func Write(root string, dirs ...string) ([]string, error) {
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("repository root %s is not a directory", root)
	}
	unlock, err := filetx.Lock(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := filetx.Recover(root); err != nil {
		return nil, err
	}
	stage, err := filetx.StageDir(root)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	changed, err := changes(root, stage, dirs)
	if err != nil {
		return nil, err
	}
	if err := filetx.Apply(root, changed); err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(changed))
	for p := range changed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, nil
}
