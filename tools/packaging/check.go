package packaging

import (
	"fmt"
	"strings"

	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// Shipped is one artifact a protocol ships and the pkg_tar it is made of.
type Shipped struct {
	// What is "layer", "archive" or "deb data"; By is the rule that ships
	// it (the oci_image, protocol_publish or pkg_deb).
	What string
	By   *bzl.Rule
	Tar  *Tar
	// Flat is true for the release archive, which holds every MANIFEST
	// entry at its basename.
	Flat bool
}

// ShippedTars returns every tar the package ships, found from the rules
// that ship them: the layers of each oci_image, the archive of each
// protocol_publish, the data of each pkg_deb.
func (p *Package) ShippedTars() ([]Shipped, error) {
	var out []Shipped
	add := func(what string, by *bzl.Rule, attr string, flat bool) error {
		var labels []string
		var err error
		if what == "layer" {
			labels, err = p.strs(by, attr)
		} else {
			var l string
			l, err = p.str(by, attr, "")
			labels = []string{l}
		}
		if err != nil {
			return err
		}
		for _, l := range labels {
			name, ok := p.local(l)
			if !ok {
				return p.errorf(by, "%s %q is not a rule of this package", attr, l)
			}
			t, err := p.Tar(name)
			if err != nil {
				return err
			}
			out = append(out, Shipped{What: what, By: by, Tar: t, Flat: flat})
		}
		return nil
	}
	for _, s := range []struct {
		kind, what, attr string
		flat             bool
	}{
		{"oci_image", "layer", "tars", false},
		{"protocol_publish", "archive", "archive", true},
		{"pkg_deb", "deb data", "data", false},
	} {
		for _, r := range p.RulesOfKind(s.kind) {
			if err := add(s.what, r, s.attr, s.flat); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// CheckManifest checks what the package ships against the protocol's
// MANIFEST and its number of artifacts (targets times platforms): each
// target has, per platform, an image, a published archive and a .deb; each of their tars holds every entry
// (the archive at its basename) with EntryMode(entry), a directory
// entry's files with it too and its directories 0755; every entry is
// owned by 0:0; the .deb's data is compressed. It returns every problem,
// each at the line of the rule that ships the tar.
func (p *Package) CheckManifest(manifest []metadata.Entry, artifacts int) []error {
	var errs []error
	for _, kind := range []string{"oci_image", "protocol_publish", "pkg_deb"} {
		if n := len(p.RulesOfKind(kind)); n != artifacts {
			errs = append(errs, fmt.Errorf("%s: %d %s rules for %d targets and platforms", p.Path, n, kind, artifacts))
		}
	}
	shipped, err := p.ShippedTars()
	if err != nil {
		return append(errs, err)
	}
	for _, s := range shipped {
		bad := func(format string, args ...any) {
			errs = append(errs, p.errorf(s.By, "%s %s: %s", s.What, s.Tar.Rule, fmt.Sprintf(format, args...)))
		}
		for _, m := range s.Tar.Members {
			if m.UID != 0 || m.GID != 0 {
				bad("%s is owned by %d:%d, not root", m.Name, m.UID, m.GID)
			}
		}
		for _, e := range manifest {
			want := EntryMode(e)
			at := strings.TrimPrefix(e.Path, "/")
			if s.Flat {
				at = e.Base()
			}
			m, ok := s.Tar.Member(at)
			switch {
			case !ok:
				bad("%s (MANIFEST line %d) is not in it", at, e.Line)
			case !m.Dir:
				if m.Mode.Perm() != want {
					bad("%s is mode %04o, want %04o", at, m.Mode.Perm(), want)
				}
			default: // a directory output: everything under it
				for _, in := range s.Tar.Members {
					if !strings.HasPrefix(in.Name, at+"/") {
						continue
					}
					switch {
					case in.Dir && in.Mode.Perm() != 0o755:
						bad("directory %s is mode %04o, want 0755", in.Name, in.Mode.Perm())
					case !in.Dir && in.Mode.Perm() != want:
						bad("%s (in directory entry %s) is mode %04o, want %04o", in.Name, at, in.Mode.Perm(), want)
					}
				}
			}
		}
		if s.What == "deb data" {
			if s.Tar.Compression == "" {
				bad("is not compressed: lintian rejects a .deb whose data.tar is (uses-no-compression-for-data-tarball)")
			}
			if ext := dataExtension(s.Tar.File); ext == "tar" && s.Tar.Compression != "" {
				bad("%s is %s-compressed but pkg_deb names its member data.tar", s.Tar.File, s.Tar.Compression)
			}
		}
	}
	return errs
}
