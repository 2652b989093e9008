package packaging

import (
	"fmt"
	"os"
	"path"
	"strings"
	"unicode"

	bzl "github.com/bazelbuild/buildtools/build"
)

// Field is one field of DEBIAN/control.
type Field struct{ Name, Value string }

// Deb is what one pkg_deb writes.
type Deb struct {
	Rule string
	// File is the .deb's name, Changes the .changes file's beside it.
	File, Changes string
	// ArMembers are the members of the .deb's ar archive, in order.
	ArMembers []string
	// Fields are DEBIAN/control's fields, in the order pkg_deb writes them.
	Fields []Field
	// ControlMembers are the entries of control.tar.gz.
	ControlMembers []Member
	// Conffiles is DEBIAN/conffiles as written, or "".
	Conffiles string
	// Data is the pkg_tar whose output is the data member.
	Data string
	// Distribution and Urgency go into the .changes file only.
	Distribution, Urgency string
}

// Control is DEBIAN/control as pkg_deb writes it.
func (d *Deb) Control() string {
	var b strings.Builder
	for _, f := range d.Fields {
		b.WriteString(controlField(f.Name, f.Value, f.Name == "Description"))
	}
	return b.String()
}

// Field returns the value of the named control field and whether pkg_deb
// writes it.
func (d *Deb) Field(name string) (string, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// debianFields is make_deb.py's DEBIAN_FIELDS (pkg/private/deb/make_deb.py:
// 39-63): name, mandatory, multi-line. Their order is the control file's.
var debianFields = []struct {
	name                 string
	mandatory, multiline bool
}{
	{"Package", true, false},
	{"Version", true, false},
	{"Section", false, false},
	{"Priority", false, false},
	{"Architecture", false, false},
	{"Depends", false, false},
	{"Recommends", false, false},
	{"Replaces", false, false},
	{"Suggests", false, false},
	{"Enhances", false, false},
	{"Conflicts", false, false},
	{"Breaks", false, false},
	{"Pre-Depends", false, false},
	{"Provides", false, false},
	{"Installed-Size", false, false},
	{"Maintainer", true, false},
	{"Description", true, true},
	{"Homepage", false, false},
	{"License", false, false},
	{"Built-Using", false, false},
	{"Distribution", false, false},
	{"Urgency", false, false},
	{"Multi-Arch", false, false},
}

// controlScripts are the files pkg_deb puts beside control in
// control.tar.gz, in CreateDeb's order, with their modes
// (make_deb.py:209-229); conffiles comes between md5sums and changelog.
var controlScripts = []struct {
	attr string
	mode os.FileMode
}{
	{"preinst", 0o755}, {"postinst", 0o755}, {"prerm", 0o755}, {"postrm", 0o755},
	{"config", 0o755}, {"templates", 0o644}, {"triggers", 0o644}, {"md5sums", 0o644},
	{"conffiles", 0o644}, {"changelog", 0o644},
}

// Deb models the pkg_deb called name: rules_pkg 1.3.0's pkg_deb rule
// (pkg/private/deb/deb.bzl) writing make_deb.py's arguments, and
// make_deb.py writing the package. read returns the content of a file
// label pkg_deb passes with "@" (description_file, conffiles_file, the
// maintainer scripts); ok is false when the caller does not know it, which
// only the description cannot do without.
func (p *Package) Deb(name string, read func(label string) (content string, ok bool)) (*Deb, error) {
	r := p.rules[name]
	if r == nil || r.Kind() != "pkg_deb" {
		return nil, fmt.Errorf("%s: no pkg_deb %q", p.Path, name)
	}
	if err := p.checkAttrs(r, "data", "package", "version", "architecture", "maintainer",
		"description", "description_file", "section", "priority", "homepage", "license", "built_using",
		"depends", "recommends", "replaces", "suggests", "enhances", "conflicts", "breaks", "predepends", "provides",
		"distribution", "urgency", "conffiles", "conffiles_file", "package_file_name",
		"preinst", "postinst", "prerm", "postrm", "config", "templates", "triggers", "md5sums", "changelog"); err != nil {
		return nil, err
	}
	d := &Deb{Rule: name}
	// formatted is an attribute after substitute_package_variables; set
	// says whether the BUILD file gives it.
	formatted := func(attr, def string) (string, bool, error) {
		v, err := p.str(r, attr, def)
		if err != nil {
			return "", false, err
		}
		s, err := Substitute(v, MakeVariables)
		if err != nil {
			return "", false, p.errorf(r, "%s: %v", attr, err)
		}
		return s, r.Attr(attr) != nil, nil
	}
	formattedList := func(attr string) ([]string, error) {
		vs, err := p.strs(r, attr)
		if err != nil {
			return nil, err
		}
		for i, v := range vs {
			if vs[i], err = Substitute(v, MakeVariables); err != nil {
				return nil, p.errorf(r, "%s: %v", attr, err)
			}
		}
		return vs, nil
	}

	// kwargs of CreateDeb (make_deb.py:390-424), from the arguments
	// deb.bzl writes; a value nil or empty is not written unless the
	// field is mandatory (CreateDebControl, make_deb.py:160-170).
	kwargs := map[string]any{}
	pkg, _, err := formatted("package", "") // deb.bzl:41,48; make_deb.py:403 takes it as is
	if err != nil {
		return nil, err
	}
	kwargs["package"] = pkg
	for _, a := range []struct {
		attr, key, def string
		always         bool
	}{
		{"version", "version", "", false},             // deb.bzl:100-101
		{"maintainer", "maintainer", "", false},       // deb.bzl:49
		{"architecture", "architecture", "all", true}, // deb.bzl:57; default "all", :235-238
		{"homepage", "homepage", "", false},           // deb.bzl:144-145
		{"license", "license", "", false},             // deb.bzl:146-147
		{"built_using", "builtUsing", "", false},      // deb.bzl:128-129
	} {
		v, set, err := formatted(a.attr, a.def)
		if err != nil {
			return nil, err
		}
		if set || a.always {
			kwargs[a.key] = pyStrip(v) // helpers.GetFlagValue strips (helpers.py:101-102)
		}
	}
	if v, ok := kwargs["version"]; !ok || v == "" {
		return nil, p.errorf(r, "Neither version_file nor version attribute was specified")
	}
	// section and priority are passed only when set (deb.bzl:140-143);
	// make_deb's argparse defaults stand in otherwise (make_deb.py:42-43,
	// 79-84), so both are always written.
	for _, a := range [][3]string{{"section", "section", "contrib/devel"}, {"priority", "priority", "optional"}} {
		v, set, err := formatted(a[0], "")
		if err != nil {
			return nil, err
		}
		if !set || v == "" {
			v = a[2]
		}
		kwargs[a[1]] = v
	}
	for _, a := range [][2]string{{"depends", "depends"}, {"recommends", "recommends"}, {"replaces", "replaces"},
		{"suggests", "suggests"}, {"enhances", "enhances"}, {"conflicts", "conflicts"}, {"breaks", "breaks"},
		{"predepends", "preDepends"}, {"provides", "provides"}} { // deb.bzl:136-179
		vs, err := formattedList(a[0])
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 {
			kwargs[a[1]] = vs
		}
	}

	// The description: description_file read verbatim with "@"
	// (deb.bzl:105-109), or the formatted description attribute written to
	// a file (:110-114); GetFlagValue strips it either way (make_deb.py:405).
	descFile, err := p.str(r, "description_file", "")
	if err != nil {
		return nil, err
	}
	switch desc, set, err := formatted("description", ""); {
	case err != nil:
		return nil, err
	case descFile != "" && set:
		return nil, p.errorf(r, "Both description and description_file attributes were specified")
	case descFile != "":
		content, ok := read(descFile)
		if !ok {
			return nil, p.errorf(r, "description_file %s: content not given to the model", descFile)
		}
		kwargs["description"] = pyStrip(content)
	case set:
		kwargs["description"] = pyStrip(desc)
	default:
		return nil, p.errorf(r, "Neither description_file nor description attribute was specified")
	}

	// Distribution and Urgency: formatted and passed (deb.bzl:149-150,
	// defaults :273-280) but main() gives them to CreateChanges only
	// (make_deb.py:425-433), never to CreateDeb.
	if d.Distribution, _, err = formatted("distribution", "unstable"); err != nil {
		return nil, err
	}
	if d.Urgency, _, err = formatted("urgency", "medium"); err != nil {
		return nil, err
	}

	// CreateDebControl (make_deb.py:160-170): each field of DEBIAN_FIELDS
	// that is mandatory or has a value, in that order. The key is the
	// field name with its first letter lowered and dashes dropped.
	for _, f := range debianFields {
		key := strings.ToLower(f.name[:1]) + strings.ReplaceAll(f.name[1:], "-", "")
		v := kwargs[key]
		var value string
		switch v := v.(type) {
		case string:
			value = v
		case []string:
			value = strings.Join(v, ", ") // make_deb.py:136-137
		}
		if !f.mandatory && value == "" {
			continue
		}
		if !f.multiline {
			// A simple field keeps one line (make_deb.py:139-143).
			value = pyStrip(value)
			if strings.Contains(value, "\n") {
				return nil, p.errorf(r, "make_deb: \\n is not allowed in simple control fields (%s)", value)
			}
		}
		d.Fields = append(d.Fields, Field{f.name, value})
	}

	// control.tar.gz (make_deb.py:172-189): ./control, then the scripts
	// and lists that are given and not empty, uid and gid 0, mtime 0.
	d.ControlMembers = append(d.ControlMembers, Member{Name: "./control", Mode: 0o644})
	for _, s := range controlScripts {
		if s.attr == "conffiles" {
			conffiles, err := p.conffiles(r, read)
			if err != nil {
				return nil, err
			}
			d.Conffiles = conffiles
			if conffiles != "" {
				d.ControlMembers = append(d.ControlMembers, Member{Name: "./conffiles", Mode: 0o644})
			}
			continue
		}
		l, err := p.str(r, s.attr, "")
		if err != nil {
			return nil, err
		}
		if l == "" {
			continue
		}
		if content, ok := read(l); ok && content == "" {
			continue // GetFlagValue reads "", CreateDeb skips it (make_deb.py:210-229)
		}
		d.ControlMembers = append(d.ControlMembers, Member{Name: "./" + s.attr, Mode: s.mode, Source: l})
	}

	// The data tar becomes data.<its extension> (make_deb.py:237-251).
	data, err := p.str(r, "data", "")
	if err != nil {
		return nil, err
	}
	local, ok := p.local(data)
	if !ok || p.rules[local].Kind() != "pkg_tar" {
		return nil, p.errorf(r, "data: the packaging model follows a pkg_tar of the same package only, not %q", data)
	}
	tar, err := p.Tar(local)
	if err != nil {
		return nil, err
	}
	d.Data = local
	d.ArMembers = []string{"debian-binary", "control.tar.gz", "data." + dataExtension(tar.File)}

	// The file names: package_file_name, or package_version_arch.deb, both
	// formatted (deb.bzl:24-35, util.bzl:52-55); the .changes beside it
	// (deb.bzl:37-39).
	pfn, err := p.str(r, "package_file_name", "")
	if err != nil {
		return nil, err
	}
	if pfn == "" {
		version, _ := p.str(r, "version", "")
		arch, _ := p.str(r, "architecture", "all")
		rawPkg, _ := p.str(r, "package", "")
		pfn = fmt.Sprintf("%s_%s_%s.deb", rawPkg, version, arch)
	}
	if d.File, err = Substitute(pfn, MakeVariables); err != nil {
		return nil, p.errorf(r, "package_file_name: %v", err)
	}
	base := d.File
	if i := strings.LastIndex(base, "."); i >= 0 {
		base = base[:i]
	}
	d.Changes = base + ".changes"
	return d, nil
}

// conffiles is DEBIAN/conffiles: the list, each item as written
// (deb.bzl:84-92, not formatted), or the file's content unstripped
// (make_deb.py:337-341), joined with newlines and ended with one
// (make_deb.py:226-227).
func (p *Package) conffiles(r *bzl.Rule, read func(string) (string, bool)) (string, error) {
	list, err := p.strs(r, "conffiles")
	if err != nil {
		return "", err
	}
	file, err := p.str(r, "conffiles_file", "")
	if err != nil {
		return "", err
	}
	switch {
	case file != "" && len(list) > 0:
		return "", p.errorf(r, "Both conffiles and conffiles_file attributes were specified")
	case file != "":
		content, ok := read(file)
		if !ok {
			return "", p.errorf(r, "conffiles_file %s: content not given to the model", file)
		}
		return content + "\n", nil
	case len(list) > 0:
		return strings.Join(list, "\n") + "\n", nil
	}
	return "", nil
}

// dataExtension is CreateDeb's name for the data member (make_deb.py:
// 237-248): the file's last two dot-separated parts if they are a known
// compressed tar, else "tar".
func dataExtension(file string) string {
	parts := strings.Split(path.Base(file), ".")
	if len(parts) < 2 {
		return "tar"
	}
	ext := parts[len(parts)-2:]
	switch {
	case ext[1] == "tgz":
		return "tar.gz"
	case ext[1] == "tar.bzip2":
		return "tar.bz2"
	}
	switch e := strings.Join(ext, "."); e {
	case "tar.bz2", "tar.gz", "tar.xz", "tar.lzma", "tar.zst":
		return e
	}
	return "tar"
}

// controlField is MakeDebianControlField (make_deb.py:125-157) for a value
// already stripped: the first line after the name, each further line
// indented by one space unless it already starts with one.
func controlField(name, value string, multiline bool) string {
	value = strings.TrimRightFunc(value, pyIsSpace)
	if !multiline {
		value = pyStrip(value)
	}
	lines := strings.Split(value, "\n")
	out := name + ": " + pyStrip(lines[0]) + "\n"
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, " ") {
			out += " "
		}
		out += l + "\n"
	}
	return out
}

// pyIsSpace is Python's str.isspace for one character: Go's white space
// plus the information separators U+001C..U+001F.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// pyStrip is Python's str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }
