package packaging

import (
	"path"
	"slices"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
)

// srcFile is one file of a label's DefaultInfo, as pkg_files sees it.
type srcFile struct {
	label string
	// rel is the file's path relative to its package, base its name.
	rel, base string
	tree      []string
}

// manifestEntry is one entry of the manifest pkg_tar writes for build_tar
// (rules_pkg pkg/private/pkg_files.bzl:664-705): a file or a tree, its
// destination and the attributes its pkg_files gave it.
type manifestEntry struct {
	dest, src   string
	tree        []string
	isTree      bool
	mode        string
	user, group string
	uid, gid    *int
}

// labelFiles returns the files label l provides. A deb_files rule of the
// package provides its root_files (ours: rules/private/deb_files.bzl:27),
// a platform_files rule the files of its src;
// anything else is what Sources says, by default one file named after the
// target, as the go_binary and go_cross_binary outputs we ship are
// (rules_go go/private/rules/cross.bzl:59-64).
func (p *Package) labelFiles(from *bzl.Rule, l string) ([]srcFile, error) {
	if name, ok := p.local(l); ok && p.rules[name].Kind() == "deb_files" {
		outs, err := p.strs(p.rules[name], "root_files")
		if err != nil {
			return nil, err
		}
		files := make([]srcFile, len(outs))
		for i, o := range outs {
			files[i] = srcFile{label: l, rel: o, base: path.Base(o)}
		}
		return files, nil
	}
	if name, ok := p.local(l); ok && p.rules[name].Kind() == "platform_files" {
		// Ours (rules/private/platform_files.bzl): the files of its src,
		// built for a platform; pkg_files knows them by this label.
		src, err := p.str(p.rules[name], "src", "")
		if err != nil {
			return nil, err
		}
		files, err := p.labelFiles(from, src)
		for i := range files {
			files[i].label = l
		}
		return files, err
	}
	parsed, err := label.Parse(l)
	if err != nil {
		return nil, p.errorf(from, "%q is not a label: %v", l, err)
	}
	f := srcFile{label: l, base: parsed.Name}
	if s, ok := p.Sources[l]; ok && s.Tree != nil {
		f.tree = s.Tree
	}
	return []srcFile{f}, nil
}

// sameLabel says whether two labels written in this package name the same
// target.
func (p *Package) sameLabel(a, b string) bool {
	la, err1 := label.Parse(a)
	lb, err2 := label.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return la.Abs("", p.Dir) == lb.Abs("", p.Dir)
}

// pkgFiles models pkg_files (rules_pkg pkg/mappings.bzl:224-345) and what
// pkg_tar makes of it (pkg/private/pkg_files.bzl:173-232): the
// destinations, and the attributes every one of them gets.
func (p *Package) pkgFiles(r *bzl.Rule) ([]manifestEntry, error) {
	if err := p.checkAttrs(r, "srcs", "prefix", "strip_prefix", "renames", "attributes"); err != nil {
		return nil, err
	}
	rawPrefix, err := p.str(r, "prefix", "")
	if err != nil {
		return nil, err
	}
	// The prefix is formatted (mappings.bzl:226).
	prefix, err := Substitute(rawPrefix, MakeVariables)
	if err != nil {
		return nil, p.errorf(r, "prefix: %v", err)
	}
	// The default strip_prefix is files_only(), "." (mappings.bzl:43,47-48,401-424).
	strip, err := p.str(r, "strip_prefix", ".")
	if err != nil {
		return nil, err
	}
	srcs, err := p.strs(r, "srcs")
	if err != nil {
		return nil, err
	}
	var files []srcFile
	dests := map[int]string{}
	for _, s := range srcs {
		fs, err := p.labelFiles(r, s)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			var dest string
			switch {
			case strip == ".": // mappings.bzl:237-238: the file's basename
				dest = joinPaths(prefix, f.base)
			case strings.HasPrefix(strip, "/"):
				return nil, p.errorf(r, "the packaging model does not follow strip_prefix from the repository root")
			default: // mappings.bzl:249-258: relative to the package
				if f.rel == "" {
					return nil, p.errorf(r, "strip_prefix %q on %s, whose path the packaging model does not know", strip, f.label)
				}
				stripped, ok := stripPrefix(f.rel, strip)
				if !ok { // mappings.bzl:159-169
					return nil, p.errorf(r, "Could not strip prefix '%s' from file %s", strip, f.rel)
				}
				dest = joinPaths(prefix, stripped)
			}
			dests[len(files)] = dest
			files = append(files, f)
		}
	}

	attrs, err := p.attributes(r)
	if err != nil {
		return nil, err
	}
	// "The least surprising default mode is that of a normal file (0644)"
	// (mappings.bzl:260-263): every pkg_files entry has a mode.
	if _, ok := attrs["mode"]; !ok {
		attrs["mode"] = "0644"
	}

	renames, err := p.dict(r, "renames")
	if err != nil {
		return nil, err
	}
	for _, rn := range renames {
		fs, err := p.labelFiles(r, rn[0])
		if err != nil {
			return nil, err
		}
		if len(fs) != 1 { // mappings.bzl:270-276
			return nil, p.errorf(r, "renames: Target %s expands to multiple files, should only refer to one", rn[0])
		}
		if rn[1] == "\x00" {
			return nil, p.errorf(r, "the packaging model does not follow REMOVE_BASE_DIRECTORY")
		}
		found := false
		for i, f := range files {
			if p.sameLabel(f.label, rn[0]) && f.rel == fs[0].rel {
				dests[i] = joinPaths(prefix, rn[1]) // mappings.bzl:296-297
				found = true
			}
		}
		if !found { // mappings.bzl:278-283
			return nil, p.errorf(r, "renames: File remapping from %s to %s is invalid: %s is not provided to this rule or was excluded", rn[0], rn[1], rn[0])
		}
	}

	entry := func(f srcFile, dest string) manifestEntry {
		e := manifestEntry{
			// pkg_files.bzl:221 and 692 strip slashes from destinations.
			dest:   strings.Trim(dest, "/"),
			src:    f.label,
			tree:   f.tree,
			isTree: f.tree != nil, // pkg_files.bzl:225
		}
		if f.rel != "" {
			e.src = f.rel
		}
		// _merge_attributes (pkg_files.bzl:173-186): the pkg_files'
		// attributes win over pkg_tar's defaults, which it passes as ""
		// and None (tar.bzl:124-133, pkg_files.bzl:118-119,132-137).
		e.mode, _ = attrs["mode"].(string)
		e.user, _ = attrs["user"].(string)
		e.group, _ = attrs["group"].(string)
		if n, ok := attrs["uid"].(float64); ok {
			uid := int(n)
			e.uid = &uid
		}
		if n, ok := attrs["gid"].(float64); ok {
			gid := int(n)
			e.gid = &gid
		}
		return e
	}
	seen := map[string]string{}
	var out []manifestEntry
	for i, f := range files {
		if other, dup := seen[dests[i]]; dup { // mappings.bzl:330-334
			return nil, p.errorf(r, "After renames, multiple sources (at least %s, %s) map to the same destination", other, f.label)
		}
		seen[dests[i]] = f.label
		out = append(out, entry(f, dests[i]))
	}
	return out, nil
}

// joinPaths is bazel_skylib's paths.join: an absolute piece restarts the
// path.
func joinPaths(parts ...string) string {
	result := ""
	for _, p := range parts {
		switch {
		case strings.HasPrefix(p, "/"):
			result = p
		case result == "" || strings.HasSuffix(result, "/"):
			result += p
		default:
			result += "/" + p
		}
	}
	return result
}

// stripPrefix is _do_strip_prefix (mappings.bzl:145-169) for files: both
// paths normalised, the prefix must match whole directories.
func stripPrefix(p, prefix string) (string, bool) {
	if prefix == "" {
		return p, true
	}
	norm := path.Clean(p)
	dir := path.Clean(prefix) + "/"
	if !strings.HasPrefix(norm, dir) {
		return "", false
	}
	return norm[len(dir):], true
}

// DebFilesFor returns the variant and platform a deb_files rule renders
// for: its variant attribute (empty for a protocol without TARGETS) among
// targets, and its architecture (empty for linux/amd64) among platforms.
func (p *Package) DebFilesFor(r *bzl.Rule, targets []metadata.Target, platforms []platform.Platform) (metadata.Target, platform.Platform, error) {
	v := r.AttrString("variant")
	i := slices.IndexFunc(targets, func(t metadata.Target) bool {
		return (t.Named && t.Variant.Name == v) || (!t.Named && v == "")
	})
	if i < 0 {
		return metadata.Target{}, platform.Platform{}, p.errorf(r, "deb_files %s renders variant %q, which TARGETS lacks", r.Name(), v)
	}
	pl, ok := platform.ByDebian(r.AttrString("architecture"))
	if !ok || !slices.Contains(platforms, pl) {
		return metadata.Target{}, platform.Platform{}, p.errorf(r, "deb_files %s renders architecture %q, which is none of the protocol's platforms", r.Name(), r.AttrString("architecture"))
	}
	return targets[i], pl, nil
}
