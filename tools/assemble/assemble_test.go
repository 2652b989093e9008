package assemble_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/assemble"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// stubbed assembles every committed protocol with a stub file for each
// MANIFEST entry, whose content names it.
func stubbed(t *testing.T) (*spec.Repo, map[string][]assemble.Variant) {
	t.Helper()
	repo, err := spec.Load(corpus.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	stubs := t.TempDir()
	files := map[string]string{}
	for _, p := range repo.Protocols {
		for _, e := range p.Manifest {
			file := filepath.Join(stubs, p.Name, e.Base())
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte("stub of "+e.Base()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, pl := range p.Platforms {
				files[assemble.SourceKey(pl, assemble.SourceLabel(p, e))] = file
			}
		}
	}
	out := t.TempDir()
	all := map[string][]assemble.Variant{}
	for _, p := range repo.Protocols {
		pkg, err := packaging.LoadPackage(filepath.Join(repo.Root, p.Dir, "BUILD.bazel"), p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if all[p.Name], err = assemble.Protocol(repo, p, pkg, files, filepath.Join(out, p.Name)); err != nil {
			t.Fatal(err)
		}
	}
	return repo, all
}

// readTar returns the archive's entries as packaging.Member.String prints
// them, the files' contents, and the uncompressed length.
func readTar(t *testing.T, a assemble.Artifact) (string, map[string]string, int) {
	t.Helper()
	data, err := os.ReadFile(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	switch a.Tar.Compression {
	case "gz":
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		// Python's GzipFile writes the default mtime and the file's name
		// without ".gz" (tar_writer.py:106-109).
		if gz.ModTime.Unix() != a.Tar.MTime || gz.Name != strings.TrimSuffix(filepath.Base(a.Path), ".gz") {
			t.Errorf("%s: gzip header mtime %d, name %q", a.Path, gz.ModTime.Unix(), gz.Name)
		}
		if data, err = io.ReadAll(gz); err != nil {
			t.Fatal(err)
		}
	case "xz":
		cmd := exec.Command("xz", "-dc")
		cmd.Stdin = bytes.NewReader(data)
		if data, err = cmd.Output(); err != nil {
			t.Fatalf("xz -dc %s: %v", a.Path, err)
		}
	}
	var listing strings.Builder
	contents := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := packaging.Member{Name: strings.TrimSuffix(h.Name, "/"), Dir: h.Typeflag == tar.TypeDir,
			Mode: os.FileMode(h.Mode), UID: h.Uid, GID: h.Gid, Uname: h.Uname, Gname: h.Gname, MTime: h.ModTime.Unix()}
		if h.Format != tar.FormatGNU {
			t.Errorf("%s: %s is in tar format %v, not GNU", a.Path, h.Name, h.Format)
		}
		if m.Dir != strings.HasSuffix(h.Name, "/") {
			t.Errorf("%s: %q: a directory's name ends in / and only a directory's", a.Path, h.Name)
		}
		listing.WriteString(m.String() + "\n")
		body, _ := io.ReadAll(tr)
		contents[m.Name] = string(body)
	}
	return listing.String(), contents, len(data)
}

// Each tar holds exactly the model's members, in its order, with their
// modes, owners and mtimes, and each file the content of its source; it is
// padded to Python tarfile's 10240-byte records.
func TestTarsAreTheModel(t *testing.T) {
	_, all := stubbed(t)
	for name, variants := range all {
		for _, v := range variants {
			tars := append(append([]assemble.Artifact{}, v.Image.Layers...), v.Archive, v.Deb.Data)
			for _, a := range tars {
				listing, contents, size := readTar(t, a)
				if want := a.Tar.Listing(); listing != want {
					t.Errorf("%s %s:\n%s\nthe model says:\n%s", name, a.Tar.Rule, listing, want)
				}
				if size%10240 != 0 {
					t.Errorf("%s %s: %d bytes, not whole 10240-byte records", name, a.Tar.Rule, size)
				}
				for _, m := range a.Tar.Members {
					if m.Dir {
						continue
					}
					if strings.HasPrefix(m.Source, ":") && contents[m.Name] != "stub of "+path.Base(m.Name)+"\n" {
						t.Errorf("%s %s: %s holds %q, not its source %s", name, a.Tar.Rule, m.Name, contents[m.Name], m.Source)
					}
					if !strings.HasPrefix(m.Source, ":") && contents[m.Name] == "" {
						t.Errorf("%s %s: rendered file %s is empty", name, a.Tar.Rule, m.Name)
					}
				}
			}
		}
	}
}

// arMember is one member of an ar archive.
type arMember struct {
	header, name string
	data         []byte
}

func readAr(t *testing.T, file string) []arMember {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := bytes.CutPrefix(data, []byte("!<arch>\n"))
	if !ok {
		t.Fatalf("%s: no ar magic", file)
	}
	var members []arMember
	for len(rest) > 0 {
		if len(rest) < 60 {
			t.Fatalf("%s: truncated ar header", file)
		}
		h := string(rest[:60])
		size, err := strconv.Atoi(strings.TrimSpace(h[48:58]))
		if err != nil || h[58:60] != "`\n" || len(rest) < 60+size {
			t.Fatalf("%s: bad ar header %q", file, h)
		}
		members = append(members, arMember{h, strings.TrimSpace(h[:16]), rest[60 : 60+size]})
		rest = rest[60+size:]
		if size%2 == 1 {
			if rest[0] != '\n' {
				t.Fatalf("%s: ar padding is not a newline", file)
			}
			rest = rest[1:]
		}
	}
	return members
}

// The .deb is make_deb.py's ar archive: debian-binary, control.tar.gz
// holding the model's control members, and the data tar as written.
func TestDebIsWhatMakeDebWrites(t *testing.T) {
	_, all := stubbed(t)
	for name, variants := range all {
		for _, v := range variants {
			d := v.Deb.Model
			members := readAr(t, v.Deb.Path)
			var names []string
			for _, m := range members {
				names = append(names, m.name)
				// AddArFileEntry: mtime, owner and group 0, mode 0644.
				if want := fmt.Sprintf("%-16s%-12s%-6s%-6s%-8s", m.name, "0", "0", "0", "0644"); m.header[:48] != want {
					t.Errorf("%s: ar header %q, want %q", v.Deb.Path, m.header[:48], want)
				}
			}
			want := []string{"debian-binary/", "control.tar.gz/", d.ArMembers[2] + "/"}
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Fatalf("%s: ar members %v, want %v", v.Deb.Path, names, want)
			}
			if string(members[0].data) != "2.0\n" {
				t.Errorf("%s: debian-binary is %q", v.Deb.Path, members[0].data)
			}
			data, err := os.ReadFile(v.Deb.Data.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(members[2].data, data) {
				t.Errorf("%s: %s is not %s as written", v.Deb.Path, names[2], v.Deb.Data.Path)
			}

			gz, err := gzip.NewReader(bytes.NewReader(members[1].data))
			if err != nil {
				t.Fatal(err)
			}
			// Go reads an mtime of 0 as the zero time.
			if gz.Name != "control.tar" || !gz.ModTime.IsZero() {
				t.Errorf("%s: control.tar.gz header name %q mtime %d", v.Deb.Path, gz.Name, gz.ModTime.Unix())
			}
			tr := tar.NewReader(gz)
			var got, wantMembers []string
			for _, m := range d.ControlMembers {
				wantMembers = append(wantMembers, fmt.Sprintf("%s %04o 0/0 0", m.Name, m.Mode))
			}
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %04o %d/%d %d", h.Name, h.Mode, h.Uid, h.Gid, h.ModTime.Unix()))
				body, _ := io.ReadAll(tr)
				switch h.Name {
				case "./control":
					if string(body) != d.Control() {
						t.Errorf("%s: ./control is\n%s\nthe model says\n%s", v.Deb.Path, body, d.Control())
					}
				case "./conffiles":
					if string(body) != d.Conffiles {
						t.Errorf("%s: ./conffiles is %q, the model says %q", v.Deb.Path, body, d.Conffiles)
					}
				default:
					if !strings.HasPrefix(string(body), "#!/bin/sh") {
						t.Errorf("%s: %s is not a shell script: %.40q", v.Deb.Path, h.Name, body)
					}
				}
			}
			if strings.Join(got, "\n") != strings.Join(wantMembers, "\n") {
				t.Errorf("%s %s: control.tar.gz holds\n%s\nthe model says\n%s", name, d.Rule, strings.Join(got, "\n"), strings.Join(wantMembers, "\n"))
			}
		}
	}
}

// Every target ships for each of its protocol's platforms: the .deb names
// the platform's architecture and the archive keeps linux/amd64's name.
func TestEveryPlatformShips(t *testing.T) {
	repo, all := stubbed(t)
	multi := 0
	for _, p := range repo.Protocols {
		// One platform only where forge_platforms narrows it (osmosis
		// and xpla ship an x86_64 library).
		if got, want := len(all[p.Name]), len(p.Targets)*len(p.Platforms); got != want || want < 2 && !p.PlatformsStated {
			t.Errorf("%s: %d variants written, want %d (two platforms at least unless forge_platforms narrows them)", p.Name, got, want)
		}
		if len(p.Platforms) > 1 {
			multi++
		}
		for _, v := range all[p.Name] {
			if want := "_" + v.Platform.Debian + ".deb"; !strings.HasSuffix(v.Deb.Path, want) {
				t.Errorf("%s %s: .deb %s does not end in %s", p.Name, v.Platform.Name, v.Deb.Path, want)
			}
			if want := p.PlatformArchiveName(v.Target, v.Platform); filepath.Base(v.Archive.Path) != want {
				t.Errorf("%s %s: archive %s, want %s", p.Name, v.Platform.Name, v.Archive.Path, want)
			}
		}
	}
	if multi == 0 {
		t.Error("no protocol ships for two platforms")
	}
}
