// Package check finds what would break a build of the repository's
// protocols before anybody runs one: bad metadata, MANIFEST entries whose
// source target does not exist, a VERSION that is not the version go.mod
// pins, BUILD files that gazelle would change, whatever Bazel's loading
// phase would reject (package loadcheck), and what analysis would find in
// the go_deps repositories our Go targets reach (package closure).
package check

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"

	"github.com/protocol-forge/protocol-forge/tools/closure"
	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/internal/cache"
	"github.com/protocol-forge/protocol-forge/tools/loadcheck"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// Stats are the counts of the loading-phase and external closure checks.
type Stats struct {
	Loading loadcheck.Stats
	Closure closure.Stats
}

func (s Stats) String() string { return s.Loading.String() + "\n" + s.Closure.String() }

// Run checks the repository at root, or only the protocols called
// protocols (and the root files they use), and returns every problem found
// as a metadata.ErrorList, or another error when it could not check at
// all, with the counts of the loading-phase and external closure checks.
//
// A check of the whole repository keeps what the loading-phase check and
// the staleness check found in the user's cache directory, keyed by the
// content of what they read, and redoes only what changed since; the
// external closure check keeps its result likewise, for the whole
// repository and for the latest sets of protocols checked.
func Run(root string, protocols ...string) (Stats, error) {
	var stats Stats
	var errs metadata.ErrorList
	var err error
	var dirs []string
	for _, name := range protocols {
		if !metadata.IsProtocol(root, path.Join(metadata.ProtocolsDir, name)) {
			return stats, fmt.Errorf("no protocol %q: %s has no %s", name, path.Join(metadata.ProtocolsDir, name), metadata.ManifestFile)
		}
		dirs = append(dirs, path.Join(metadata.ProtocolsDir, name))
	}
	// Four checks go on side by side: the loading-phase check; staleness
	// (gazelle, or its cache's keys, reading every protocol's files); the
	// protocols' spec and what needs only it; and the external closure
	// check, which looks at its kept result at once but walks only once
	// the loading-phase check is done, since it takes the syntax trees of
	// the BUILD files that check parses rather than parse them again.
	// (Staleness and the closure check's preparing of a go_deps repository
	// both run gazelle's driver, which takes them in turns.) Each is
	// waited for before Run returns, even early.
	var stale []string
	var staleErr error
	waitStale := start(func() { stale, staleErr = staleFiles(root, dirs) })
	defer waitStale()
	var sc specChecks
	waitSpec := start(func() { sc = checkSpec(root, protocols) })
	defer waitSpec()
	parsed := &closure.BuildFiles{}
	loaded := make(chan struct{})
	closureOpts := closure.Options{Parsed: parsed, Packages: dirs, BeforeWalk: func() { <-loaded }}
	if closureOpts.ResultDir, err = cache.Dir("closure-results"); err != nil {
		closureOpts.ResultDir = ""
	}
	var closureStats closure.Stats
	var closureErr error
	waitClosure := start(func() { closureStats, closureErr = closure.RunWith(root, closureOpts) })
	defer waitClosure()
	opts := loadcheck.Options{BuildFileParsed: parsed.Add}
	if len(dirs) > 0 {
		// The root package and protocols/ are what generated BUILD files
		// name besides themselves (//:BUILD.bazel) and sit in.
		opts.Packages = append([]string{"", metadata.ProtocolsDir}, dirs...)
	} else if opts.CacheDir, err = cache.Dir("loadcheck"); err != nil {
		opts.CacheDir = ""
	}
	loading, err := loadcheck.RunWith(root, opts)
	close(loaded)
	stats.Loading = loading.Stats
	if !errors.As(err, &errs) && err != nil {
		return stats, err
	}
	waitClosure()
	stats.Closure = closureStats
	var closureErrs metadata.ErrorList
	if !errors.As(closureErr, &closureErrs) && closureErr != nil {
		return stats, closureErr
	}
	waitStale()
	waitSpec()
	return stats, check(root, sc, loading, stale, staleErr, append(errs, closureErrs...))
}

// start runs fn in a goroutine of its own and returns what waits for it
// to end (as often as called).
func start(fn func()) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	return func() { <-done }
}

// specChecks is what the protocols' spec alone tells: the spec, problems
// of protocols that ship the same path (a check of every protocol), and of
// Go-built protocols whose VERSION drifted from go.mod; err when the spec
// or the Go binaries could not be read.
type specChecks struct {
	repo *spec.Repo
	errs metadata.ErrorList
	err  error
}

func checkSpec(root string, protocols []string) specChecks {
	var c specChecks
	if len(protocols) > 0 {
		c.repo, c.err = spec.LoadProtocols(root, protocols)
	} else {
		c.repo, c.err = spec.Load(root)
		if c.err == nil {
			c.errs = spec.SharedPaths(c.repo)
		}
	}
	if c.err != nil {
		return c
	}
	bins, err := gosource.Find(c.repo)
	if err != nil {
		c.err = err
		return c
	}
	c.errs = append(c.errs, gosource.Drift(bins)...)
	c.errs = append(c.errs, platformSources(c.repo, bins)...)
	return c
}

// check adds to errs what needs the spec and the loading-phase check (the
// MANIFEST entries' sources) and the stale files found (or the error
// finding them): metadata errors come from the spec, not once more from
// gazelle.
func check(root string, sc specChecks, loading *loadcheck.Result, stale []string, staleErr error, errs metadata.ErrorList) error {
	if sc.err != nil {
		return sc.err
	}
	errs = append(errs, sc.errs...)
	for _, p := range sc.repo.Protocols {
		for _, e := range p.Manifest {
			if msg := resolves(root, loading, p, p.Source(e)); msg != "" {
				errs = append(errs, &metadata.Error{
					Path: path.Join(p.Dir, metadata.ManifestFile), Line: e.Line,
					Msg: fmt.Sprintf("%s: %s", e.Path, msg),
				})
			}
		}
	}
	if staleErr != nil {
		return staleErr
	}
	for _, file := range stale {
		errs = append(errs, &metadata.Error{Path: file, Msg: "is not what gazelle generates from the protocol's files: run `go run ./tools/forge generate` (or `bazel run //:gazelle`) and commit the result"})
	}
	errs.Sort()
	return errs.Err()
}

// resolves says why l, the source of a MANIFEST entry of p, names nothing,
// or returns "" when it names a target or file. It asks the loading-phase
// check, which evaluated the BUILD files already, what they declare.
func resolves(root string, loading *loadcheck.Result, p *spec.Protocol, l label.Label) string {
	if l.Repo != "" && l.Repo != "@" {
		if repos := loading.Repositories(); repos != nil && !repos[l.Repo] {
			return fmt.Sprintf("source %s is in repository @%s, which MODULE.bazel does not create", l, l.Repo)
		}
		return ""
	}
	pkg := l.Pkg
	if l.Relative {
		pkg = p.Dir
	}
	if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(pkg), filepath.FromSlash(l.Name))); err == nil && !fi.IsDir() {
		return ""
	}
	names, buildFile, ok := loading.Targets(pkg)
	if names[l.Name] || (!ok && buildFile != "") {
		// Found, or the BUILD file did not load: its own error says why.
		return ""
	}
	where := fmt.Sprintf("//%s:%s", pkg, l.Name)
	if buildFile == "" {
		return fmt.Sprintf("source %s does not exist: %s has no BUILD file", where, pkg)
	}
	return fmt.Sprintf("source %s does not exist: no target %q in %s and no such file; add it (an alias to the binary's label, say) or map the entry with `# gazelle:%s %s LABEL`",
		where, l.Name, buildFile, spec.SourceDirective, "PATH")
}

// platformSources reports the MANIFEST entries forge cannot build for each
// of their protocol's platforms: a source rule that fixes its own platform
// (its transition overrides the one forge builds each platform's files
// with, so every platform would ship the same binary), and, in a protocol
// that does not state its platforms, a source rules_go does not build from
// a pinned module (forge cannot tell which platforms its files suit); and
// a source that asks for cgo, which those platforms do not have.
func platformSources(repo *spec.Repo, bins []gosource.Binary) metadata.ErrorList {
	built := map[string]gosource.Binary{}
	for _, b := range bins {
		built[b.Protocol.Dir+"\x00"+b.Entry.Path] = b
	}
	var errs metadata.ErrorList
	for _, p := range repo.Protocols {
		for _, e := range p.Manifest {
			at := &metadata.Error{Path: path.Join(p.Dir, metadata.ManifestFile), Line: e.Line}
			b, ok := built[p.Dir+"\x00"+e.Path]
			switch {
			case ok && b.Pinned != "":
				at.Msg = fmt.Sprintf("%s: its source %s sets %s, which fixes the platform it is built for: forge builds it for each of %s with a platform transition, which that overrides; drop the attribute (or map the entry to upstream's go_binary with `# gazelle:%s %s LABEL`)",
					e.Path, p.Source(e), b.Pinned, platformList(p), spec.SourceDirective, e.Path)
			case ok && b.CgoAttr != "" && !p.Cgo:
				at.Msg = fmt.Sprintf("%s: its source %s sets %s, which asks for cgo: forge builds it for each of %s on rules_go's linux_<arch> platforms, which have no cgo, and rules_go fails the analysis of a cgo binary there; drop the attribute, or declare `# gazelle:%s true` in %s's BUILD file (its sources are then built for rules_go's linux_<arch>_cgo platforms with MODULE.bazel's C toolchain)",
					e.Path, p.Source(e), b.CgoAttr, platformList(p), spec.CgoDirective, p.Name)
			case ok && b.Cgo && b.Static:
				at.Msg = fmt.Sprintf("%s: its source %s sets static = \"on\" in a cgo protocol: rules_go would link glibc statically into it, while forge ships cgo binaries linked dynamically against glibc %s (the .deb depends on libc6 (>= %s)) and builds them so for its checks; drop the attribute",
					e.Path, p.Source(e), variant.ToolchainGlibc, variant.ToolchainGlibc)
			case !ok && !p.PlatformsStated:
				at.Msg = fmt.Sprintf("%s: its source %s is not built by rules_go from a module go.mod pins, so forge cannot tell which platforms its files are for: state them in %s's BUILD file with `# gazelle:%s %s` (the platforms its files suit)",
					e.Path, p.Source(e), p.Name, spec.PlatformsDirective, platform.Default().OCI)
			default:
				continue
			}
			errs = append(errs, at)
		}
	}
	return errs
}

func platformList(p *spec.Protocol) string {
	var names []string
	for _, pl := range p.Platforms {
		names = append(names, pl.OCI)
	}
	return strings.Join(names, ", ")
}
