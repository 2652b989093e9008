// Package loadcheck does what Bazel's loading phase would do to this
// repository without Bazel: it evaluates MODULE.bazel, every BUILD file and
// every .bzl file of ours with go.starlark.net in Bazel's dialect, and checks
// each load, rule call, attribute and label against the API facts of the
// ruleset versions MODULE.bazel pins (facts/NAME@VERSION.star).
package loadcheck

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.starlark.net/syntax"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// Stats counts what a run checked, for `forge check -v`.
type Stats struct {
	Files, RuleCalls, Attributes, Labels int
	// GoPackages counts labels into go_deps repositories checked against
	// the module's source; GoUnverified those whose module is not in the
	// module cache, so only their repository was checked.
	GoPackages, GoUnverified int
}

func (s Stats) String() string {
	return fmt.Sprintf("loading-phase check: %d files, %d rule calls, %d attributes, %d labels (%d into Go modules checked against their source, %d whose module is not downloaded)",
		s.Files, s.RuleCalls, s.Attributes, s.Labels, s.GoPackages, s.GoUnverified)
}

// Run checks the repository at root. Problems come back as a
// metadata.ErrorList; any other error means it could not check at all.
func Run(root string) (Stats, error) {
	return run(root, true)
}

// RunWithoutLabels is Run without resolving labels: loads, rule calls,
// attributes, types and duplicate targets only. It is for generated files
// whose sources a test leaves out on purpose.
func RunWithoutLabels(root string) (Stats, error) {
	return run(root, false)
}

func run(root string, labels bool) (Stats, error) {
	facts, err := LoadFacts()
	if err != nil {
		return Stats{}, err
	}
	c := &checker{
		root:     root,
		labels:   labels,
		facts:    facts,
		packages: map[string]*pkgInfo{},
		bzls:     map[string]*bzlModule{},
		calls:    map[string]map[[2]int32]*syntax.CallExpr{},
		args:     map[string]map[[2]int32]syntax.Expr{},
	}
	if err := c.run(); err != nil {
		return c.stats, err
	}
	c.errs.Sort()
	return c.stats, c.errs.Err()
}

type checker struct {
	root     string
	labels   bool // resolve labels
	facts    map[string]*Ruleset
	bazel    *Ruleset
	module   *moduleInfo
	packages map[string]*pkgInfo
	bzls     map[string]*bzlModule
	refs     []*labelRef
	// calls indexes each parsed file's calls by the position of their
	// "(", which is where go.starlark.net places a call frame, so that an
	// attribute's problem is reported on the attribute's own line.
	calls map[string]map[[2]int32]*syntax.CallExpr
	// args indexes keyword arguments' values by their name's position.
	args  map[string]map[[2]int32]syntax.Expr
	errs  metadata.ErrorList
	stats Stats
}

func (c *checker) errorf(pos syntax.Position, format string, args ...any) {
	e := &metadata.Error{Path: c.rel(pos.Filename()), Line: int(pos.Line), Msg: fmt.Sprintf(format, args...)}
	for _, prev := range c.errs {
		if *prev == *e {
			return
		}
	}
	c.errs = append(c.errs, e)
}

// rel turns an absolute file name into a repository-relative one.
func (c *checker) rel(file string) string {
	if r, err := filepath.Rel(c.root, file); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return file
}

func (c *checker) run() error {
	bazelVersion, err := os.ReadFile(filepath.Join(c.root, ".bazelversion"))
	if err != nil {
		return err
	}
	v := strings.TrimSpace(string(bazelVersion))
	if c.bazel = c.facts["bazel@"+v]; c.bazel == nil {
		c.errs = append(c.errs, &metadata.Error{Path: ".bazelversion", Line: 1, Msg: fmt.Sprintf("no API facts for Bazel %s: write tools/loadcheck/facts/bazel@%s.star from its documentation", v, v)})
		return nil
	}
	if err := c.loadModule(); err != nil {
		return err
	}
	pkgs, err := c.findPackages()
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		c.packages[p.path] = p
	}
	for _, p := range pkgs {
		c.evalPackage(p)
	}
	if c.labels {
		c.resolveAll()
	}
	return nil
}

// findPackages returns every directory with a BUILD file, skipping what
// Bazel skips: .git, bazel-* output links and .bazelignore'd paths.
func (c *checker) findPackages() ([]*pkgInfo, error) {
	ignored := map[string]bool{".git": true}
	if data, err := os.ReadFile(filepath.Join(c.root, ".bazelignore")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				ignored[strings.TrimSuffix(line, "/")] = true
			}
		}
	}
	var pkgs []*pkgInfo
	err := filepath.WalkDir(c.root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := c.rel(p)
		if rel == "." {
			rel = ""
		}
		if d.IsDir() {
			if ignored[rel] || strings.HasPrefix(d.Name(), "bazel-") {
				return filepath.SkipDir
			}
			for _, name := range []string{"BUILD.bazel", "BUILD"} {
				if fi, err := os.Stat(filepath.Join(p, name)); err == nil && !fi.IsDir() {
					pkgs = append(pkgs, newPackage(rel, filepath.Join(p, name)))
					break
				}
			}
		}
		return nil
	})
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].path < pkgs[j].path })
	return pkgs, err
}

// isPackage says whether dir (slash-separated, repository-relative) has a
// BUILD file.
func (c *checker) isPackage(dir string) bool {
	_, ok := c.packages[dir]
	return ok
}

// owningPackage returns the package a repository-relative file belongs to.
func (c *checker) owningPackage(file string) (string, bool) {
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		if dir == "." {
			dir = ""
		}
		if c.isPackage(dir) {
			return dir, true
		}
		if dir == "" {
			return "", false
		}
	}
}
