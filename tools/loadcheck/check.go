// Package loadcheck does what Bazel's loading phase would do to this
// repository without Bazel: it evaluates MODULE.bazel, every BUILD file and
// every .bzl file of ours with go.starlark.net in Bazel's dialect, and checks
// each load, rule call, attribute and label against the API facts of the
// ruleset versions MODULE.bazel pins (facts/NAME@VERSION.star). A run may
// be limited to some packages, and may take a BUILD file's results from
// the previous run's when nothing they depend on changed (cache.go).
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
	res, err := RunWith(root, Options{})
	return res.Stats, err
}

// RunWithoutLabels is Run without resolving labels: loads, rule calls,
// attributes, types and duplicate targets only. It is for generated files
// whose sources a test leaves out on purpose.
func RunWithoutLabels(root string) (Stats, error) {
	res, err := RunWith(root, Options{SkipLabels: true})
	return res.Stats, err
}

// Options say what a run checks and what it may reuse.
type Options struct {
	// Packages limits the check to these packages (slash-separated
	// directories relative to the root, "" for the root package): their
	// BUILD files, the .bzl files they load and, to resolve their labels,
	// the packages those name. Nil checks every package.
	Packages []string
	// CacheDir keeps what evaluating each BUILD file found, keyed by the
	// content hashes of the file, of the .bzl files it loads and of
	// everything else its evaluation looked at, so that a run evaluates
	// only what changed since the last; "" caches nothing. Only a run of
	// every package uses it.
	CacheDir string
	// SkipLabels leaves labels unresolved, as RunWithoutLabels does.
	SkipLabels bool
	// BuildFileParsed, when set, is given every BUILD file the run parses
	// (pkg its package, file its path as the run names it, src its
	// content), with its syntax tree, for callers that read the same files
	// (package closure) to take instead of parsing them again. The tree is
	// shared: it must not be changed.
	BuildFileParsed func(pkg, file string, src []byte, f *syntax.File)
}

// Result is what a run found: its counts, and the packages it evaluated,
// for callers that check more against them (package check).
type Result struct {
	Stats Stats
	c     *checker
	repos map[string]bool
}

// Targets returns the names of the targets package pkg declares (rules,
// their outputs, exported files), its BUILD file relative to the root,
// and whether both are known: false when pkg has no BUILD file ("" then)
// or when its evaluation failed, whose error is reported already. A
// package the run did not evaluate is evaluated now.
func (r *Result) Targets(pkg string) (names map[string]bool, file string, ok bool) {
	if r == nil || r.c == nil {
		return nil, "", false
	}
	p := r.c.pkgAt(pkg)
	if p == nil {
		return nil, "", false
	}
	if r.c.bazel == nil {
		return nil, r.c.rel(p.file), false // the run could not evaluate
	}
	r.c.ensure(p)
	names = make(map[string]bool, len(p.targets))
	for name := range p.targets {
		names[name] = true
	}
	return names, r.c.rel(p.file), !p.failed
}

// Repositories returns the apparent names of the repositories MODULE.bazel
// makes visible (bazel_deps, by repo_name when given, and every use_repo),
// or nil when the run could not evaluate it.
func (r *Result) Repositories() map[string]bool {
	if r == nil || r.c == nil || r.c.module == nil {
		return nil
	}
	if r.repos == nil {
		r.repos = map[string]bool{}
		for name := range r.c.module.repos {
			r.repos[name] = true
		}
	}
	return r.repos
}

// RunWith checks the repository at root as opts say.
func RunWith(root string, opts Options) (*Result, error) {
	facts, err := LoadFacts()
	if err != nil {
		return &Result{}, err
	}
	c := &checker{
		root:      root,
		labels:    !opts.SkipLabels,
		parsed:    opts.BuildFileParsed,
		facts:     facts,
		packages:  map[string]*pkgInfo{},
		bzls:      map[string]*bzlModule{},
		calls:     map[string]map[[2]int32]*syntax.CallExpr{},
		args:      map[string]map[[2]int32]syntax.Expr{},
		stats0:    map[string]string{},
		listings:  map[string]map[string]string{},
		files:     map[string]*string{},
		modHashes: map[string]string{},
		modRecs:   map[string]*record{},
		modValid:  map[string]bool{},
	}
	c.stats = &c.live.stats
	res := &Result{c: c}
	if err := c.run(opts); err != nil {
		res.Stats = c.total()
		return res, err
	}
	res.Stats = c.total()
	errs := c.allErrors()
	errs.Sort()
	return res, errs.Err()
}

type checker struct {
	root    string
	labels  bool // resolve labels
	facts   map[string]*Ruleset
	bazel   *Ruleset
	module  *moduleInfo
	ignored map[string]bool
	// packages holds every directory looked up so far, nil for one that is
	// not a package; after the walk of a run over every package (all), it
	// holds every package.
	packages map[string]*pkgInfo
	all      bool
	// checked are the packages whose labels are resolved, in order.
	checked []*pkgInfo
	bzls    map[string]*bzlModule
	// calls indexes each parsed file's calls by the position of their
	// "(", which is where go.starlark.net places a call frame, so that an
	// attribute's problem is reported on the attribute's own line.
	calls map[string]map[[2]int32]*syntax.CallExpr
	// args indexes keyword arguments' values by their name's position.
	args map[string]map[[2]int32]syntax.Expr

	// What evaluation finds goes into the record of the file being
	// evaluated (the top of stack), from which a cache entry is made and
	// the totals are summed; the rest (MODULE.bazel, label resolution)
	// into live. stats points at the counts of the one or the other.
	live  record
	stack []*record
	stats *Stats

	// stats0 memoizes os.Stat of the run; files interns file names for
	// positions.
	stats0 map[string]string
	// listings are the directories findPackages read, by absolute name:
	// entry name to "f", "d" or "?" (a link, for os.Stat to follow).
	listings map[string]map[string]string
	files    map[string]*string
	// envFiles are the files besides .bazelversion whose content every
	// evaluation depends on: MODULE.bazel and what it reads.
	envFiles []string

	cache    *store
	replayed int // packages taken from the cache
	// parsed is Options.BuildFileParsed.
	parsed func(pkg, file string, src []byte, f *syntax.File)
	// modHashes memoizes the content hashes of .bzl files by module label;
	// modRecs holds each module's record, made or replayed; modValid
	// memoizes whether a stored module record holds.
	modHashes map[string]string
	modRecs   map[string]*record
	modValid  map[string]bool
}

// errorf reports a problem at pos, into the record being made.
func (c *checker) errorf(pos syntax.Position, format string, args ...any) {
	e := &metadata.Error{Path: c.rel(pos.Filename()), Line: int(pos.Line), Msg: fmt.Sprintf(format, args...)}
	c.top().errs = append(c.top().errs, e)
}

// top is the record being made.
func (c *checker) top() *record {
	if len(c.stack) == 0 {
		return &c.live
	}
	return c.stack[len(c.stack)-1]
}

func (c *checker) push(r *record) {
	c.stack = append(c.stack, r)
	c.stats = &r.stats
}

func (c *checker) pop() {
	c.stack = c.stack[:len(c.stack)-1]
	c.stats = &c.top().stats
}

// rel turns an absolute file name into a repository-relative one.
func (c *checker) rel(file string) string {
	if r, err := filepath.Rel(c.root, file); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return file
}

func (c *checker) run(opts Options) error {
	bazelVersion, err := os.ReadFile(filepath.Join(c.root, ".bazelversion"))
	if err != nil {
		return err
	}
	v := strings.TrimSpace(string(bazelVersion))
	if c.bazel = c.facts["bazel@"+v]; c.bazel == nil {
		c.live.errs = append(c.live.errs, &metadata.Error{Path: ".bazelversion", Line: 1, Msg: fmt.Sprintf("no API facts for Bazel %s: write tools/loadcheck/facts/bazel@%s.star from its documentation", v, v)})
		return nil
	}
	c.readIgnored()
	if err := c.loadModule(); err != nil {
		return err
	}
	if opts.Packages != nil {
		for _, dir := range opts.Packages {
			if p := c.pkgAt(dir); p != nil && !p.checkedSet {
				p.checkedSet = true
				c.checked = append(c.checked, p)
			}
		}
		for _, p := range c.checked {
			c.ensure(p)
		}
	} else {
		pkgs, err := c.findPackages()
		if err != nil {
			return err
		}
		c.all = true
		for _, p := range pkgs {
			c.packages[p.path] = p
		}
		if opts.CacheDir != "" {
			c.cache = openStore(opts.CacheDir, c.root, c.envKey(bazelVersion))
		}
		if c.cache != nil {
			prefetchKeys(pkgs)
		}
		for _, p := range pkgs {
			p.checkedSet = true
			c.checked = append(c.checked, p)
			c.ensure(p)
		}
		if c.cache != nil {
			c.cache.save(c)
			c.cache = nil // what it read is not needed any more
		}
	}
	if c.labels {
		c.resolveAll()
	}
	// The labels are resolved: a Result lives on while its caller checks
	// more, and need not hold them.
	for _, r := range c.records() {
		r.refs = nil
	}
	return nil
}

// readIgnored reads what Bazel skips: .git, and the paths .bazelignore
// names.
func (c *checker) readIgnored() {
	c.ignored = map[string]bool{".git": true}
	if data, err := os.ReadFile(filepath.Join(c.root, ".bazelignore")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				c.ignored[strings.TrimSuffix(line, "/")] = true
			}
		}
	}
}

// findPackages returns every directory with a BUILD file, skipping what
// Bazel skips: .git, bazel-* output links and .bazelignore'd paths. It
// keeps each directory's listing, from which stat answers after.
func (c *checker) findPackages() ([]*pkgInfo, error) {
	var pkgs []*pkgInfo
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		listing := make(map[string]string, len(entries))
		for _, e := range entries {
			switch {
			case e.IsDir():
				listing[e.Name()] = "d"
			case e.Type().IsRegular():
				listing[e.Name()] = "f"
			default:
				listing[e.Name()] = "?" // a symbolic link: os.Stat follows it
			}
		}
		c.listings[dir] = listing
		for _, name := range []string{"BUILD.bazel", "BUILD"} {
			if c.stat(filepath.Join(dir, name)) == "f" {
				pkgs = append(pkgs, newPackage(rel, filepath.Join(dir, name)))
				break
			}
		}
		for _, e := range entries {
			sub := path.Join(rel, e.Name())
			if !e.IsDir() || c.ignored[sub] || strings.HasPrefix(e.Name(), "bazel-") {
				continue
			}
			if err := walk(filepath.Join(dir, e.Name()), sub); err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(c.root, "")
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].path < pkgs[j].path })
	return pkgs, err
}

// pkgAt returns the package in dir (slash-separated, repository-relative),
// or nil when dir has no BUILD file or Bazel does not look there.
func (c *checker) pkgAt(dir string) *pkgInfo {
	if p, ok := c.packages[dir]; ok || c.all {
		return p
	}
	var p *pkgInfo
	if !c.skipped(dir) {
		for _, name := range []string{"BUILD.bazel", "BUILD"} {
			file := filepath.Join(c.root, filepath.FromSlash(dir), name)
			if fi, err := os.Stat(file); err == nil && !fi.IsDir() {
				p = newPackage(dir, file)
				break
			}
		}
	}
	c.packages[dir] = p
	return p
}

// skipped says whether dir is in a directory the walk of findPackages
// does not enter.
func (c *checker) skipped(dir string) bool {
	if dir == "" {
		return false
	}
	for d := dir; d != "."; d = path.Dir(d) {
		if c.ignored[d] || strings.HasPrefix(path.Base(d), "bazel-") {
			return true
		}
	}
	return false
}

// isPackage says whether dir (slash-separated, repository-relative) has a
// BUILD file, noting the answer in the record being made.
func (c *checker) isPackage(dir string) bool {
	is := c.pkgAt(dir) != nil
	c.note(depPackage, dir, "", boolResult(is))
	return is
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
