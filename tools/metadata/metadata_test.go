package metadata

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeProtocol lays out one protocol directory under a fresh root.
func writeProtocol(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "protocols", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, content := range files {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLoadReadsEveryFile(t *testing.T) {
	root := writeProtocol(t, "bsc", map[string]string{
		"VERSION":  "\r\n  release/v1.2.11 \r\n\n",
		"TARGETS":  "# runtimes\nstatic\n\nglibc # for the libraries\n",
		"MANIFEST": "/usr/local/bin/abidump\n\n/usr/local/bin/geth\r\n/usr/local/lib/bsc\n",
		"SERVICE":  "/usr/local/bin/geth\n",
		"RUNNER":   "self-hosted\nubuntu-22.04",
	})
	p, err := Load(root, "protocols/bsc")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "bsc" || p.Dir != "protocols/bsc" || p.Version != "release/v1.2.11" || p.Tag != "v1.2.11" {
		t.Errorf("name/dir/version/tag = %q %q %q %q", p.Name, p.Dir, p.Version, p.Tag)
	}
	var names []string
	for _, target := range p.Targets {
		if !target.Named {
			t.Errorf("variant %s from TARGETS is not named", target.Variant.Name)
		}
		names = append(names, target.Variant.Name+":"+p.ImageTag(target))
	}
	if want := []string{"static:static-v1.2.11", "glibc:glibc-v1.2.11"}; !reflect.DeepEqual(names, want) {
		t.Errorf("targets = %v, want %v", names, want)
	}
	wantManifest := []Entry{{"/usr/local/bin/abidump", 1}, {"/usr/local/bin/geth", 3}, {"/usr/local/lib/bsc", 4}}
	if !reflect.DeepEqual(p.Manifest, wantManifest) {
		t.Errorf("manifest = %v, want %v", p.Manifest, wantManifest)
	}
	if p.Service != wantManifest[1] {
		t.Errorf("service = %v, want %v", p.Service, wantManifest[1])
	}
	if want := []string{"self-hosted", "ubuntu-22.04"}; !reflect.DeepEqual(p.Runners, want) {
		t.Errorf("runners = %v, want %v", p.Runners, want)
	}
}

func TestLoadDefaults(t *testing.T) {
	root := writeProtocol(t, "gaia", map[string]string{"MANIFEST": "/usr/local/bin/gaiad\n"})
	p, err := Load(root, "protocols/gaia")
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "" || p.Tag != "latest" {
		t.Errorf("version, tag = %q, %q; want \"\", latest", p.Version, p.Tag)
	}
	if len(p.Targets) != 1 || p.Targets[0].Named || p.Targets[0].Variant.Name != "glibc" {
		t.Errorf("targets = %+v, want the unnamed glibc default", p.Targets)
	}
	if got := p.ImageTag(p.DefaultTarget()); got != "latest" {
		t.Errorf("image tag = %q, want latest", got)
	}
	if p.Service.Path != "/usr/local/bin/gaiad" {
		t.Errorf("service = %q, want the first entry", p.Service.Path)
	}
	if !reflect.DeepEqual(p.Runners, []string{"ubuntu-latest"}) {
		t.Errorf("runners = %v, want [ubuntu-latest]", p.Runners)
	}
}

func TestNoManifestIsNotAProtocol(t *testing.T) {
	root := writeProtocol(t, "base-go1.19", map[string]string{"VERSION": "1.19.8", "TARGETS": "jammy\n"})
	if _, err := Load(root, "protocols/base-go1.19"); !errors.Is(err, ErrNotProtocol) {
		t.Errorf("Load = %v, want ErrNotProtocol", err)
	}
	dirs, err := Discover(root)
	if err != nil || len(dirs) != 0 {
		t.Errorf("Discover = %v, %v; want nothing", dirs, err)
	}
}

// Every class of bad input gets one message naming the file and line.
func TestBadInput(t *testing.T) {
	const manifest = "/usr/local/bin/node\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"two_version_lines", map[string]string{"VERSION": "v1\nv2\n"},
			`protocols/p1/VERSION:2: VERSION has a second line "v2": it must be one line, the release tag`},
		{"non_ascii_version", map[string]string{"VERSION": "v1.0\u00e9\n"},
			`protocols/p1/VERSION:1: character 'é' is not printable ASCII`},
		{"empty_version", map[string]string{"VERSION": " \r\n\n"},
			`protocols/p1/VERSION:1: VERSION is empty: write the release tag on one line, or delete the file to tag images "latest"`},
		{"tag_invalid_version", map[string]string{"VERSION": "release/-beta\n"},
			`protocols/p1/VERSION:1: image tag "-beta" (the part of "release/-beta" after the last '/') is not a valid OCI tag: 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -`},
		{"version_ending_in_slash", map[string]string{"VERSION": "release/\n"},
			`protocols/p1/VERSION:1: image tag "" (the part of "release/" after the last '/') is not a valid OCI tag: 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -`},
		{"relative_path", map[string]string{"MANIFEST": "/usr/local/bin/node\nbin/x\n"},
			`protocols/p1/MANIFEST:2: relative path "bin/x": entries are absolute paths in the image`},
		{"dot_dot", map[string]string{"MANIFEST": "/usr/local/../bin/node\n"},
			`protocols/p1/MANIFEST:1: path "/usr/local/../bin/node" contains '..'`},
		{"unclean_path", map[string]string{"MANIFEST": "/usr/local/src/\n"},
			`protocols/p1/MANIFEST:1: path "/usr/local/src/" is not clean: write "/usr/local/src"`},
		{"duplicate_entry", map[string]string{"MANIFEST": "/usr/bin/a\n/usr/bin/b\n/usr/bin/a\n"},
			`protocols/p1/MANIFEST:3: duplicate entry "/usr/bin/a" (first at line 1)`},
		{"duplicate_basename", map[string]string{"MANIFEST": "/usr/bin/a\n/usr/local/bin/a\n"},
			`protocols/p1/MANIFEST:2: "/usr/local/bin/a" has the same basename as "/usr/bin/a" (line 1): release archives and uploads flatten entries to their basenames`},
		{"empty_manifest", map[string]string{"MANIFEST": "\n\n"},
			`protocols/p1/MANIFEST:1: MANIFEST lists no path: list the absolute in-image paths to ship, the service executable first`},
		{"unknown_variant", map[string]string{"TARGETS": "static\nxenial\n"},
			`protocols/p1/TARGETS:2: unknown variant "xenial"; known variants: static, glibc, bionic, focal, jammy`},
		{"duplicate_variant", map[string]string{"TARGETS": "static\nstatic\n"},
			`protocols/p1/TARGETS:2: variant "static" is listed twice (first at line 1)`},
		{"empty_targets", map[string]string{"TARGETS": "# none yet\n"},
			`protocols/p1/TARGETS:1: TARGETS names no variant: list at least one (static, glibc, bionic, focal, jammy), or delete the file for the default variant "glibc"`},
		{"service_not_in_manifest", map[string]string{"SERVICE": "/usr/bin/other\n"},
			`protocols/p1/SERVICE:1: service executable "/usr/bin/other" is not listed in MANIFEST`},
		{"two_services", map[string]string{"SERVICE": "/usr/local/bin/node\n/usr/bin/x\n"},
			`protocols/p1/SERVICE:2: SERVICE has a second path "/usr/bin/x": a protocol runs one service executable`},
		{"runner_with_space", map[string]string{"RUNNER": "self-hosted linux\n"},
			`protocols/p1/RUNNER:1: runner label "self-hosted linux" contains white space: write one label per line`},
		{"empty_runner", map[string]string{"RUNNER": "\n"},
			`protocols/p1/RUNNER:1: RUNNER names no runner label: list at least one, or delete the file for "ubuntu-latest"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.files["MANIFEST"]; !ok {
				tc.files["MANIFEST"] = manifest
			}
			root := writeProtocol(t, "p1", tc.files)
			_, err := Load(root, "protocols/p1")
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Load = %v, want an ErrorList", err)
			}
			if len(list) != 1 || list[0].Error() != tc.want {
				t.Errorf("errors:\n%v\nwant:\n%s", list, tc.want)
			}
		})
	}
}

func TestBadProtocolName(t *testing.T) {
	root := writeProtocol(t, "Bad_Name", map[string]string{"MANIFEST": "/bin/x\n"})
	_, err := Load(root, "protocols/Bad_Name")
	if err == nil || !strings.HasPrefix(err.Error(), `protocols/Bad_Name: protocol name "Bad_Name" must be`) {
		t.Errorf("Load = %v, want a protocol name error", err)
	}
}

func TestLoadAllReportsEveryProtocolsErrors(t *testing.T) {
	root := writeProtocol(t, "b", map[string]string{"MANIFEST": "x\n", "VERSION": "a\nb\n"})
	if err := os.MkdirAll(filepath.Join(root, "protocols", "a1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "protocols", "a1", "MANIFEST"), []byte("/x/../y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadAll(root)
	want := `protocols/a1/MANIFEST:1: path "/x/../y" contains '..'
protocols/b: protocol name "b" must be 2 to 32 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit (it names the Debian package, the service user and the image)
protocols/b/MANIFEST:1: relative path "x": entries are absolute paths in the image
protocols/b/VERSION:2: VERSION has a second line "b": it must be one line, the release tag`
	if err == nil || err.Error() != want {
		t.Errorf("LoadAll errors:\n%v\nwant:\n%s", err, want)
	}
}

func TestDescriptionIsTheReadmesFirstParagraph(t *testing.T) {
	root := writeProtocol(t, "geth", map[string]string{
		"MANIFEST":  "/usr/local/bin/geth\n",
		"README.md": "# geth\n\nGo Ethereum, the execution\n  client of Ethereum.\n\n## Run\n\nsomething else\n",
	})
	p, err := Load(root, "protocols/geth")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Go Ethereum, the execution client of Ethereum."; p.Description != want {
		t.Errorf("description %q, want %q", p.Description, want)
	}
	root = writeProtocol(t, "gaia", map[string]string{"MANIFEST": "/usr/local/bin/gaiad\n"})
	if p, err = Load(root, "protocols/gaia"); err != nil || p.Description != "gaia blockchain node" {
		t.Errorf("description without README = %q, %v; want \"gaia node\"", p.Description, err)
	}
}
