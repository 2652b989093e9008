// Package spec is everything forge knows about a repository's protocols: each
// protocol's plain files (package metadata) plus the forge_* gazelle
// directives in BUILD files, loaded and checked in one pass.
package spec

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/bazelbuild/bazel-gazelle/label"

	"github.com/protocol-forge/protocol-forge/tools/escape"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// Directives forge reads from BUILD files. The root-only ones hold settings
// of the whole repository, so they live in one place.
const (
	MaintainerDirective    = "forge_maintainer"     // root: "Name <email>" of every .deb
	RepositoryURLDirective = "forge_repository_url" // root: this repository's web address
	SourceDirective        = "forge_source"         // protocol: "PATH LABEL" for a MANIFEST entry
	UpstreamDirective      = "forge_upstream"       // protocol: the upstream project's web address
	VersionArgsDirective   = "forge_version_args"   // protocol: arguments that make the service print its version
	EnableServiceDirective = "forge_enable_service" // protocol: "true" to enable and start the service on install
	ConflictsDirective     = "forge_conflicts"      // protocol: protocols whose .deb installs a path this one's does
	KnownFailureDirective  = "forge_known_failure"  // protocol: the message the version command fails with, a recorded defect
	PlatformsDirective     = "forge_platforms"      // protocol: the platforms its artifacts are built for
	CgoDirective           = "forge_cgo"            // protocol: "true" when its binaries link C (cgo)
	DependsDirective       = "forge_depends"        // protocol: Debian packages its shipped files need besides libc6
)

// Directives lists every directive forge knows, for gazelle's KnownDirectives.
var Directives = []string{MaintainerDirective, RepositoryURLDirective, SourceDirective, UpstreamDirective, VersionArgsDirective, EnableServiceDirective, ConflictsDirective, KnownFailureDirective, PlatformsDirective, CgoDirective, DependsDirective}

// DefaultVersionArgs make most node binaries print their version.
var DefaultVersionArgs = []string{"version"}

// DefaultMaintainer is used until the root BUILD file names one.
const DefaultMaintainer = "protocol-forge maintainers <maintainers@protocol-forge.invalid>"

// BuildFileNames are the names gazelle reads a package's BUILD file from, in
// order of preference.
var BuildFileNames = []string{"BUILD.bazel", "BUILD"}

// Repo is the spec of a whole repository.
type Repo struct {
	Root          string
	Maintainer    string
	RepositoryURL string
	Protocols     []*Protocol

	// byDir indexes Protocols for Protocol, which gazelle calls for every
	// directory it visits.
	byDir map[string]*Protocol
}

// Protocol is one protocol's metadata and directives.
type Protocol struct {
	*metadata.Protocol
	// Sources maps a MANIFEST path to the label its content comes from, for
	// entries whose BUILD file says so with forge_source.
	Sources map[string]label.Label
	// Upstream is the upstream project's web address, or empty.
	Upstream string
	// VersionArgs are the arguments with which the service executable
	// prints its version; the protocol build tests run it so.
	VersionArgs []string
	// KnownFailure is the message the service executable's version
	// command fails with, when that is a known defect of what we ship:
	// the run tests expect exactly that failure, so they notice a fix.
	KnownFailure string
	// EnableService makes the .deb enable and start the service on install.
	EnableService bool
	// Conflicts are the protocols whose packages install a path this
	// one's installs too; the .deb declares Conflicts with them, so that
	// dpkg refuses to install both instead of failing halfway.
	Conflicts []string
	// Platforms are the platforms the protocol's images, archives and
	// .debs are built for, in the table's order: every one unless the
	// forge_platforms directive narrows them.
	Platforms []platform.Platform
	// PlatformsStated says that forge_platforms lists them, as a protocol
	// must whose files rules_go does not build (forge check).
	PlatformsStated bool
	// Cgo says the protocol's binaries link C: its sources are built for
	// rules_go's cgo platform of each platform (RulesGoPlatform), with the
	// C/C++ toolchain MODULE.bazel registers, against its glibc, and its
	// variants must ship that glibc.
	Cgo bool
	// Depends are Debian packages the shipped files need besides the C
	// library (a prebuilt library's libgcc-s1), for the .deb's Depends.
	Depends []string
}

// RulesGoPlatform is the rules_go platform the protocol's sources are
// built for on pl: the cgo one for a cgo protocol, else the pure one.
func (p *Protocol) RulesGoPlatform(pl platform.Platform) string {
	if p.Cgo {
		return pl.RulesGoCgo()
	}
	return pl.RulesGo()
}

// Source returns the label the content of entry e comes from: its
// forge_source label, or the target named after its basename in the
// protocol's own package.
func (p *Protocol) Source(e metadata.Entry) label.Label {
	if l, ok := p.Sources[e.Path]; ok {
		return l
	}
	return label.Label{Name: e.Base(), Relative: true}
}

// PlatformArchiveName is the file name of target t's release archive for
// platform pl: the archive name the protocol always had for linux/amd64,
// with "-linux-arm64" (the platform's file suffix) before ".tar.gz" for
// another platform.
func (p *Protocol) PlatformArchiveName(t metadata.Target, pl platform.Platform) string {
	return strings.TrimSuffix(p.ArchiveName(t), ".tar.gz") + pl.FileSuffix() + ".tar.gz"
}

// Protocol returns the protocol whose directory is rel, or nil.
func (r *Repo) Protocol(rel string) *Protocol {
	if len(r.byDir) == len(r.Protocols) && r.byDir != nil {
		return r.byDir[rel]
	}
	for _, p := range r.Protocols {
		if p.Dir == rel {
			return p
		}
	}
	return nil
}

// ByName returns the protocol called name, or nil.
func (r *Repo) ByName(name string) *Protocol {
	return r.Protocol(path.Join(metadata.ProtocolsDir, name))
}

// Load reads every protocol under root and the directives of the root's and
// the protocols' BUILD files. Problems come back together as a
// metadata.ErrorList.
func Load(root string) (*Repo, error) {
	return load(root, func() ([]*metadata.Protocol, error) { return metadata.LoadAll(root) })
}

// SharedPaths reports every pair of protocols whose packages install the
// same path (or one a directory above the other's) without declaring
// forge_conflicts with each other: dpkg would fail to install the second
// halfway through. It needs every protocol: forge check runs it over the
// whole repository. (Generation does not: the corpus of the system we
// replace has such pairs, and its files must still generate.)
func SharedPaths(r *Repo) metadata.ErrorList {
	var errs metadata.ErrorList
	for _, pair := range overlappingPairs(r) {
		p, q := r.Protocols[pair[0]], r.Protocols[pair[1]]
		e, f, ok := overlap(p, q)
		if !ok {
			continue
		}
		for _, side := range []struct {
			a, b  *Protocol
			entry metadata.Entry
			other string
		}{{p, q, e, f.Path}, {q, p, f, e.Path}} {
			if !contains(side.a.Conflicts, side.b.Name) {
				errs = append(errs, &metadata.Error{
					Path: path.Join(side.a.Dir, metadata.ManifestFile), Line: side.entry.Line,
					Msg: fmt.Sprintf("%s: %s's package installs %s too; declare `# gazelle:%s %s` in %s's BUILD file so that dpkg refuses to install both",
						side.entry.Path, side.b.Name, side.other, ConflictsDirective, side.b.Name, side.a.Name),
				})
			}
		}
	}
	errs.Sort()
	return errs
}

// overlappingPairs returns the pairs (i < j, sorted) of r's protocols
// that install a path in common or one inside the other, found through an
// index of every MANIFEST path and its parent directories: comparing every
// pair of protocols costs seconds in a repository of thousands.
func overlappingPairs(r *Repo) [][2]int {
	index := map[string][]int{}
	for i, p := range r.Protocols {
		for _, e := range p.Manifest {
			index[e.Path] = append(index[e.Path], i)
		}
	}
	seen := map[[2]int]bool{}
	var pairs [][2]int
	for i, p := range r.Protocols {
		for _, e := range p.Manifest {
			// The entry's own path (the same path elsewhere) and its
			// parents (an entry elsewhere that holds it).
			for dir := e.Path; ; dir = path.Dir(dir) {
				for _, j := range index[dir] {
					pair := [2]int{min(i, j), max(i, j)}
					if j != i && !seen[pair] {
						seen[pair] = true
						pairs = append(pairs, pair)
					}
				}
				if path.Dir(dir) == dir {
					break
				}
			}
		}
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a][0] != pairs[b][0] {
			return pairs[a][0] < pairs[b][0]
		}
		return pairs[a][1] < pairs[b][1]
	})
	return pairs
}

// overlap returns the first entries of p and q that install the same path,
// or one inside the other.
func overlap(p, q *Protocol) (metadata.Entry, metadata.Entry, bool) {
	for _, e := range p.Manifest {
		for _, f := range q.Manifest {
			if e.Path == f.Path || strings.HasPrefix(e.Path, f.Path+"/") || strings.HasPrefix(f.Path, e.Path+"/") {
				return e, f, true
			}
		}
	}
	return metadata.Entry{}, metadata.Entry{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// LoadProtocol is Load for the one protocol called name: the root's
// directives and that protocol's files, nothing of the others, so that a
// build action that renders one protocol reads only its declared inputs.
func LoadProtocol(root, name string) (*Repo, error) {
	return LoadProtocols(root, []string{name})
}

// ProtocolNames returns the names of the protocol directories args name,
// as `forge generate` and `forge check` take them: protocols/<name>,
// relative to root or absolute, each an existing directory.
func ProtocolNames(root string, args []string) ([]string, error) {
	var names []string
	for _, arg := range args {
		rel := filepath.ToSlash(filepath.Clean(arg))
		if filepath.IsAbs(arg) {
			r, err := filepath.Rel(root, arg)
			if err != nil {
				return nil, err
			}
			rel = filepath.ToSlash(r)
		}
		name, ok := strings.CutPrefix(rel, metadata.ProtocolsDir+"/")
		if !ok || name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("%s is not a protocol directory: name %s/<name>", arg, metadata.ProtocolsDir)
		}
		if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a protocol directory: %s has no such directory", arg, rel)
		}
		names = append(names, name)
	}
	return names, nil
}

// LoadProtocols is Load for the protocols called names: the root's
// directives and those protocols' files, nothing of the others, so that
// `forge generate protocols/<name>` and `forge check protocols/<name>` cost
// the same in a repository of thousands of protocols as in one of a few,
// and another protocol's mistake does not stop them.
func LoadProtocols(root string, names []string) (*Repo, error) {
	seen := map[string]bool{}
	var dirs []string
	for _, name := range names {
		dir := path.Join(metadata.ProtocolsDir, name)
		if strings.Contains(name, "/") || !metadata.IsProtocol(root, dir) {
			return nil, fmt.Errorf("no protocol %q: %s has no %s", name, dir, metadata.ManifestFile)
		}
		if !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	sort.Strings(dirs)
	return load(root, func() ([]*metadata.Protocol, error) { return metadata.LoadDirs(root, dirs) })
}

// LoadActionProtocol is LoadProtocol as a Bazel action (forge render in
// deb_files) reads its inputs: each may be a symlink to a file anywhere,
// as the sandbox lays them out (metadata.LoadActionInputs).
func LoadActionProtocol(root, name string) (*Repo, error) {
	dir := path.Join(metadata.ProtocolsDir, name)
	if strings.Contains(name, "/") || !metadata.IsProtocol(root, dir) {
		return nil, fmt.Errorf("no protocol %q: %s has no %s", name, dir, metadata.ManifestFile)
	}
	return load(root, func() ([]*metadata.Protocol, error) { return metadata.LoadActionInputs(root, []string{dir}) })
}

func load(root string, protocolsOf func() ([]*metadata.Protocol, error)) (*Repo, error) {
	r := &Repo{Root: root, Maintainer: DefaultMaintainer}
	var errs metadata.ErrorList

	rootDirectives, err := readDirectives(root, "")
	if err != nil {
		return nil, err
	}
	for _, d := range rootDirectives {
		switch d.key {
		case MaintainerDirective:
			if !looksLikeMaintainer(d.value) {
				errs = append(errs, d.errorf("%s %q must be \"Name <email>\"", d.key, d.value))
				continue
			}
			if err := packageField(d); err != nil {
				errs = append(errs, err)
				continue
			}
			r.Maintainer = d.value
		case RepositoryURLDirective:
			if !looksLikeURL(d.value) {
				errs = append(errs, d.errorf("%s %q must be an http(s) address", d.key, d.value))
				continue
			}
			r.RepositoryURL = strings.TrimSuffix(d.value, "/")
		default:
			errs = append(errs, d.errorf("%s belongs in a protocol's BUILD file, not the root's", d.key))
		}
	}

	protocols, err := protocolsOf()
	var list metadata.ErrorList
	if errors.As(err, &list) {
		errs = append(errs, list...)
	} else if err != nil {
		return nil, err
	}
	directives, err := readAllDirectives(root, protocols)
	if err != nil {
		return nil, err
	}
	for i, mp := range protocols {
		p := &Protocol{Protocol: mp, Sources: map[string]label.Label{}, VersionArgs: DefaultVersionArgs, Platforms: platform.All()}
		for _, d := range directives[i] {
			if e := p.apply(d); e != nil {
				errs = append(errs, e)
			}
		}
		errs = append(errs, p.cgoVariants()...)
		r.Protocols = append(r.Protocols, p)
	}
	r.byDir = make(map[string]*Protocol, len(r.Protocols))
	for _, p := range r.Protocols {
		r.byDir[p.Dir] = p
	}
	errs.Sort()
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

func (p *Protocol) apply(d directive) *metadata.Error {
	switch d.key {
	case SourceDirective:
		entryPath, target, ok := strings.Cut(d.value, " ")
		target = strings.TrimSpace(target)
		if !ok || target == "" || strings.ContainsAny(target, " \t") {
			return d.errorf("%s takes a MANIFEST path and a label: %q", d.key, d.value)
		}
		if !p.lists(entryPath) {
			return d.errorf("%s: %q is not listed in %s", d.key, entryPath, path.Join(p.Dir, metadata.ManifestFile))
		}
		if _, dup := p.Sources[entryPath]; dup {
			return d.errorf("%s: %q is mapped twice", d.key, entryPath)
		}
		l, err := label.Parse(target)
		if err != nil || l.Name == "" || !labelPart.MatchString(l.Name) || (l.Pkg != "" && !labelPart.MatchString(l.Pkg)) {
			return d.errorf("%s: %q is not a label (//package:name, :name or @repository//package:name, of letters, digits and ._+-@=,~ in / separated names)", d.key, target)
		}
		p.Sources[entryPath] = l
	case UpstreamDirective:
		if !looksLikeURL(d.value) {
			return d.errorf("%s %q must be an http(s) address", d.key, d.value)
		}
		if err := packageField(d); err != nil {
			return err
		}
		p.Upstream = d.value
	case ConflictsDirective:
		for _, name := range strings.Fields(d.value) {
			if !metadata.ValidName(name) || name == p.Name {
				return d.errorf("%s: %q is not another protocol's name", d.key, name)
			}
			p.Conflicts = append(p.Conflicts, name)
		}
		if len(p.Conflicts) == 0 {
			return d.errorf("%s needs the names of the protocols this one conflicts with", d.key)
		}
		sort.Strings(p.Conflicts)
	case EnableServiceDirective:
		return d.boolInto(&p.EnableService)
	case PlatformsDirective:
		return p.applyPlatforms(d)
	case CgoDirective:
		return d.boolInto(&p.Cgo)
	case DependsDirective:
		return p.applyDepends(d)
	case VersionArgsDirective:
		if d.value == "" {
			return d.errorf("%s needs the arguments that make %s print its version", d.key, p.Service.Path)
		}
		p.VersionArgs = strings.Fields(d.value)
	case KnownFailureDirective:
		if d.value == "" {
			return d.errorf("%s needs the message %s fails with", d.key, p.Service.Path)
		}
		p.KnownFailure = d.value
	case MaintainerDirective, RepositoryURLDirective:
		return d.errorf("%s is a setting of the whole repository: put it in the root BUILD.bazel", d.key)
	default:
		return d.errorf("unknown directive %s; forge knows %s", d.key, strings.Join(Directives, ", "))
	}
	return nil
}

// applyDepends reads forge_depends: Debian package names, each once in
// all of the protocol's forge_depends lines. libc6 is refused: forge
// writes it from the variant and forge_cgo (debian.ControlFor), and a
// second libc6 in Depends is a duplicate relation the .deb would carry.
func (p *Protocol) applyDepends(d directive) *metadata.Error {
	pkgs := strings.Fields(d.value)
	if len(pkgs) == 0 {
		return d.errorf("%s needs the Debian packages the protocol's files need", d.key)
	}
	if strings.ContainsAny(d.value, ",|()<>=[]:") {
		// Debian's relation syntax, which pkg_deb would pass on as written.
		return d.errorf("%s takes package names separated by spaces, without versions, alternatives, architectures or commas: %q", d.key, d.value)
	}
	for _, pkg := range pkgs {
		switch {
		case !debianPackageName.MatchString(pkg):
			return d.errorf("%s: %q is not a Debian package name (lower-case letters, digits and +-. , starting with a letter or digit)", d.key, pkg)
		case pkg == "libc6":
			return d.errorf("%s: libc6 is forge's to write (libc6 for a glibc variant, libc6 (>= %s) for a cgo protocol): leave it out", d.key, variant.ToolchainGlibc)
		case slices.Contains(p.Depends, pkg):
			return d.errorf("%s: %q is listed twice", d.key, pkg)
		}
		p.Depends = append(p.Depends, pkg)
	}
	return nil
}

// boolInto reads a directive whose value is true or false into b.
func (d directive) boolInto(b *bool) *metadata.Error {
	switch d.value {
	case "true":
		*b = true
	case "false":
		*b = false
	default:
		return d.errorf("%s takes true or false, not %q", d.key, d.value)
	}
	return nil
}

// applyPlatforms reads forge_platforms: OCI platform names
// ("linux/amd64"), each once, in any order; the protocol keeps the table's
// order so that generated names and lists do not depend on the directive's.
func (p *Protocol) applyPlatforms(d directive) *metadata.Error {
	if p.PlatformsStated {
		return d.errorf("%s is given twice; list every platform on one line", d.key)
	}
	values := strings.Fields(d.value)
	if len(values) == 0 {
		return d.errorf("%s needs the platforms to build for, of %s", d.key, platform.OCINames())
	}
	wanted := map[string]bool{}
	for _, v := range values {
		pl, ok := platform.ByOCI(v)
		if !ok {
			return d.errorf("%s: unknown platform %q; forge builds for %s", d.key, v, platform.OCINames())
		}
		if wanted[pl.Name] {
			return d.errorf("%s: %s is listed twice", d.key, v)
		}
		wanted[pl.Name] = true
	}
	p.Platforms = nil
	for _, pl := range platform.All() {
		if wanted[pl.Name] {
			p.Platforms = append(p.Platforms, pl)
		}
	}
	p.PlatformsStated = true
	return nil
}

func (p *Protocol) lists(entryPath string) bool {
	for _, e := range p.Manifest {
		if e.Path == entryPath {
			return true
		}
	}
	return false
}

// debianPackageName is Debian policy 5.6.1's package name.
var debianPackageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// cgoVariants reports each variant of a cgo protocol whose runtime has an
// older glibc than the one its binaries are linked against: they would not
// start there.
func (p *Protocol) cgoVariants() metadata.ErrorList {
	if !p.Cgo {
		return nil
	}
	var errs metadata.ErrorList
	for _, t := range p.Targets {
		if !t.Variant.Libc || variant.OlderGlibc(t.Variant.Glibc, variant.ToolchainGlibc) {
			// Only a TARGETS line names a variant other than the
			// default glibc one.
			errs = append(errs, &metadata.Error{
				Path: path.Join(p.Dir, metadata.TargetsFile), Line: t.Line,
				Msg: fmt.Sprintf("variant %s cannot ship cgo binaries: they are linked against glibc %s (MODULE.bazel's C toolchain), and %s", t.Variant.Name, variant.ToolchainGlibc, glibcOf(t.Variant)),
			})
		}
	}
	return errs
}

func glibcOf(v variant.Variant) string {
	if !v.Libc {
		return "its base has no C library"
	}
	return "its distribution has glibc " + v.Glibc
}

// labelPart is a Bazel package path or target name as forge accepts them:
// non-empty names of a conservative character set, no "." or ".." names.
var labelPart = regexp.MustCompile(`^(?:[A-Za-z0-9_+@=,~-][A-Za-z0-9._+@=,~-]*|\.[A-Za-z0-9_+@=,~-][A-Za-z0-9._+@=,~-]*)(?:/(?:[A-Za-z0-9_+@=,~-][A-Za-z0-9._+@=,~-]*|\.[A-Za-z0-9_+@=,~-][A-Za-z0-9._+@=,~-]*))*$`)

// packageField checks a directive whose value becomes a pkg_deb attribute
// (Maintainer, Homepage): it must be writable through rules_pkg's variable
// substitution.
func packageField(d directive) *metadata.Error {
	if _, err := escape.RulesPkgString(d.value); err != nil {
		return d.errorf("%s: %v", d.key, err)
	}
	return nil
}

// looksLikeMaintainer accepts "Name <email>" in valid UTF-8 without control
// characters (Debian's control files are UTF-8).
func looksLikeMaintainer(s string) bool {
	name, rest, ok := strings.Cut(s, "<")
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return false
	}
	return ok && strings.TrimSpace(name) != "" && strings.HasSuffix(rest, ">") && strings.Contains(rest, "@")
}

// looksLikeURL accepts an http(s) address of printable ASCII without white
// space, quotes, angle brackets or backslashes: it lands in a systemd unit,
// a control file and an image label as it is.
func looksLikeURL(s string) bool {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c > '~' || strings.ContainsRune("\"'<>\\`", c) {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != ""
}

// directive is one "# gazelle:forge_*" comment line of a BUILD file.
type directive struct {
	file       string
	line       int
	key, value string
}

func (d directive) errorf(format string, args ...any) *metadata.Error {
	return &metadata.Error{Path: d.file, Line: d.line, Msg: fmt.Sprintf(format, args...)}
}

// readAllDirectives reads the directives of the protocols' BUILD files,
// in parallel: in a repository of thousands of protocols reading them is
// mostly waiting for system calls.
func readAllDirectives(root string, protocols []*metadata.Protocol) ([][]directive, error) {
	out := make([][]directive, len(protocols))
	errs := make([]error, len(protocols))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i], errs[i] = readDirectives(root, protocols[i].Dir)
			}
		}()
	}
	for i := range protocols {
		work <- i
	}
	close(work)
	wg.Wait()
	return out, errors.Join(errs...)
}

// readDirectives returns the forge_* directives of the BUILD file in rel, with
// their lines. Gazelle itself reads the same comments; reading them here too
// gives every mistake a position before gazelle writes anything.
func readDirectives(root, rel string) ([]directive, error) {
	for _, name := range BuildFileNames {
		file := path.Join(rel, name)
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var out []directive
		for i, line := range strings.Split(string(data), "\n") {
			text, ok := strings.CutPrefix(strings.TrimSpace(line), "# gazelle:")
			if !ok || !strings.HasPrefix(text, "forge_") {
				continue
			}
			key, value, _ := strings.Cut(text, " ")
			out = append(out, directive{file: file, line: i + 1, key: key, value: strings.TrimSpace(value)})
		}
		return out, nil
	}
	return nil, nil
}

// PrintedVersion is what the service's version command must print: the
// release tag without its "v", which version commands leave out (geth
// prints "1.17.10-stable" for v1.17.10).
func (p *Protocol) PrintedVersion() string { return strings.TrimPrefix(p.Tag, "v") }
