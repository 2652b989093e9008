// Package closure checks what Bazel's analysis would find in the Go
// dependencies of our targets: it builds each go_deps repository they reach
// as go_repository would, with gazelle's own code, and walks deps and embed.
package closure

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// GazelleVersion is the gazelle release whose code this package runs and
// whose go_deps it reproduces: the Go module github.com/bazelbuild/bazel-gazelle
// at v0.53.0 (and its driver, github.com/bazel-contrib/bazel-gazelle/v2 at
// v2.0.0-3, the same tree as v0.53.0's v2/). MODULE.bazel must pin the same
// gazelle, or the BUILD files generated here are not Bazel's.
const GazelleVersion = "0.53.0"

// GazelleV2Version is the version of github.com/bazel-contrib/bazel-gazelle/v2
// that gazelle GazelleVersion's go.work uses as ./v2.
const GazelleV2Version = "v2.0.0-3"

// Options say where module sources come from, where generated
// repositories and results are kept, and what the walk starts from. The
// zero value checks every package and keeps no result.
type Options struct {
	// CacheDir holds one directory per generated repository; "" means
	// os.UserCacheDir()/protocol-forge/closure.
	CacheDir string
	// ModCache is a Go module cache (GOMODCACHE layout) to read module
	// sources from; "" means `go env GOMODCACHE`.
	ModCache string
	// Offline forbids `go mod download` for a module missing from ModCache.
	Offline bool
	// ResultDir keeps the result of a run (tools/internal/cache's store),
	// with what it read, so that a run in which none of that changed takes
	// it instead of walking; "" keeps none.
	ResultDir string
	// Packages, when not nil, are the packages of the main repository
	// (slash-separated, relative to the root) the walk starts from, as
	// `forge check protocols/NAME...` wants; nil starts from every package
	// under protocols/ (one level) and tools/.
	Packages []string
	// Parsed are BUILD files of ours the caller parsed already.
	Parsed *BuildFiles
	// BeforeWalk, when set, is called before the run reads anything to
	// walk (not when it takes a kept result), so that a caller filling
	// Parsed beside it can make the walk wait for it.
	BeforeWalk func()
}

// Stats counts what a run did, for `forge check -v`.
type Stats struct {
	// Repositories is how many go_deps repositories the walk reached;
	// Generated of them were prepared by this run (gazelle ran Gazelle
	// times), Cached were found in the cache.
	Repositories, Generated, Gazelle, Cached int
	// Packages and Targets walked, Edges followed, over both platforms.
	Packages, Targets, Edges int
	// Replayed says the run took an earlier run's result (Options.ResultDir),
	// whose counts these are, since nothing it read had changed.
	Replayed bool
}

func (s Stats) String() string {
	if s.Replayed {
		return fmt.Sprintf("external closure check: nothing it read changed since a run that reached %d go_deps repositories and walked %d packages, %d targets, %d edges for linux_amd64 and linux_arm64; its result stands",
			s.Repositories, s.Packages, s.Targets, s.Edges)
	}
	return fmt.Sprintf("external closure check: %d go_deps repositories reached (%d generated, gazelle run %d times, %d cached), %d packages, %d targets, %d edges walked for linux_amd64 and linux_arm64",
		s.Repositories, s.Generated, s.Gazelle, s.Cached, s.Packages, s.Targets, s.Edges)
}

// Run checks the repository at root with the default Options.
func Run(root string) (Stats, error) {
	return RunWith(root, Options{})
}

// onWalk is called when a run walks rather than taking a kept result; tests
// count walks with it.
var onWalk = func() {}

// RunWith checks the repository at root. Problems come back as a
// metadata.ErrorList; any other error means it could not check at all. A
// repository without MODULE.bazel has nothing to check.
func RunWith(root string, opts Options) (Stats, error) {
	if _, err := os.Stat(filepath.Join(root, "MODULE.bazel")); errors.Is(err, os.ErrNotExist) {
		return Stats{}, nil
	}
	if opts.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return Stats{}, err
		}
		opts.CacheDir = filepath.Join(dir, "protocol-forge", "closure")
	}
	var results *resultStore
	if opts.ResultDir != "" {
		results = openResults(opts.ResultDir, root, opts.Packages)
		if stats, errs, ok := results.replay(); ok {
			return stats, errs.Err()
		}
	}
	onWalk()
	if opts.BeforeWalk != nil {
		opts.BeforeWalk()
	}
	ours := newMainRepo(root, opts)
	src := &sources{modCache: opts.ModCache, offline: opts.Offline}
	mod, err := readModule(ours)
	if err != nil {
		return Stats{}, err
	}
	w := newWalker(root, mod, newRepositories(src, opts.CacheDir), ours)
	if err := w.run(); err != nil {
		return w.stats, err
	}
	if err := ours.noteGoModules(); err != nil {
		return w.stats, err
	}
	errs := append(metadata.ErrorList{}, mod.errs...)
	errs = append(errs, w.errors()...)
	errs.Sort()
	if results != nil && !w.repos.failed {
		results.keep(ours.deps, w.stats, errs)
	}
	return w.stats, errs.Err()
}
