// Package metadata reads a protocol's plain files (VERSION, TARGETS, MANIFEST,
// SERVICE, RUNNER) into one value that gazelle, forge and the tests share.
package metadata

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/protocol-forge/protocol-forge/tools/debversion"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// File names of a protocol directory.
const (
	VersionFile  = "VERSION"
	TargetsFile  = "TARGETS"
	ManifestFile = "MANIFEST"
	ServiceFile  = "SERVICE"
	RunnerFile   = "RUNNER"
	ReadmeFile   = "README.md"
)

// ProtocolsDir is where protocols live, relative to the repository root.
const ProtocolsDir = "protocols"

// DefaultTag is the image tag of a protocol without a VERSION file.
const DefaultTag = "latest"

// DefaultRunner is the CI runner label of a protocol without a RUNNER file.
const DefaultRunner = "ubuntu-latest"

// Entry is one MANIFEST line: an absolute path in the image.
type Entry struct {
	Path string
	Line int
}

// Base is the entry's file name, which names its source target and its place
// in the flat release archive.
func (e Entry) Base() string { return path.Base(e.Path) }

var sharedLibrary = regexp.MustCompile(`\.so(\.[0-9]+)*$`)

// IsSharedLibrary says whether the entry is a shared library, by its file
// name (libfoo.so, libfoo.so.1.2): the dynamic linker must find its
// directory, and it ships without the executable bit.
func (e Entry) IsSharedLibrary() bool { return sharedLibrary.MatchString(e.Base()) }

// Target is one variant of a protocol, with the names it is published under.
type Target struct {
	Variant variant.Variant
	// Named is true when the variant comes from a TARGETS line; image tags of
	// named variants carry the variant's name.
	Named bool
	// Line is the TARGETS line that names the variant, 0 for the default
	// variant of a protocol without TARGETS: where an error about the
	// variant points.
	Line int
}

// Protocol is everything the plain files of one protocol say.
type Protocol struct {
	Name string
	// Dir is the protocol's directory relative to the repository root,
	// slash-separated: "protocols/<name>".
	Dir string
	// Version is VERSION with surrounding white space removed; empty when the
	// protocol has no VERSION file.
	Version string
	// Tag is the image tag: the part of Version after its last "/", or
	// DefaultTag without a VERSION file.
	Tag      string
	Targets  []Target
	Manifest []Entry
	// Service is the MANIFEST entry that runs as the service: SERVICE's path,
	// or the first MANIFEST entry.
	Service Entry
	Runners []string
	// Files are the protocol files present, by name, in the order of the
	// file name constants; tools that read the protocol list them as inputs.
	Files []string
	// Description is the first paragraph of README.md after its title, on one
	// line; "<name> node" when there is none.
	Description string
}

// ImageTag returns the tag an image of target t is pushed under: the
// protocol's tag, prefixed with the variant's name for named variants, as the
// system we replace tagged them.
func (p *Protocol) ImageTag(t Target) string {
	if t.Named {
		return t.Variant.Name + "-" + p.Tag
	}
	return p.Tag
}

// DebVersion returns the Debian version of target t's package: the tag's
// Debian version, and for a protocol with several variants "+" and the
// variant's name, so that each variant's .deb has its own file name.
func (p *Protocol) DebVersion(t Target) string {
	v := debversion.FromTag(p.Tag)
	if len(p.Targets) > 1 {
		v += "+" + t.Variant.Name
	}
	return v
}

// ArchiveName returns the file name of target t's release archive.
func (p *Protocol) ArchiveName(t Target) string {
	return p.Name + "-" + p.ImageTag(t) + ".tar.gz"
}

// DefaultTarget is the target that the unsuffixed generated names (image,
// archive, deb) stand for: the first one.
func (p *Protocol) DefaultTarget() Target { return p.Targets[0] }

// ErrNotProtocol is returned by Load for a directory without a MANIFEST.
var ErrNotProtocol = errors.New("not a protocol: no MANIFEST")

var (
	// An OCI distribution-spec tag.
	tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	// A name that is at once a Debian package name, a path component of an
	// OCI repository, a Bazel package and a system user name.
	namePattern = regexp.MustCompile(`^[a-z0-9]+(?:[.-][a-z0-9]+)*$`)
)

// maxNameLen keeps the name usable as a system user name.
const maxNameLen = 32

// Size limits of the files forge reads: metadata files are a few lines,
// README.md a page. A larger file is a mistake (or /dev/zero), reported
// before it is read whole.
const (
	MaxMetadataSize = 64 << 10
	MaxReadmeSize   = 1 << 20
)

// reservedNames are the users and groups Debian's base system and common
// daemons already have (base-passwd's passwd.master and group.master, and
// systemd's, dbus's and apt's own): a protocol called so would run its
// service as that account, or join its group, instead of getting its own.
var reservedNames = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`root daemon bin sys sync games man lp mail news uucp proxy
		www-data backup list irc gnats nobody nogroup adm tty disk kmem dialout fax voice cdrom
		floppy tape sudo audio dip operator src shadow utmp video sasl plugdev staff users input
		kvm render sgx crontab netdev messagebus systemd-journal systemd-network systemd-resolve
		systemd-timesync systemd-coredump sshd ssh polkitd docker lxd ntp chrony postfix
		ssl-cert syslog uuidd tcpdump landscape pollinate ubuntu debian admin wheel`) {
		reservedNames[n] = true
	}
}

// pathPattern is what a MANIFEST path may hold: absolute, of components of
// letters, digits and ._+- only. Nothing in it can mean something else in
// a systemd unit (%, $, \), a shell script, a Bazel label or a tar name.
var pathPattern = regexp.MustCompile(`^(/[A-Za-z0-9._+-]+)+$`)

// Discover returns the directories under root/protocols that hold a MANIFEST,
// relative to root and sorted.
func Discover(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, ProtocolsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		rel := path.Join(ProtocolsDir, e.Name())
		// A symlinked protocol directory is listed so that Load reports
		// it: silently skipping it would drop the protocol's rules.
		if (e.IsDir() || e.Type()&fs.ModeSymlink != 0) && IsProtocol(root, rel) {
			dirs = append(dirs, rel)
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// IsProtocol reports whether root/rel has a MANIFEST entry of any kind: a
// MANIFEST that is a dangling symlink, a directory or a FIFO still makes a
// protocol, whose Load then reports the file.
func IsProtocol(root, rel string) bool {
	_, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel), ManifestFile))
	return err == nil
}

// LoadAll loads every protocol under root, returning all of their errors
// together as an ErrorList.
func LoadAll(root string) ([]*Protocol, error) {
	dirs, err := Discover(root)
	if err != nil {
		return nil, err
	}
	return LoadDirs(root, dirs)
}

// LoadDirs loads the protocols in dirs (slash-separated, relative to root),
// returning all of their errors together as an ErrorList.
func LoadDirs(root string, dirs []string) ([]*Protocol, error) {
	return loadDirs(root, dirs, false)
}

// LoadActionInputs is LoadDirs for a Bazel action's inputs: Bazel's
// sandboxes lay out each declared input as a symlink to the file in the
// source tree, outside the action's root, so a symlink may lead anywhere
// (to a regular file still). A checkout is read with LoadDirs, which
// follows symlinks only inside the repository.
func LoadActionInputs(root string, dirs []string) ([]*Protocol, error) {
	return loadDirs(root, dirs, true)
}

func loadDirs(root string, dirs []string, symlinksAnywhere bool) ([]*Protocol, error) {
	var protocols []*Protocol
	var errs ErrorList
	for _, dir := range dirs {
		p, err := load(root, dir, symlinksAnywhere)
		var list ErrorList
		switch {
		case errors.As(err, &list):
			errs = append(errs, list...)
		case err != nil:
			return nil, err
		default:
			protocols = append(protocols, p)
		}
	}
	errs.Sort()
	return protocols, errs.Err()
}

// Load reads the protocol in root/rel, where rel is slash-separated and
// relative to root. Problems in the files come back as an ErrorList; a
// directory without a MANIFEST gives ErrNotProtocol.
func Load(root, rel string) (*Protocol, error) {
	return load(root, rel, false)
}

func load(root, rel string, symlinksAnywhere bool) (*Protocol, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	r := reader{root: root, dir: dir, rel: rel, symlinksAnywhere: symlinksAnywhere}
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		r.errs.add(rel, 0, "is a symlink: a protocol is a directory of the repository (Bazel does not follow a symlinked package either)")
		return nil, r.errs
	}
	if !IsProtocol(root, rel) {
		return nil, ErrNotProtocol
	}
	manifest, ok, err := r.read(ManifestFile)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.errs
	}
	p := &Protocol{Name: path.Base(rel), Dir: rel}
	r.checkName(p.Name)

	version, hasVersion, err := r.read(VersionFile)
	if err != nil {
		return nil, err
	}
	p.Version, p.Tag = "", DefaultTag
	if hasVersion {
		p.Version, p.Tag = r.parseVersion(version)
	}

	targets, hasTargets, err := r.read(TargetsFile)
	if err != nil {
		return nil, err
	}
	if hasTargets {
		p.Targets = r.parseTargets(targets, p.Tag)
	} else {
		p.Targets = []Target{{Variant: variant.Default()}}
	}

	p.Manifest = r.parseManifest(manifest)
	if len(p.Manifest) > 0 {
		p.Service = p.Manifest[0]
	}
	service, hasService, err := r.read(ServiceFile)
	if err != nil {
		return nil, err
	}
	if hasService {
		if e, ok := r.parseService(service, p.Manifest); ok {
			p.Service = e
		}
	}

	runners, hasRunners, err := r.read(RunnerFile)
	if err != nil {
		return nil, err
	}
	p.Runners = []string{DefaultRunner}
	if hasRunners {
		p.Runners = r.parseRunners(runners)
	}

	for _, name := range []string{VersionFile, TargetsFile, ManifestFile, ServiceFile, RunnerFile, ReadmeFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			p.Files = append(p.Files, name)
		}
	}
	readme, _, err := r.read(ReadmeFile)
	if err != nil {
		return nil, err
	}
	p.Description = r.description(readme)
	if p.Description == "" {
		p.Description = DefaultDescription(p.Name)
	}

	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return p, nil
}

// firstParagraph returns the first run of text lines of a Markdown file that
// is not a heading, with its white space folded; images, tables and code
// are no description.
func firstParagraph(markdown string) string {
	var words []string
	for _, line := range strings.Split(markdown, "\n") {
		text := strings.TrimSpace(line)
		switch {
		case text == "":
			if len(words) > 0 {
				return strings.Join(words, " ")
			}
		case strings.HasPrefix(text, "#"), strings.HasPrefix(text, "```"), strings.HasPrefix(text, "|"), strings.HasPrefix(text, "!["):
			if len(words) > 0 {
				return strings.Join(words, " ")
			}
		default:
			words = append(words, strings.Fields(text)...)
		}
	}
	return strings.Join(words, " ")
}

// reader parses the files of one protocol directory, collecting errors.
type reader struct {
	root, dir, rel string
	// symlinksAnywhere lets a symlink lead outside root, as every input of
	// a sandboxed Bazel action does.
	symlinksAnywhere bool
	errs             ErrorList
}

func (r *reader) path(file string) string { return path.Join(r.rel, file) }

// read returns the file's content and whether it exists. The file must be
// a regular file within its size limit; a symlink is followed only to a
// regular file inside the repository. Anything else is an error of the
// file, reported with the others, and reads as absent.
func (r *reader) read(file string) (string, bool, error) {
	name := filepath.Join(r.dir, file)
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(name)
		if err != nil {
			r.errs.add(r.path(file), 0, "is a symlink that leads nowhere (%v)", errors.Unwrap(err))
			return "", false, nil
		}
		root, err := filepath.EvalSymlinks(r.root)
		if err != nil {
			return "", false, err
		}
		if rel, err := filepath.Rel(root, target); !r.symlinksAnywhere && (err != nil || rel == ".." || strings.HasPrefix(rel, "../")) {
			r.errs.add(r.path(file), 0, "is a symlink to %s, outside the repository: a clone or a Bazel sandbox would not have it", target)
			return "", false, nil
		}
		if fi, err = os.Stat(target); err != nil {
			return "", false, err
		}
	}
	if !fi.Mode().IsRegular() {
		r.errs.add(r.path(file), 0, "is not a regular file (%s)", kind(fi.Mode()))
		return "", false, nil
	}
	limit := int64(MaxMetadataSize)
	if file == ReadmeFile {
		limit = MaxReadmeSize
	}
	if fi.Size() > limit {
		r.errs.add(r.path(file), 0, "is %d bytes, more than the %d a %s may have", fi.Size(), limit, file)
		return "", false, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", false, err
	}
	if int64(len(data)) > limit {
		r.errs.add(r.path(file), 0, "is more than the %d bytes a %s may have", limit, file)
		return "", false, nil
	}
	return string(data), true, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// DefaultDescription describes a protocol whose README.md says nothing: two
// words after the name, so that the .deb's synopsis (which drops the
// name) is not a single word, which lintian reports as too short.
func DefaultDescription(name string) string { return name + " blockchain node" }

// ValidName says whether name has the form of a protocol name; it may still
// be a reserved one, which Load reports.
func ValidName(name string) bool {
	return namePattern.MatchString(name) && len(name) >= 2 && len(name) <= maxNameLen
}

func (r *reader) checkName(name string) {
	switch {
	case !ValidName(name):
		r.errs.add(r.rel, 0, "protocol name %q must be 2 to %d characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit (it names the Debian package, the service user and the image)", name, maxNameLen)
	case strings.Trim(name, "0123456789") == "":
		r.errs.add(r.rel, 0, "protocol name %q is all digits: as a user name, useradd and systemd would read it as a numeric id", name)
	case reservedNames[name]:
		r.errs.add(r.rel, 0, "protocol name %q is a system account or group of Debian: the service would run as it instead of as its own user", name)
	}
}

// description is README.md's first paragraph (see firstParagraph), which
// must be printable ASCII like every other metadata file: it becomes the
// image's description, the .deb's Description and the unit's.
func (r *reader) description(readme string) string {
	for i, l := range strings.Split(readme, "\n") {
		if c, ok := firstUnprintable(strings.ReplaceAll(strings.TrimSuffix(l, "\r"), "\t", " ")); ok {
			r.errs.add(r.path(ReadmeFile), i+1, "%s is not printable ASCII", c)
			return ""
		}
	}
	return firstParagraph(strings.ReplaceAll(readme, "\t", " "))
}

// line is one line of a file, numbered from 1, with surrounding white space
// (a CR included) removed.
type line struct {
	n    int
	text string
}

// lines splits content into trimmed lines, reporting characters outside
// printable ASCII. Blank lines are kept so that callers decide about them.
func (r *reader) lines(file, content string) []line {
	raw := strings.Split(content, "\n")
	out := make([]line, 0, len(raw))
	for i, s := range raw {
		text := strings.TrimSpace(s)
		if c, ok := firstUnprintable(text); ok {
			r.errs.add(r.path(file), i+1, "%s is not printable ASCII", c)
			continue
		}
		out = append(out, line{n: i + 1, text: text})
	}
	return out
}

// firstUnprintable describes the first character of s outside printable
// ASCII: a character by its quoted form, a byte that is not UTF-8 by its
// value.
func firstUnprintable(s string) (string, bool) {
	for i, c := range s {
		if c == utf8.RuneError && !strings.HasPrefix(s[i:], string(utf8.RuneError)) {
			return fmt.Sprintf("byte 0x%02x", s[i]), true
		}
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("character %q", c), true
		}
	}
	return "", false
}

// significant drops blank lines and, where comments are allowed, "#"
// comments.
func significant(lines []line, comments bool) []line {
	var out []line
	for _, l := range lines {
		text := l.text
		if comments {
			if i := strings.IndexByte(text, '#'); i >= 0 {
				text = strings.TrimSpace(text[:i])
			}
		}
		if text != "" {
			out = append(out, line{n: l.n, text: text})
		}
	}
	return out
}

func (r *reader) parseVersion(content string) (version, tag string) {
	before := len(r.errs)
	lines := significant(r.lines(VersionFile, content), false)
	if len(r.errs) > before {
		return "", ""
	}
	p := r.path(VersionFile)
	switch {
	case len(lines) == 0:
		r.errs.add(p, 1, "VERSION is empty: write the release tag on one line, or delete the file to tag images %q", DefaultTag)
		return "", ""
	case len(lines) > 1:
		r.errs.add(p, lines[1].n, "VERSION has a second line %q: it must be one line, the release tag", lines[1].text)
		return "", ""
	}
	version = lines[0].text
	tag = version[strings.LastIndexByte(version, '/')+1:]
	if !tagPattern.MatchString(tag) {
		r.errs.add(p, lines[0].n, "image tag %q (the part of %q after the last '/') is not a valid OCI tag: 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -", tag, version)
		return "", ""
	}
	return version, tag
}

func (r *reader) parseTargets(content, tag string) []Target {
	p := r.path(TargetsFile)
	lines := significant(r.lines(TargetsFile, content), true)
	seen := map[string]int{}
	var targets []Target
	for _, l := range lines {
		v, ok := variant.Lookup(l.text)
		if !ok {
			r.errs.add(p, l.n, "unknown variant %q; known variants: %s", l.text, variant.Names())
			continue
		}
		if first, dup := seen[v.Name]; dup {
			r.errs.add(p, l.n, "variant %q is listed twice (first at line %d)", v.Name, first)
			continue
		}
		seen[v.Name] = l.n
		if tag != "" && !tagPattern.MatchString(v.Name+"-"+tag) {
			r.errs.add(p, l.n, "image tag %q is longer than 128 characters", v.Name+"-"+tag)
			continue
		}
		targets = append(targets, Target{Variant: v, Named: true, Line: l.n})
	}
	if len(lines) == 0 {
		r.errs.add(p, 1, "TARGETS names no variant: list at least one (%s), or delete the file for the default variant %q", variant.Names(), variant.DefaultName)
	}
	return targets
}

func (r *reader) parseManifest(content string) []Entry {
	p := r.path(ManifestFile)
	lines := significant(r.lines(ManifestFile, content), false)
	seenPath := map[string]int{}
	seenBase := map[string]Entry{}
	var entries []Entry
	for _, l := range lines {
		if !r.checkAbsolute(p, l) {
			continue
		}
		if first, dup := seenPath[l.text]; dup {
			r.errs.add(p, l.n, "duplicate entry %q (first at line %d)", l.text, first)
			continue
		}
		seenPath[l.text] = l.n
		e := Entry{Path: l.text, Line: l.n}
		if first, dup := seenBase[e.Base()]; dup {
			r.errs.add(p, l.n, "%q has the same basename as %q (line %d): release archives and uploads flatten entries to their basenames", e.Path, first.Path, first.Line)
			continue
		}
		seenBase[e.Base()] = e
		entries = append(entries, e)
	}
	if len(lines) == 0 {
		r.errs.add(p, 1, "MANIFEST lists no path: list the absolute in-image paths to ship, the service executable first")
	}
	return entries
}

// checkAbsolute reports whether l is a clean absolute path, and says why not.
func (r *reader) checkAbsolute(file string, l line) bool {
	s := l.text
	switch {
	case !strings.HasPrefix(s, "/"):
		r.errs.add(file, l.n, "relative path %q: entries are absolute paths in the image", s)
	case strings.ContainsAny(s, " \t"):
		r.errs.add(file, l.n, "path %q contains white space", s)
	case containsDotDot(s):
		r.errs.add(file, l.n, "path %q contains '..'", s)
	case s == "/":
		r.errs.add(file, l.n, "path \"/\" is the whole image, not a file or directory to ship")
	case path.Clean(s) != s:
		r.errs.add(file, l.n, "path %q is not clean: write %q", s, path.Clean(s))
	case !pathPattern.MatchString(s):
		r.errs.add(file, l.n, "path %q has a character other than letters, digits and ._+- in a name", s)
	default:
		return true
	}
	return false
}

func containsDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func (r *reader) parseService(content string, manifest []Entry) (Entry, bool) {
	p := r.path(ServiceFile)
	before := len(r.errs)
	lines := significant(r.lines(ServiceFile, content), true)
	if len(r.errs) > before {
		return Entry{}, false
	}
	switch {
	case len(lines) == 0:
		r.errs.add(p, 1, "SERVICE is empty: name the MANIFEST path of the service executable, or delete the file to run the first MANIFEST entry")
		return Entry{}, false
	case len(lines) > 1:
		r.errs.add(p, lines[1].n, "SERVICE has a second path %q: a protocol runs one service executable", lines[1].text)
		return Entry{}, false
	}
	l := lines[0]
	if !r.checkAbsolute(p, l) {
		return Entry{}, false
	}
	for _, e := range manifest {
		if e.Path == l.text {
			return e, true
		}
	}
	r.errs.add(p, l.n, "service executable %q is not listed in MANIFEST", l.text)
	return Entry{}, false
}

func (r *reader) parseRunners(content string) []string {
	p := r.path(RunnerFile)
	lines := significant(r.lines(RunnerFile, content), true)
	seen := map[string]int{}
	var runners []string
	for _, l := range lines {
		if strings.ContainsAny(l.text, " \t") {
			r.errs.add(p, l.n, "runner label %q contains white space: write one label per line", l.text)
			continue
		}
		if first, dup := seen[l.text]; dup {
			r.errs.add(p, l.n, "runner %q is listed twice (first at line %d)", l.text, first)
			continue
		}
		seen[l.text] = l.n
		runners = append(runners, l.text)
	}
	if len(lines) == 0 {
		r.errs.add(p, 1, "RUNNER names no runner label: list at least one, or delete the file for %q", DefaultRunner)
	}
	return runners
}
