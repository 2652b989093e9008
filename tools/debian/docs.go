package debian

import (
	"bytes"
	"compress/gzip"
	"fmt"

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
func lintianOverrides(name string, libraries bool) string {
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
	if libraries {
		s += fmt.Sprintf(`# The node's private libraries sit in MANIFEST directories the linker must search.
%[1]s: package-modifies-ld.so-search-path [etc/ld.so.conf.d/%[1]s.conf]
`, name)
	}
	return s
}
