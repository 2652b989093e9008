// Package debian renders everything a protocol's .deb holds besides its
// MANIFEST files: control fields, maintainer scripts, the systemd unit, the
// /etc/default file, the ld.so.conf.d entry and the conffiles list. Bazel's
// render action and `forge render` both call it.
package debian

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/protocol-forge/protocol-forge/tools/escape"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// Section and Priority are written explicitly: pkg_deb would otherwise
// write its defaults, contrib/devel and optional.
const (
	Section  = "net"
	Priority = "optional"
	// Urgency is what pkg_deb writes when told nothing.
	Urgency = "medium"
)

// DropInFile is the optional protocol file that loosens (or tightens) the
// hardened unit; it ships as a vendor drop-in.
const DropInFile = "systemd.conf"

// Names of the files Render writes beside the installed tree.
const (
	ControlName = "control"
	// DescriptionName holds the Description field's value, which pkg_deb
	// reads verbatim from description_file; its description attribute would
	// go through str.format.
	DescriptionName = "description"
	ConffilesName   = "conffiles"
	PostinstName    = "postinst"
	PrermName       = "prerm"
	PostrmName      = "postrm"
	LayoutName      = "layout.txt"
	// RootDir holds the installed files at their paths, e.g.
	// root/etc/default/<name>.
	RootDir = "root"
)

// Scripts are the maintainer scripts every package has; the set is the same
// for every protocol so that Bazel can declare them statically.
var Scripts = []string{PostinstName, PrermName, PostrmName}

// ManifestSource is the SOURCE in layout.txt of a MANIFEST entry.
const ManifestSource = "manifest"

// File is one rendered file.
type File struct {
	// Name is where Render writes it, relative to the output directory.
	Name    string
	Content string
	Mode    os.FileMode
	// Path is where the package installs it, or "" for DEBIAN-only files.
	Path string
}

// Control holds the fields of DEBIAN/control that pkg_deb writes, in its
// order, from the attributes gazelle generates.
type Control struct {
	Package, Version, Section, Priority, Architecture string
	Depends                                           []string
	// Conflicts are the packages that install a path this one does.
	Conflicts  []string
	Maintainer string
	// Description is the synopsis line, then the extended description.
	Description  string
	Homepage     string
	Distribution string
	Urgency      string
}

// Package is a rendered .deb.
type Package struct {
	Control   Control
	Files     []File
	Conffiles []string
	// Layout lists every path the .deb installs with its source: a File's
	// Name, or ManifestSource.
	Layout [][2]string
}

// Options of a protocol that shape its package beyond its metadata.
type Options struct {
	// DropIn is the content of the protocol's systemd.conf, if any.
	DropIn string
	// Enable makes postinst enable and start the service.
	Enable bool
}

// LoadOptions reads a protocol's optional packaging files.
func LoadOptions(repo *spec.Repo, p *spec.Protocol) (Options, error) {
	opts := Options{Enable: p.EnableService}
	data, err := os.ReadFile(filepath.Join(repo.Root, filepath.FromSlash(p.Dir), DropInFile))
	if err == nil {
		opts.DropIn = string(data)
	} else if !os.IsNotExist(err) {
		return opts, err
	}
	return opts, nil
}

// LibraryDirs returns the directories of the shared libraries in the
// MANIFEST, sorted: the dynamic linker must search them.
func LibraryDirs(p *metadata.Protocol) []string {
	seen := map[string]bool{}
	var dirs []string
	for _, e := range p.Manifest {
		if e.IsSharedLibrary() && !seen[path.Dir(e.Path)] {
			seen[path.Dir(e.Path)] = true
			dirs = append(dirs, path.Dir(e.Path))
		}
	}
	sort.Strings(dirs)
	return dirs
}

// Paths of the installed files a protocol's package adds.
func UnitPath(name string) string { return "/usr/lib/systemd/system/" + name + ".service" }
func DropInPath(name string) string {
	return "/usr/lib/systemd/system/" + name + ".service.d/10-protocol.conf"
}
func DefaultPath(name string) string { return "/etc/default/" + name }
func LdConfPath(name string) string  { return "/etc/ld.so.conf.d/" + name + ".conf" }
func HomeDir(name string) string     { return "/var/lib/" + name }

func docPath(name, file string) string        { return "/usr/share/doc/" + name + "/" + file }
func lintianOverridesPath(name string) string { return "/usr/share/lintian/overrides/" + name }

// ManifestConflicts reports the MANIFEST entries of p that would collide
// with what the package itself installs or creates: its unit and drop-ins,
// /etc/default/<name>, its ld.so.conf.d entry, its documentation and
// lintian overrides, and its data directory, which postinst must create
// owned by the service user (dpkg would create it root's). An entry that is
// a directory above one of them would ship over it, and collides too.
func ManifestConflicts(p *spec.Protocol) metadata.ErrorList {
	owned := []string{
		UnitPath(p.Name), path.Dir(DropInPath(p.Name)), DefaultPath(p.Name), LdConfPath(p.Name),
		path.Dir(docPath(p.Name, "copyright")), lintianOverridesPath(p.Name), HomeDir(p.Name),
	}
	var errs metadata.ErrorList
	for _, e := range p.Manifest {
		for _, o := range owned {
			if e.Path == o || strings.HasPrefix(e.Path, o+"/") || strings.HasPrefix(o, e.Path+"/") {
				errs = append(errs, &metadata.Error{
					Path: path.Join(p.Dir, metadata.ManifestFile), Line: e.Line,
					Msg: fmt.Sprintf("%s collides with %s, which the .deb installs or creates itself", e.Path, o),
				})
				break
			}
		}
	}
	return errs
}

// rootName is where Render writes an installed file.
func rootName(installPath string) string { return RootDir + installPath }

// installed is one file the package installs besides the MANIFEST
// entries, with the function that renders its content.
type installed struct {
	path    string
	content func() string
}

// plan lists, in order, the files target t's package installs besides the
// MANIFEST entries, and its conffiles; rendering waits until a content
// function is called, so that Outline costs nothing.
func plan(repo *spec.Repo, p *spec.Protocol, c Control, opts Options) (files []installed, conffiles []string) {
	libs := LibraryDirs(p.Protocol)
	files = append(files,
		installed{UnitPath(p.Name), func() string { return unit(p, c) }},
		installed{DefaultPath(p.Name), func() string { return defaultFile(p) }},
	)
	conffiles = append(conffiles, DefaultPath(p.Name))
	if len(libs) > 0 {
		files = append(files, installed{LdConfPath(p.Name), func() string { return strings.Join(libs, "\n") + "\n" }})
		conffiles = append(conffiles, LdConfPath(p.Name))
	}
	if opts.DropIn != "" {
		files = append(files, installed{DropInPath(p.Name), func() string { return opts.DropIn }})
	}
	files = append(files,
		installed{docPath(p.Name, "copyright"), func() string { return copyright(repo, p) }},
		installed{docPath(p.Name, "changelog.gz"), func() string { return changelog(p, c) }},
		installed{lintianOverridesPath(p.Name), func() string { return lintianOverrides(p, libs) }},
	)
	return files, conffiles
}

// Outline is what a BUILD file needs of target t's package: its control
// fields, the names Render gives the files it installs, and its conffiles.
// It renders nothing.
type Outline struct {
	Control   Control
	RootFiles []string
	Conffiles []string
}

// OutlineOf returns the Outline of target t's package for platform pl.
func OutlineOf(repo *spec.Repo, p *spec.Protocol, t metadata.Target, pl platform.Platform, opts Options) Outline {
	o := Outline{Control: ControlFor(repo, p, t, pl)}
	files, conffiles := plan(repo, p, o.Control, opts)
	for _, f := range files {
		o.RootFiles = append(o.RootFiles, rootName(f.path))
	}
	o.Conffiles = conffiles
	return o
}

// Render renders target t of protocol p for platform pl (its control file
// names pl's Debian architecture; nothing else depends on it).
func Render(repo *spec.Repo, p *spec.Protocol, t metadata.Target, pl platform.Platform, opts Options) *Package {
	pkg := &Package{Control: ControlFor(repo, p, t, pl)}
	files, conffiles := plan(repo, p, pkg.Control, opts)
	for _, f := range files {
		name := rootName(f.path)
		pkg.Files = append(pkg.Files, File{Name: name, Content: f.content(), Mode: 0o644, Path: f.path})
		pkg.Layout = append(pkg.Layout, [2]string{f.path, name})
	}
	pkg.Conffiles = conffiles
	for _, e := range p.Manifest {
		pkg.Layout = append(pkg.Layout, [2]string{e.Path, ManifestSource})
	}
	sort.Slice(pkg.Layout, func(i, j int) bool { return pkg.Layout[i][0] < pkg.Layout[j][0] })

	libs := LibraryDirs(p.Protocol)
	s := scriptVars{Name: p.Name, Home: HomeDir(p.Name), Ldconfig: len(libs) > 0, Enable: opts.Enable,
		Comment: p.Name + " node"}
	pkg.Files = append(pkg.Files,
		File{Name: PostinstName, Content: render(postinst, s), Mode: 0o755},
		File{Name: PrermName, Content: render(prerm, s), Mode: 0o755},
		File{Name: PostrmName, Content: render(postrm, s), Mode: 0o755},
		File{Name: ConffilesName, Content: strings.Join(pkg.Conffiles, "\n") + "\n", Mode: 0o644},
		File{Name: ControlName, Content: pkg.Control.String(), Mode: 0o644},
		File{Name: DescriptionName, Content: pkg.Control.Description + "\n", Mode: 0o644},
		File{Name: LayoutName, Content: layoutText(pkg.Layout), Mode: 0o644},
	)
	return pkg
}

// ControlFor returns the control fields of target t's package for platform
// pl; gazelle writes them into pkg_deb's attributes.
func ControlFor(repo *spec.Repo, p *spec.Protocol, t metadata.Target, pl platform.Platform) Control {
	c := Control{
		Package:      p.Name,
		Version:      p.DebVersion(t),
		Section:      Section,
		Priority:     Priority,
		Architecture: pl.Debian,
		Maintainer:   repo.Maintainer,
		Description:  description(p),
		Homepage:     p.Upstream,
		Distribution: t.Variant.Distribution,
		Urgency:      Urgency,
	}
	switch {
	case p.Cgo:
		// Linked against the C toolchain's glibc, a binary may need any
		// symbol version up to it.
		c.Depends = []string{"libc6 (>= " + variant.ToolchainGlibc + ")"}
	case t.Variant.Libc:
		c.Depends = []string{"libc6"}
	}
	c.Depends = append(c.Depends, p.Depends...)
	c.Conflicts = p.Conflicts
	return c
}

// FileName is the .deb's file name, NAME_VERSION_ARCH.deb.
func (c Control) FileName() string {
	return fmt.Sprintf("%s_%s_%s.deb", c.Package, c.Version, c.Architecture)
}

// String renders the control file as pkg_deb writes it: its field order,
// only the fields that have a value, a multi-line Description continued
// with a leading space. pkg_deb adds no Installed-Size, and neither do we;
// Distribution and Urgency go only into its .changes file (make_deb.py's
// main passes neither to CreateDeb), so they are not written here.
func (c Control) String() string {
	var b strings.Builder
	field := func(name, value string) {
		if value == "" {
			return
		}
		escaped, err := escape.ControlField(value, false)
		if err != nil {
			panic(fmt.Sprintf("%s of %s: %v", name, c.Package, err))
		}
		fmt.Fprintf(&b, "%s: %s\n", name, escaped)
	}
	field("Package", c.Package)
	field("Version", c.Version)
	field("Section", c.Section)
	field("Priority", c.Priority)
	field("Architecture", c.Architecture)
	field("Depends", strings.Join(c.Depends, ", "))
	field("Conflicts", strings.Join(c.Conflicts, ", "))
	field("Maintainer", c.Maintainer)
	description, err := escape.ControlField(c.Description, true)
	if err != nil {
		// Metadata admits only printable ASCII, and wrap never starts a
		// line with "."; a failure is a bug there.
		panic(fmt.Sprintf("Description of %s: %v", c.Package, err))
	}
	fmt.Fprintf(&b, "Description: %s\n", description)
	field("Homepage", c.Homepage)
	return b.String()
}

// description is the Description field: the synopsis, then the extended
// description wrapped. A synopsis cut from a long first sentence can equal
// the extended description's first line, which lintian reports
// (description-synopsis-is-duplicated); it is cut a word shorter then.
func description(p *spec.Protocol) string {
	short := synopsis(p.Name, p.Description)
	long := wrap(extended(p), 72)
	first, _, _ := strings.Cut(long, "\n")
	for short == first {
		i := strings.LastIndexByte(short, ' ')
		if i < 0 {
			break
		}
		short = strings.TrimRight(short[:i], " ,:;-(")
		if open := strings.LastIndexByte(short, '('); open > strings.LastIndexByte(short, ')') {
			// Not an unbalanced parenthesis, cut before it.
			short = strings.TrimRight(short[:open], " ,:;-")
		}
	}
	return short + "\n" + long
}

// extended is the extended description: the README's first paragraph and
// what the package sets up, so that it never merely repeats the synopsis.
func extended(p *spec.Protocol) string {
	description := p.Description
	if strings.HasPrefix(description, ".") {
		// A continuation line may not start with "." (see wrap).
		description = p.Name + ": " + description
	}
	return fmt.Sprintf("%s This package runs %s as the systemd service %s.service, under the system user %s, with its data in %s.",
		description, p.Service.Path, p.Name, p.Name, HomeDir(p.Name))
}

// synopsis is the description's first sentence without its full stop and
// without a leading package name (Debian's synopsis never repeats it), cut
// at a word to fit Debian's 80-column synopsis line.
func synopsis(name, description string) string {
	s := description
	if len(s) > len(name) && strings.EqualFold(s[:len(name)], name) && strings.ContainsRune(" ,:-", rune(s[len(name)])) {
		s = strings.TrimLeft(s[len(name):], " ,:-")
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, "."))
	if strings.Trim(s, ".,:;- ") == "" {
		// A paragraph of only the name or punctuation says nothing.
		s = synopsis(name, metadata.DefaultDescription(name))
	}
	for len(s) > 72 {
		i := strings.LastIndexByte(s[:72], ' ')
		if i < 0 {
			s = s[:72]
			break
		}
		s = s[:i]
	}
	return s
}

// wrap folds text into lines of at most width columns.
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		// Debian reserves continuation lines that start with "." (policy
		// 5.6.13), so such a word stays on the line before, however long.
		if line != "" && len(line)+1+len(w) > width && !strings.HasPrefix(w, ".") {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func layoutText(layout [][2]string) string {
	var b strings.Builder
	for _, l := range layout {
		fmt.Fprintf(&b, "%s\t%s\n", l[0], l[1])
	}
	return b.String()
}

// Write writes every rendered file under dir. Each file is created, never
// opened if something is at its path already (a symlink planted there is
// not written through): Bazel deletes an action's declared outputs before
// it runs, so only a mistake finds one. Other files in dir are left alone;
// Bazel packages only the declared outputs, and by hand -out should be a
// fresh directory.
func (pkg *Package) Write(dir string) error {
	for _, f := range pkg.Files {
		dest := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, f.Mode)
		if err != nil {
			return err
		}
		_, err = out.WriteString(f.Content)
		if closeErr := out.Close(); err == nil {
			err = closeErr
		}
		if err != nil {
			return err
		}
		// The mode as given, whatever the umask.
		if err := os.Chmod(dest, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// RootFiles returns the rendered files the package installs.
func (pkg *Package) RootFiles() []File {
	var out []File
	for _, f := range pkg.Files {
		if f.Path != "" {
			out = append(out, f)
		}
	}
	return out
}
