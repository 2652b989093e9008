package packaging_test

import (
	"strings"
	"testing"

	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/packaging"
)

// parse reads BUILD text as the package protocols/p.
func parse(t *testing.T, build string) *packaging.Package {
	t.Helper()
	f, err := bzl.ParseBuild("protocols/p/BUILD.bazel", []byte(build))
	if err != nil {
		t.Fatal(err)
	}
	return packaging.NewPackage(f, "protocols/p")
}

func tarOf(t *testing.T, p *packaging.Package, name string) *packaging.Tar {
	t.Helper()
	tar, err := p.Tar(name)
	if err != nil {
		t.Fatal(err)
	}
	return tar
}

func wantListing(t *testing.T, tar *packaging.Tar, want ...string) {
	t.Helper()
	if got := tar.Listing(); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("%s:\n%s\nwant:\n%s", tar.Rule, got, strings.Join(want, "\n"))
	}
}

const layerBuild = `
pkg_files(
    name = "bin",
    srcs = [":node"],
    prefix = "usr/local/bin",
    renames = {":node": "node"},
    %s
)

pkg_tar(
    name = "layer",
    srcs = [":bin"],
    mode = "0755",
    owner = "0.0",
    portable_mtime = True,
)
`

// pkg_files always has a mode, 0644 unless its attributes say otherwise,
// and it wins over pkg_tar's; parents are 0755, owned like the file.
func TestPkgFilesModeWinsOverPkgTars(t *testing.T) {
	without := parse(t, strings.Replace(layerBuild, "%s", "", 1))
	wantListing(t, tarOf(t, without, "layer"),
		"drwxr-xr-x 0/0 946684800 usr/",
		"drwxr-xr-x 0/0 946684800 usr/local/",
		"drwxr-xr-x 0/0 946684800 usr/local/bin/",
		"-rw-r--r-- 0/0 946684800 usr/local/bin/node")

	with := parse(t, strings.Replace(layerBuild, "%s", `attributes = pkg_attributes(mode = "0755"),`, 1))
	m, _ := tarOf(t, with, "layer").Member("usr/local/bin/node")
	if m.Mode != 0o755 {
		t.Errorf("with pkg_attributes(mode = \"0755\"): mode %v", m.Mode)
	}
	// A JSON string, as pkg_attributes returns it, means the same.
	json := parse(t, strings.Replace(layerBuild, "%s", `attributes = "{\"mode\": \"0750\", \"uid\": 7, \"gid\": 8}",`, 1))
	m, _ = tarOf(t, json, "layer").Member("usr/local/bin/node")
	if m.Mode != 0o750 || m.UID != 7 || m.GID != 8 {
		t.Errorf("with JSON attributes: %v", m)
	}
}

// A directory output gets the entry's mode on every file and 0755 on every
// directory in it.
func TestDirectoryEntryGivesItsModeToEveryFile(t *testing.T) {
	p := parse(t, strings.Replace(layerBuild, "%s", `attributes = pkg_attributes(mode = "0755"),`, 1))
	p.Sources = map[string]packaging.Source{":node": {Tree: []string{"b/c", "a", "d/"}}}
	wantListing(t, tarOf(t, p, "layer"),
		"drwxr-xr-x 0/0 946684800 usr/",
		"drwxr-xr-x 0/0 946684800 usr/local/",
		"drwxr-xr-x 0/0 946684800 usr/local/bin/",
		"drwxr-xr-x 0/0 946684800 usr/local/bin/node/",
		"-rwxr-xr-x 0/0 946684800 usr/local/bin/node/a",
		"drwxr-xr-x 0/0 946684800 usr/local/bin/node/b/",
		"-rwxr-xr-x 0/0 946684800 usr/local/bin/node/b/c",
		"drwxr-xr-x 0/0 946684800 usr/local/bin/node/d/")
}

// deps are merged after srcs with their members' modes, owners and mtimes;
// a directory both have is written once, the first time.
func TestDepsKeepTheirMembersFirstWins(t *testing.T) {
	p := parse(t, `
pkg_files(
    name = "bin",
    srcs = [":node"],
    attributes = pkg_attributes(mode = "0755", uid = 5, gid = 6),
    prefix = "usr/bin",
)

pkg_tar(
    name = "inner",
    srcs = [":bin"],
    portable_mtime = False,
    mtime = 12,
)

deb_files(
    name = "rendered",
    root_files = ["rendered/root/usr/share/doc/p/copyright"],
)

pkg_files(
    name = "config",
    srcs = [":rendered"],
    strip_prefix = "rendered/root",
)

pkg_tar(
    name = "outer",
    srcs = [":config"],
    extension = "tar.xz",
    mode = "0600",
    deps = [":inner"],
)
`)
	inner := tarOf(t, p, "inner")
	if inner.File != "inner.tar" || inner.Compression != "" {
		t.Errorf("inner: %s, compression %q", inner.File, inner.Compression)
	}
	outer := tarOf(t, p, "outer")
	if outer.File != "outer.tar.xz" || outer.Compression != "xz" {
		t.Errorf("outer: %s, compression %q", outer.File, outer.Compression)
	}
	wantListing(t, outer,
		"drwxr-xr-x 0/0 946684800 usr/",
		"drwxr-xr-x 0/0 946684800 usr/share/",
		"drwxr-xr-x 0/0 946684800 usr/share/doc/",
		"drwxr-xr-x 0/0 946684800 usr/share/doc/p/",
		"-rw-r--r-- 0/0 946684800 usr/share/doc/p/copyright",
		"drwxr-xr-x 5/6 12 usr/bin/",
		"-rwxr-xr-x 5/6 12 usr/bin/node")
}

func TestCompressionFollowsTheExtension(t *testing.T) {
	for ext, want := range map[string]string{"tar": "", "tar.gz": "gz", "tgz": "gz", "tar.xz": "xz", "txz": "xz", "tar.bz2": "bz2"} {
		p := parse(t, `pkg_tar(name = "t", extension = "`+ext+`")`)
		if got := tarOf(t, p, "t"); got.Compression != want || got.File != "t."+ext {
			t.Errorf("extension %q: compression %q file %s, want %q", ext, got.Compression, got.File, want)
		}
	}
	// The macro names the output after the extension, "tar" when empty.
	if got := tarOf(t, parse(t, `pkg_tar(name = "t", extension = "")`), "t"); got.File != "t.tar" || got.Compression != "" {
		t.Errorf(`extension "": %s, compression %q`, got.File, got.Compression)
	}
	if _, err := parse(t, `pkg_tar(name = "t", extension = "tar.zst")`).Tar("t"); err == nil || !strings.Contains(err.Error(), "Unsupported compression") {
		t.Errorf("tar.zst: %v", err)
	}
}

func TestMTimeAndOwner(t *testing.T) {
	p := parse(t, `
pkg_files(name = "f", srcs = ["x"])
pkg_tar(name = "default", srcs = [":f"])
pkg_tar(name = "zero", srcs = [":f"], portable_mtime = False, owner = "1.2")
pkg_tar(name = "both", srcs = [":f"], mtime = 5)
`)
	wantListing(t, tarOf(t, p, "default"), "-rw-r--r-- 0/0 946684800 x")
	wantListing(t, tarOf(t, p, "zero"), "-rw-r--r-- 1/2 0 x")
	if _, err := p.Tar("both"); err == nil {
		t.Error("mtime with the default portable_mtime: no error")
	}
}

// An attribute the model does not follow is an error naming it, not a
// silently wrong model.
func TestUnmodelledAttributesAreErrors(t *testing.T) {
	p := parse(t, `
pkg_tar(
    name = "t",
    symlinks = {"a": "b"},
)
`)
	_, err := p.Tar("t")
	if err == nil || !strings.Contains(err.Error(), "protocols/p/BUILD.bazel:2:") || !strings.Contains(err.Error(), "symlinks") {
		t.Errorf("got %v, want an error at line 2 naming symlinks", err)
	}
}

const debBuild = `
pkg_tar(name = "data", extension = "%s")

pkg_deb(
    name = "deb",
    architecture = "amd64",
    data = ":data",
    description_file = ":files/description",
    distribution = "bookworm",
    maintainer = "M {{x}} <m@example.org>",
    package = "p",
    postinst = ":files/postinst",
    prerm = ":files/prerm",
    version = "1.0",
    %s
)
`

func readFiles(files map[string]string) func(string) (string, bool) {
	return func(l string) (string, bool) {
		c, ok := files[l]
		return c, ok
	}
}

func TestControlFieldsAsMakeDebWritesThem(t *testing.T) {
	p := parse(t, strings.Replace(strings.Replace(debBuild, "%s", "tar.xz", 1), "%s", `conffiles = ["/etc/default/p"],`, 1))
	d, err := p.Deb("deb", readFiles(map[string]string{
		":files/description": "  Synopsis\nline one\n .\n indented\n\n",
		":files/postinst":    "#!/bin/sh\n",
		":files/prerm":       "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	// Section and Priority are written with make_deb's defaults;
	// Distribution and Urgency are not written at all.
	want := "Package: p\nVersion: 1.0\nSection: contrib/devel\nPriority: optional\nArchitecture: amd64\n" +
		"Maintainer: M {x} <m@example.org>\nDescription: Synopsis\n line one\n .\n indented\n"
	if got := d.Control(); got != want {
		t.Errorf("control:\n%s\nwant:\n%s", got, want)
	}
	if d.Distribution != "bookworm" || d.Urgency != "medium" {
		t.Errorf(".changes: distribution %q urgency %q", d.Distribution, d.Urgency)
	}
	if got := strings.Join(d.ArMembers, " "); got != "debian-binary control.tar.gz data.tar.xz" {
		t.Errorf("ar members: %s", got)
	}
	var control []string
	for _, m := range d.ControlMembers {
		control = append(control, m.String())
	}
	// The empty prerm is dropped.
	if got := strings.Join(control, "\n"); got != "-rw-r--r-- 0/0 0 ./control\n-rwxr-xr-x 0/0 0 ./postinst\n-rw-r--r-- 0/0 0 ./conffiles" {
		t.Errorf("control.tar.gz:\n%s", got)
	}
	if d.Conffiles != "/etc/default/p\n" || d.File != "p_1.0_amd64.deb" || d.Changes != "p_1.0_amd64.changes" {
		t.Errorf("conffiles %q, file %s, changes %s", d.Conffiles, d.File, d.Changes)
	}
}

// conffiles_file is read unstripped, and make_deb adds a newline: a file
// ending in one gives a blank last line.
func TestConffilesFileGetsABlankLine(t *testing.T) {
	p := parse(t, strings.Replace(strings.Replace(debBuild, "%s", "tar", 1), "%s", `conffiles_file = ":files/conffiles",`, 1))
	d, err := p.Deb("deb", readFiles(map[string]string{":files/description": "d", ":files/conffiles": "/etc/default/p\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Conffiles != "/etc/default/p\n\n" {
		t.Errorf("conffiles %q", d.Conffiles)
	}
	// An uncompressed data tar is data.tar in the .deb.
	if d.ArMembers[2] != "data.tar" {
		t.Errorf("data member %s", d.ArMembers[2])
	}
}

func TestSubstitute(t *testing.T) {
	vars := packaging.MakeVariables
	for in, want := range map[string]string{
		"":                    "",
		"plain":               "plain",
		"{{x}}":               "{x}",
		"a}}b{{":              "a}b{",
		"{TARGET_CPU}":        "k8", // silently replaced: free text must not reach here unescaped
		"$(TARGET_CPU)-x":     "k8-x",
		"x_$(TARGET_CPU).deb": "x_k8.deb",
	} {
		if got, err := packaging.Substitute(in, vars); err != nil || got != want {
			t.Errorf("Substitute(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"{", "}", "{x}", "{0}", "$(", "a $( b", "}{", "{!r}"} {
		if got, err := packaging.Substitute(in, vars); err == nil {
			t.Errorf("Substitute(%q) = %q, want an error as at analysis", in, got)
		}
	}
}
