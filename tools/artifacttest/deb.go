package artifacttest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
)

// CheckDeb compares a built .deb with what `forge render` wrote for it
// (the deb_files outputs in rendered: control, conffiles, the maintainer
// scripts, layout.txt and the installed files under root/): the control
// file and conffiles as rendered, each script present and executable, and
// exactly the layout's files installed, root-owned, the MANIFEST's with
// their shipped modes and the rendered ones 0644 with their content.
func CheckDeb(deb, rendered string) []error {
	members, err := readAr(deb)
	if err != nil {
		return []error{fmt.Errorf("%s: %v", deb, err)}
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{filepath.Base(deb)}, args...)...))
	}
	if len(members) != 3 || members[0].name != "debian-binary" || !strings.HasPrefix(members[1].name, "control.tar") || !strings.HasPrefix(members[2].name, "data.tar") {
		fail("ar members %v, not debian-binary, control.tar.*, data.tar.* in that order", names(members))
		return errs
	}
	if string(members[0].data) != "2.0\n" {
		fail("debian-binary is %q, not \"2.0\\n\"", members[0].data)
	}

	want := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(rendered, name))
		if err != nil {
			errs = append(errs, err)
		}
		return b
	}
	control, _, err := readTar(bytes.NewReader(members[1].data))
	if err != nil {
		fail("%s: %v", members[1].name, err)
		return errs
	}
	for _, name := range append([]string{debian.ControlName, debian.ConffilesName}, debian.Scripts...) {
		m, ok := control[name]
		if !ok {
			fail("%s has no %s", members[1].name, name)
			continue
		}
		if expected := want(name); !bytes.Equal(m.content, expected) {
			fail("%s differs from what forge render wrote:\n%s", name, lineDiff(string(expected), string(m.content)))
		}
		if isScript := name != debian.ControlName && name != debian.ConffilesName; isScript && m.header.Mode&0o111 != 0o111 {
			fail("maintainer script %s is mode %04o: dpkg cannot run it", name, m.header.Mode&0o7777)
		}
	}

	data, order, err := readTar(bytes.NewReader(members[2].data))
	if err != nil {
		fail("%s: %v", members[2].name, err)
		return errs
	}
	layout, err := readLayout(filepath.Join(rendered, debian.LayoutName))
	if err != nil {
		return append(errs, err)
	}
	for _, l := range layout {
		m, ok := data[memberPath(l.path)]
		if !ok {
			fail("%s is not installed", l.path)
			continue
		}
		h := m.header
		if !h.FileInfo().Mode().IsRegular() {
			fail("%s is %v, not a regular file", l.path, h.FileInfo().Mode())
			continue
		}
		if h.Uid != 0 || h.Gid != 0 {
			fail("%s is owned by %d:%d, not root", l.path, h.Uid, h.Gid)
		}
		mode := os.FileMode(h.Mode) & 0o7777
		expected := os.FileMode(0o644)
		if l.source == debian.ManifestSource {
			expected = packaging.EntryMode(metadata.Entry{Path: l.path})
		} else if content := want(l.source); !bytes.Equal(m.content, content) {
			fail("%s differs from forge render's %s", l.path, l.source)
		}
		if mode != expected {
			fail("%s is mode %04o, not %04o", l.path, mode, expected)
		}
	}
	listed := map[string]bool{}
	for _, l := range layout {
		listed[memberPath(l.path)] = true
	}
	for _, name := range order {
		if listed[name] {
			continue // checked above
		}
		h := data[name].header
		if h.Typeflag != tar.TypeDir {
			fail("/%s is installed but not in layout.txt", name)
		} else if h.Uid != 0 || h.Gid != 0 {
			fail("/%s/ is owned by %d:%d, not root", name, h.Uid, h.Gid)
		}
	}
	return errs
}

type layoutLine struct{ path, source string }

// readLayout reads layout.txt: "PATH<TAB>SOURCE" per installed file.
func readLayout(file string) ([]layoutLine, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []layoutLine
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		p, source, ok := strings.Cut(line, "\t")
		if !ok || !strings.HasPrefix(p, "/") || source == "" {
			return nil, fmt.Errorf("%s:%d: %q is not PATH<TAB>SOURCE", file, i+1, line)
		}
		out = append(out, layoutLine{p, source})
	}
	return out, nil
}

type arMember struct {
	name string
	data []byte
}

func names(members []arMember) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.name
	}
	return out
}

// readAr reads the members of a common ar archive, the container of a .deb
// (deb(5)): an 8-byte magic, then per member a 60-byte header (name, mtime,
// owner, group, mode, decimal size, "`\n") and the data padded to an even
// length.
func readAr(file string) ([]arMember, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, fmt.Errorf("not an ar archive")
	}
	var members []arMember
	for {
		header := make([]byte, 60)
		if _, err := io.ReadFull(r, header); err == io.EOF {
			return members, nil
		} else if err != nil {
			return nil, fmt.Errorf("ar header: %v", err)
		}
		if string(header[58:60]) != "`\n" {
			return nil, fmt.Errorf("ar header %q is malformed", header)
		}
		size, err := strconv.ParseInt(strings.TrimSpace(string(header[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("ar member size %q", header[48:58])
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("ar member: %v", err)
		}
		if size%2 == 1 {
			if _, err := r.Discard(1); err != nil && err != io.EOF {
				return nil, err
			}
		}
		name := strings.TrimRight(strings.TrimSpace(string(header[:16])), "/")
		members = append(members, arMember{name: name, data: data})
	}
}

// lineDiff shows the lines only one side has, for a readable failure.
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	wantLines, gotLines := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !gotLines[l] {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !wantLines[l] {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	if b.Len() == 0 {
		return "(the same lines, in another order or with other line ends)"
	}
	return b.String()
}
