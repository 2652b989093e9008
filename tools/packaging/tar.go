package packaging

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// PortableMTime is the mtime of every entry of a pkg_tar with
// portable_mtime, 2000-01-01 00:00:00 UTC (rules_pkg
// pkg/private/tar/tar_writer.py:34).
const PortableMTime = 946684800

// Member is one entry of a tar file.
type Member struct {
	// Name is the path in the archive, without a leading or trailing "/"
	// (the archive spells a directory "usr/").
	Name         string
	Dir          bool
	Mode         os.FileMode
	UID, GID     int
	Uname, Gname string
	MTime        int64
	// Source is where a file's content comes from: the label, or for a
	// file of a directory output the label and its path in it.
	Source string
}

// String is the entry as `tar -tv --numeric-owner` prints it, with the
// mtime in seconds and any owner names after the numbers.
func (m Member) String() string {
	mode, name := m.Mode.Perm(), m.Name
	if m.Dir {
		mode |= os.ModeDir
		name += "/"
	}
	owner := fmt.Sprintf("%d/%d", m.UID, m.GID)
	if m.Uname != "" || m.Gname != "" {
		owner += fmt.Sprintf("(%s/%s)", m.Uname, m.Gname)
	}
	return fmt.Sprintf("%s %s %d %s", mode, owner, m.MTime, name)
}

// Tar is what one pkg_tar writes.
type Tar struct {
	Rule string
	// File is the output's name: package_file_name, or the rule's name
	// and extension.
	File string
	// Compression is "", "gz", "bz2" or "xz".
	Compression string
	// MTime is the default mtime, which tar_writer.py also writes into a
	// gzip header (tar_writer.py:103-109).
	MTime int64
	// Members in archive order.
	Members []Member
}

// Member returns the entry called name (no leading or trailing "/").
func (t *Tar) Member(name string) (Member, bool) {
	for _, m := range t.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// Listing is every entry's String, one a line.
func (t *Tar) Listing() string {
	var b strings.Builder
	for _, m := range t.Members {
		b.WriteString(m.String() + "\n")
	}
	return b.String()
}

// Tar models the pkg_tar called name: rules_pkg 1.3.0's pkg_tar rule
// (pkg/private/tar/tar.bzl) writing the manifest and arguments, and its
// build_tar.py and tar_writer.py writing the archive from them.
func (p *Package) Tar(name string) (*Tar, error) {
	r := p.rules[name]
	if r == nil || r.Kind() != "pkg_tar" {
		return nil, fmt.Errorf("%s: no pkg_tar %q", p.Path, name)
	}
	if err := p.checkAttrs(r, "srcs", "deps", "mode", "owner", "ownername", "extension", "out",
		"portable_mtime", "mtime", "package_file_name", "create_parents", "allow_duplicates_from_deps"); err != nil {
		return nil, err
	}
	t := &Tar{Rule: name}

	// Compression from the extension (tar.bzl:80-96); the output is
	// package_file_name (util.bzl:20-63, formatted) or name.extension
	// (tar.bzl:358-363).
	ext, err := p.str(r, "extension", "tar") // tar.bzl:263-269
	if err != nil {
		return nil, err
	}
	if ext != "" && ext != "tar" {
		c := ext[strings.LastIndex(ext, ".")+1:]
		switch c {
		case "tgz":
			c = "gz"
		case "txz":
			c = "xz"
		}
		switch c {
		case "", "gz", "bz2", "xz": // SUPPORTED_TAR_COMPRESSIONS, tar.bzl:37-39
		default:
			return nil, p.errorf(r, "Unsupported compression: '%s'", c)
		}
		t.Compression = c
	}
	outExt := strings.TrimPrefix(ext, ".")
	if outExt == "" {
		outExt = "tar"
	}
	out, err := p.str(r, "out", name+"."+outExt)
	if err != nil {
		return nil, err
	}
	t.File = out
	if pfn, err := p.str(r, "package_file_name", ""); err != nil {
		return nil, err
	} else if pfn != "" {
		if t.File, err = Substitute(pfn, MakeVariables); err != nil {
			return nil, p.errorf(r, "package_file_name: %v", err)
		}
	}

	// Defaults build_tar gives entries without attributes of their own:
	// --mode (tar.bzl:63,252; build_tar.py:430-433), --owner
	// (tar.bzl:64,256-259; build_tar.py:455-456), --owner_name
	// (tar.bzl:65,260; build_tar.py:443-445: "." is no names).
	modeAttr, err := p.str(r, "mode", "0555")
	if err != nil {
		return nil, err
	}
	var defaultMode *os.FileMode
	if modeAttr != "" {
		m, err := strconv.ParseUint(modeAttr, 8, 32)
		if err != nil {
			return nil, p.errorf(r, "mode %q is not octal", modeAttr)
		}
		fm := os.FileMode(m)
		defaultMode = &fm
	}
	owner, err := p.str(r, "owner", "0.0")
	if err != nil {
		return nil, err
	}
	defaultIDs, err := parseIDs(owner)
	if err != nil {
		return nil, p.errorf(r, "owner %q: %v", owner, err)
	}
	ownername, err := p.str(r, "ownername", ".")
	if err != nil {
		return nil, err
	}
	defaultNames := [2]string{}
	if ownername != "" {
		u, g, _ := strings.Cut(ownername, ".")
		defaultNames = [2]string{u, g}
	}

	// mtime: portable_mtime, on by default (tar.bzl:255), is 2000-01-01;
	// an explicit mtime with it fails (tar.bzl:98-103); neither is 0
	// (tar_writer.py:78-83).
	portable, err := p.boolean(r, "portable_mtime", true)
	if err != nil {
		return nil, err
	}
	mtime, err := p.integer(r, "mtime", -1)
	if err != nil {
		return nil, err
	}
	w := &tarWriter{existing: map[string]bool{}}
	switch {
	case mtime != -1 && portable:
		return nil, p.errorf(r, "You may not set both mtime and portable_mtime")
	case portable:
		w.defaultMTime = PortableMTime
	case mtime != -1:
		w.defaultMTime = mtime
	}
	t.MTime = w.defaultMTime
	if w.createParents, err = p.boolean(r, "create_parents", true); err != nil { // tar.bzl:177-178,286
		return nil, err
	}
	if w.allowDups, err = p.boolean(r, "allow_duplicates_from_deps", false); err != nil { // tar.bzl:180-181,287
		return nil, err
	}

	// The manifest: every srcs mapping, sorted by destination
	// (pkg_files.bzl:654-662). A later mapping of the same destination
	// replaces an earlier one: pkg_tar allows duplicates with different
	// content by default and only warns (tar.bzl:300-306,
	// pkg_files.bzl:140-171).
	srcs, err := p.strs(r, "srcs")
	if err != nil {
		return nil, err
	}
	content := map[string]manifestEntry{}
	for _, s := range srcs {
		local, ok := p.local(s)
		if !ok || p.rules[local].Kind() != "pkg_files" {
			return nil, p.errorf(r, "srcs: the packaging model follows pkg_files of the same package only, not %s", s)
		}
		entries, err := p.pkgFiles(p.rules[local])
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			content[e.dest] = e
		}
	}
	dests := make([]string, 0, len(content))
	for d := range content {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		if err := w.addManifestEntry(content[d], defaultMode, defaultIDs, defaultNames); err != nil {
			return nil, p.errorf(r, "%v", err)
		}
	}

	// deps are merged after the manifest (build_tar.py:496-501).
	deps, err := p.strs(r, "deps")
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		local, ok := p.local(d)
		if !ok || p.rules[local].Kind() != "pkg_tar" {
			return nil, p.errorf(r, "deps: the packaging model follows pkg_tar of the same package only, not %s", d)
		}
		dep, err := p.Tar(local)
		if err != nil {
			return nil, err
		}
		w.addTar(dep.Members)
	}
	t.Members = w.members
	return t, nil
}

func parseIDs(s string) ([2]int, error) {
	u, g, ok := strings.Cut(s, ".")
	if !ok {
		return [2]int{}, fmt.Errorf("not UID.GID")
	}
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil {
		return [2]int{}, fmt.Errorf("not numeric")
	}
	return [2]int{uid, gid}, nil
}

// tarWriter is tar_writer.py's TarFileWriter as build_tar.py drives it.
type tarWriter struct {
	members                  []Member
	existing                 map[string]bool
	createParents, allowDups bool
	defaultMTime             int64
}

// addManifestEntry is build_tar.py's add_manifest_entry (:323-355): the
// pkg_tar defaults, overridden by every attribute the manifest entry has.
func (w *tarWriter) addManifestEntry(e manifestEntry, defaultMode *os.FileMode, ids [2]int, names [2]string) error {
	mode := defaultMode
	if e.mode != "" {
		m, err := strconv.ParseUint(e.mode, 8, 32)
		if err != nil {
			return fmt.Errorf("%s: mode %q is not octal", e.dest, e.mode)
		}
		fm := os.FileMode(m)
		mode = &fm
	}
	if e.user != "" {
		if e.group != "" {
			names = [2]string{e.user, e.group}
		} else {
			names = [2]string{e.user, names[1]}
		}
	}
	if e.uid != nil {
		if e.gid != nil {
			ids = [2]int{*e.uid, *e.gid}
		} else {
			ids = [2]int{*e.uid, *e.uid}
		}
	}
	if mode == nil {
		// build_tar.py:111-114 and :309-311 would look at the source's
		// executable bit, which a BUILD file does not say.
		return fmt.Errorf("%s has no mode and the pkg_tar none either: the packaging model cannot tell the source's", e.dest)
	}
	if e.isTree {
		w.addTree(e, *mode, ids, names)
		return nil
	}
	// add_file (build_tar.py:95-129): the normalised destination, the
	// default mtime.
	w.addFile(Member{Name: normalize(e.dest), Mode: *mode, UID: ids[0], GID: ids[1],
		Uname: names[0], Gname: names[1], MTime: w.defaultMTime, Source: e.src})
	return nil
}

// addTree is build_tar.py's add_tree (:242-321): every file of the
// directory output gets the entry's mode, every directory inside it 0755;
// the output's own directory is created as a parent.
func (w *tarWriter) addTree(e manifestEntry, mode os.FileMode, ids [2]int, names [2]string) {
	dest := normalize(strings.Trim(e.dest, "/"))
	if dest == "." || dest == "" {
		dest = ""
	} else {
		dest += "/"
	}
	// os.walk visits every directory; to_write holds each directory and
	// file under its destination, written in sorted order (:271-296).
	toWrite := map[string]bool{} // path -> is a directory
	for _, rel := range e.tree {
		isDir := strings.HasSuffix(rel, "/")
		rel = strings.Trim(rel, "/")
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			toWrite[dest+d] = true
		}
		toWrite[dest+rel] = isDir
	}
	paths := make([]string, 0, len(toWrite))
	for p := range toWrite {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		m := Member{Name: normalize(p), UID: ids[0], GID: ids[1], Uname: names[0], Gname: names[1], MTime: w.defaultMTime}
		if toWrite[p] {
			// "the least surprising thing we can do is make it the
			// canonical rwxr-xr-x" (:298-307).
			m.Dir, m.Mode = true, 0o755
		} else {
			m.Mode, m.Source = mode, e.src+"/"+strings.TrimPrefix(p, dest) // :308-321
		}
		w.addFile(m)
	}
}

// addFile is TarFileWriter.add_file (tar_writer.py:220-284): nothing for an
// empty name or one already written (unless duplicates are allowed), else
// the missing parents, then the entry.
func (w *tarWriter) addFile(m Member) {
	if m.Name == "" || m.Name == "." {
		return
	}
	if !w.allowDups && w.exists(m.Name) {
		return
	}
	w.addParents(m)
	w.add(m)
}

// addParents is conditionally_add_parents (tar_writer.py:203-218): each
// missing parent directory, 0755, with the entry's owner and mtime.
func (w *tarWriter) addParents(m Member) {
	if !w.createParents {
		return
	}
	dirs := strings.Split(m.Name, "/")
	parent := ""
	for _, d := range dirs[:len(dirs)-1] {
		parent += d + "/"
		if !w.exists(parent) {
			w.add(Member{Name: strings.TrimSuffix(parent, "/"), Dir: true, Mode: 0o755,
				UID: m.UID, GID: m.GID, Uname: m.Uname, Gname: m.Gname, MTime: m.MTime})
		}
	}
}

// add is _addfile (tar_writer.py:143-167): a name already written is
// skipped, the first entry wins, unless duplicates are allowed.
func (w *tarWriter) add(m Member) {
	if !w.allowDups && w.exists(m.Name) {
		return
	}
	w.members = append(w.members, m)
	w.existing[m.Name] = true
}

// exists is _existing_member_type (tar_writer.py:131-141).
func (w *tarWriter) exists(name string) bool {
	if name == "/" || name == "./" {
		return true
	}
	return w.existing[strings.TrimRight(name, "/")]
}

// addTar is TarFileWriter.add_tar (tar_writer.py:286-359) as build_tar.py
// calls it for deps (:179-189): every member as it is, mode, uid, gid and
// mtime kept (preserve_tar_mtimes defaults to true, :64,77, and build_tar
// does not change it, :63-70), owner names dropped (numeric=True), missing
// parents added, members already written skipped.
func (w *tarWriter) addTar(members []Member) {
	for _, m := range members {
		m.Uname, m.Gname = "", ""
		w.addParents(m)
		w.add(m)
	}
}

// normalize is build_tar.py's normalize_path (:76-93) with no package_dir.
func normalize(p string) string {
	p = path.Clean(p)
	p = strings.TrimPrefix(p, "./")
	return strings.Trim(p, "/")
}
