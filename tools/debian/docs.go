package debian

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// copyright is a machine-readable copyright file that points at upstream:
// the package redistributes upstream's binaries under upstream's license.
func copyright(repo *spec.Repo, p *spec.Protocol) string {
	source := p.Upstream
	if source == "" {
		source = repo.RepositoryURL
	}
	if source == "" {
		source = "the protocol's upstream project"
	}
	return fmt.Sprintf(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: %s
Source: %s

Files: *
Copyright: The %s authors
License: other
 The binaries in this package are built from %s without changes and are
 distributed under that project's license; see its source for the text.
`, p.Name, source, p.Name, source)
}

// changelogDate is the date of every changelog entry: packages are built
// reproducibly, so the entry cannot carry the build's time.
const changelogDate = "Thu, 01 Jan 1970 00:00:00 +0000"

// changelog is the gzip-compressed Debian changelog of a native package,
// with one entry for the release, compressed without a name or time so that
// identical input gives identical bytes.
func changelog(p *spec.Protocol, c Control) string {
	text := fmt.Sprintf("%s (%s) %s; urgency=%s\n\n  * Upstream release %s, packaged by protocol-forge.\n\n -- %s  %s\n",
		c.Package, c.Version, c.Distribution, c.Urgency, p.Tag, c.Maintainer, changelogDate)
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte(text))
	w.Close()
	return b.String()
}

// lintianOverrides justifies the tags our layout raises on purpose: MANIFEST
// paths are the layout the system we replace shipped (under /usr/local), and
// operators' scripts rely on them.
func lintianOverrides(p *spec.Protocol, libDirs []string) string {
	name := p.Name
	s := fmt.Sprintf(`# MANIFEST paths are the image layout operators rely on; they live under /usr/local.
%[1]s: dir-in-usr-local [usr/local/*]
%[1]s: file-in-usr-local [usr/local/*]
%[1]s: file-in-unusual-dir [usr/local/*]
`, name)
	// pkg_deb builds no source package, so lintian cannot see that these are
	// Go binaries, which Debian links statically by design.
	s += fmt.Sprintf(`# Pure Go binaries are statically linked by design.
%[1]s: statically-linked-binary [*]
`, name)
	if len(libDirs) > 0 {
		s += fmt.Sprintf(`# The node's private libraries sit in MANIFEST directories the linker must search.
%[1]s: package-modifies-ld.so-search-path [etc/ld.so.conf.d/%[1]s.conf]
`, name)
	}
	if p.Cgo {
		// The image has no ld.so cache: the same binary finds its
		// libraries by its run path there and here.
		for _, dir := range libDirs {
			s += fmt.Sprintf(`# The image, which has no ld.so cache, ships the same binary: its run path finds the libraries.
%[1]s: custom-library-search-path RUNPATH %[2]s [*]
`, name, dir)
		}
	}
	for _, e := range p.Manifest {
		if e.IsSharedLibrary() {
			s += fmt.Sprintf(`# A prebuilt library ships as its upstream release has it.
%[1]s: unstripped-binary-or-object [%[2]s]
`, name, strings.TrimPrefix(e.Path, "/"))
		}
	}
	return s
}
