package metadata

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// loadErrors loads protocols/<name> under root and returns its error list
// as text; a load that fails otherwise fails the test.
func loadErrors(t *testing.T, root, name string) string {
	t.Helper()
	_, err := Load(root, "protocols/"+name)
	var list ErrorList
	if err != nil && !errors.As(err, &list) {
		t.Fatalf("Load: %v (want an ErrorList)", err)
	}
	return list.Error()
}

// Each case of the hostile-input review that reached a wrong result now
// gives an error naming the file (and line), and is not read past its
// limit.
func TestHostileFiles(t *testing.T) {
	valid := map[string]string{"MANIFEST": "/usr/local/bin/geth\n", "VERSION": "v1.0.0\n"}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, root, dir string)
		want  string
	}{
		{"dangling MANIFEST symlink", func(t *testing.T, root, dir string) {
			replaceWithSymlink(t, filepath.Join(dir, "MANIFEST"), "/nonexistent/MANIFEST")
		}, "protocols/geth/MANIFEST: is a symlink that leads nowhere"},
		{"MANIFEST symlink loop", func(t *testing.T, root, dir string) {
			replaceWithSymlink(t, filepath.Join(dir, "MANIFEST"), "MANIFEST")
		}, "protocols/geth/MANIFEST: is a symlink that leads nowhere"},
		{"VERSION symlink to /dev/zero", func(t *testing.T, root, dir string) {
			replaceWithSymlink(t, filepath.Join(dir, "VERSION"), "/dev/zero")
		}, "protocols/geth/VERSION: is a symlink to /dev/zero, outside the repository"},
		{"MANIFEST is a directory", func(t *testing.T, root, dir string) {
			os.Remove(filepath.Join(dir, "MANIFEST"))
			os.Mkdir(filepath.Join(dir, "MANIFEST"), 0o755)
		}, "protocols/geth/MANIFEST: is not a regular file (a directory)"},
		{"VERSION is a FIFO", func(t *testing.T, root, dir string) {
			os.Remove(filepath.Join(dir, "VERSION"))
			if err := syscall.Mkfifo(filepath.Join(dir, "VERSION"), 0o644); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
		}, "protocols/geth/VERSION: is not a regular file (a FIFO)"},
		{"MANIFEST over its limit", func(t *testing.T, root, dir string) {
			big := "/usr/local/bin/geth\n/" + strings.Repeat("a", MaxMetadataSize) + "\n"
			os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte(big), 0o644)
		}, "protocols/geth/MANIFEST: is 65558 bytes, more than the 65536 a MANIFEST may have"},
		{"README with a BOM", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "README.md"), []byte("\ufeff# geth\n\nThe node.\n"), 0o644)
		}, "protocols/geth/README.md:1: character '\\ufeff' is not printable ASCII"},
		{"README in Latin-1", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "README.md"), []byte("# geth\n\nGeth \xe9l\xe8ve node.\n"), 0o644)
		}, "protocols/geth/README.md:3: byte 0xe9 is not printable ASCII"},
		{"README in UTF-8", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "README.md"), []byte("# geth\n\ngeth: éthereum node.\n"), 0o644)
		}, "protocols/geth/README.md:3: character 'é' is not printable ASCII"},
		{"MANIFEST path with a systemd specifier", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte("/usr/local/bin/ge%nth\n"), 0o644)
		}, `protocols/geth/MANIFEST:1: path "/usr/local/bin/ge%nth" has a character other than letters, digits and ._+- in a name`},
		{"MANIFEST path with a backslash", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte("/usr/local/bin/geth\n/usr/local/bin/a\\b\n"), 0o644)
		}, `protocols/geth/MANIFEST:2: path "/usr/local/bin/a\\b" has a character`},
		{"MANIFEST path with a variable", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte("/usr/local/bin/${OPTIONS}\n"), 0o644)
		}, `protocols/geth/MANIFEST:1: path "/usr/local/bin/${OPTIONS}" has a character`},
		{"MANIFEST path with a quote", func(t *testing.T, root, dir string) {
			os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte("/usr/local/bin/it's\n"), 0o644)
		}, `protocols/geth/MANIFEST:1: path "/usr/local/bin/it's" has a character`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeProtocol(t, "geth", valid)
			tc.setup(t, root, filepath.Join(root, "protocols", "geth"))
			if got := loadErrors(t, root, "geth"); !strings.Contains(got, tc.want) {
				t.Errorf("errors:\n%s\nwant one containing:\n%s", got, tc.want)
			}
		})
	}
}

func replaceWithSymlink(t *testing.T, name, target string) {
	t.Helper()
	os.Remove(name)
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// A symlink to a regular file inside the repository is read like the file:
// a relative one kept working only because nothing copies the tree now.
func TestSymlinkInsideTheRepository(t *testing.T) {
	root := writeProtocol(t, "geth", map[string]string{"VERSION": "v1.0.0\n"})
	shared := filepath.Join(root, "shared")
	os.Mkdir(shared, 0o755)
	os.WriteFile(filepath.Join(shared, "geth.MANIFEST"), []byte("/usr/local/bin/geth\n"), 0o644)
	replaceWithSymlink(t, filepath.Join(root, "protocols/geth/MANIFEST"), "../../shared/geth.MANIFEST")
	p, err := Load(root, "protocols/geth")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Manifest) != 1 || p.Manifest[0].Path != "/usr/local/bin/geth" {
		t.Errorf("manifest through a symlink = %v", p.Manifest)
	}
	dirs, err := Discover(root)
	if err != nil || len(dirs) != 1 {
		t.Errorf("Discover = %v, %v; want the protocol", dirs, err)
	}
}

// A dangling MANIFEST still makes a protocol: Discover lists it and LoadAll
// reports it, instead of the protocol (and its generated rules) vanishing.
func TestDanglingManifestIsStillAProtocol(t *testing.T) {
	root := writeProtocol(t, "geth", map[string]string{"VERSION": "v1.0.0\n"})
	replaceWithSymlink(t, filepath.Join(root, "protocols/geth/MANIFEST"), "/nonexistent")
	_, err := LoadAll(root)
	if err == nil || !strings.Contains(err.Error(), "protocols/geth/MANIFEST: is a symlink that leads nowhere") {
		t.Errorf("LoadAll = %v, want the dangling MANIFEST reported", err)
	}
}

// A symlinked protocol directory is reported, not silently skipped.
func TestSymlinkedProtocolDirectory(t *testing.T) {
	root := writeProtocol(t, "geth", map[string]string{"MANIFEST": "/usr/local/bin/geth\n"})
	if err := os.Symlink("geth", filepath.Join(root, "protocols", "geth2")); err != nil {
		t.Fatal(err)
	}
	_, err := LoadAll(root)
	if err == nil || !strings.Contains(err.Error(), "protocols/geth2: is a symlink: a protocol is a directory") {
		t.Errorf("LoadAll = %v, want the symlinked directory reported", err)
	}
}

// Names that are accounts of the base system, or all digits, would make the
// service run as someone else.
func TestReservedProtocolNames(t *testing.T) {
	for name, want := range map[string]string{
		"root":   "is a system account or group of Debian",
		"proxy":  "is a system account or group of Debian",
		"backup": "is a system account or group of Debian",
		"tty":    "is a system account or group of Debian",
		"123":    "is all digits",
	} {
		root := writeProtocol(t, name, map[string]string{"MANIFEST": "/usr/local/bin/node\n"})
		if got := loadErrors(t, root, name); !strings.Contains(got, "protocols/"+name+": protocol name \""+name+"\" "+want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	root := writeProtocol(t, "geth1", map[string]string{"MANIFEST": "/usr/local/bin/node\n"})
	if got := loadErrors(t, root, "geth1"); got != "" {
		t.Errorf("geth1 is a fine name, got %q", got)
	}
}

// The fuzzer feeds every metadata file arbitrary bytes: Load returns a
// protocol or an ErrorList whose every error names a file of the protocol,
// and never panics.
func FuzzLoad(f *testing.F) {
	f.Add("v1.0.0\n", "static\nglibc\n", "/usr/local/bin/geth\n", "", "ubuntu-latest\n", "# geth\n\nThe node.\n")
	f.Add("release/\n", "#\n", "/\n", "/x\n", "a b\n", "\xff")
	f.Fuzz(func(t *testing.T, version, targets, manifest, service, runner, readme string) {
		root := t.TempDir()
		dir := filepath.Join(root, "protocols", "geth")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{VersionFile: version, TargetsFile: targets, ManifestFile: manifest, ServiceFile: service, RunnerFile: runner, ReadmeFile: readme} {
			if content != "" {
				os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
			}
		}
		p, err := Load(root, "protocols/geth")
		var list ErrorList
		switch {
		case errors.Is(err, ErrNotProtocol):
			if manifest != "" {
				t.Fatalf("a MANIFEST of %q is no protocol", manifest)
			}
		case errors.As(err, &list):
			for _, e := range list {
				if !strings.HasPrefix(e.Path, "protocols/geth") {
					t.Fatalf("error outside the protocol: %v", e)
				}
			}
		case err != nil:
			t.Fatal(err)
		default:
			for _, e := range p.Manifest {
				if !pathPattern.MatchString(e.Path) {
					t.Fatalf("accepted MANIFEST path %q", e.Path)
				}
			}
			for _, c := range p.Description {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("description %q is not printable ASCII", p.Description)
				}
			}
		}
	})
}
