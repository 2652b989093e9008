package packaging_test

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// shippingCase is one generated BUILD file and the MANIFEST it ships.
type shippingCase struct {
	name     string
	build    string // path of the BUILD file
	protocol *metadata.Protocol
	// sources are the MANIFEST sources that are directories.
	sources map[string]packaging.Source
	// platforms is how many platforms the protocol is built for.
	platforms int
	// spec is the committed protocol's spec (its sources), nil for a golden.
	spec *spec.Protocol
}

// committedProtocols are the repository's protocols with their committed
// BUILD files.
func committedProtocols(t *testing.T) (string, *spec.Repo, []shippingCase) {
	t.Helper()
	root := corpus.RepoRoot(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Protocols) == 0 {
		t.Fatal("no protocols in the repository")
	}
	var cases []shippingCase
	for _, p := range repo.Protocols {
		cases = append(cases, shippingCase{name: p.Dir, build: filepath.Join(root, p.Dir, "BUILD.bazel"), protocol: p.Protocol, platforms: len(p.Platforms), spec: p})
	}
	return root, repo, cases
}

// goldenTree are the golden cases' MANIFEST sources that are directories
// (README: a MANIFEST entry may be a directory), with what they hold.
var goldenTree = map[string]map[string]packaging.Source{
	"directory_in_manifest": {":plugins": {Tree: []string{"evm", "subnets/", "subnets/x/plugin"}}},
}

// goldenProtocols are the generator's golden cases (tools/forge/testdata/
// generate/CASE/in/protocols/NAME with want/protocols/NAME/BUILD.want):
// what the generator writes today for each input shape.
func goldenProtocols(t *testing.T) []shippingCase {
	t.Helper()
	dir := filepath.Join(corpus.RepoRoot(t), "tools", "forge", "testdata", "generate")
	wants, err := filepath.Glob(filepath.Join(dir, "*", "want", "protocols", "*", "BUILD.want"))
	if err != nil || len(wants) == 0 {
		t.Fatalf("no golden BUILD files under %s: %v", dir, err)
	}
	var cases []shippingCase
	for _, want := range wants {
		rel, _ := filepath.Rel(dir, want)
		parts := strings.Split(filepath.ToSlash(rel), "/") // CASE/want/protocols/NAME/BUILD.want
		in := filepath.Join(dir, parts[0], "in")
		if !metadata.IsProtocol(in, path.Join(metadata.ProtocolsDir, parts[3])) {
			continue // a golden of what gazelle leaves alone
		}
		p, err := metadata.Load(in, path.Join(metadata.ProtocolsDir, parts[3]))
		if err != nil {
			t.Fatalf("%s: %v", parts[0], err)
		}
		cases = append(cases, shippingCase{name: parts[0], build: want, protocol: p, sources: goldenTree[parts[0]], platforms: statedPlatforms(t, want)})
	}
	return cases
}

// statedPlatforms counts the platforms a golden BUILD file's
// forge_platforms directive names, or every platform without one.
func statedPlatforms(t *testing.T, build string) int {
	t.Helper()
	data, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "# gazelle:"+spec.PlatformsDirective+" "); ok {
			return len(strings.Fields(v))
		}
	}
	return len(platform.All())
}

func load(t *testing.T, c shippingCase) *packaging.Package {
	t.Helper()
	pkg, err := packaging.LoadPackage(c.build, c.protocol.Dir)
	if err != nil {
		t.Fatal(err)
	}
	pkg.Sources = c.sources
	return pkg
}

// Every MANIFEST entry ships with its mode (0755 for executables, 0644 for
// shared libraries), root-owned, in every image layer, release archive and
// .deb data tar, and the .deb data is compressed: in the committed BUILD
// files and in every golden of the generator.
func TestEveryEntryShipsWithItsMode(t *testing.T) {
	_, _, committed := committedProtocols(t)
	cases := append(committed, goldenProtocols(t)...)
	sawLibrary, sawTree := false, false
	for _, c := range cases {
		pkg := load(t, c)
		for _, err := range pkg.CheckManifest(c.protocol.Manifest, len(c.protocol.Targets)*c.platforms) {
			t.Errorf("%s: %v", c.name, err)
		}
		for _, e := range c.protocol.Manifest {
			want := os.FileMode(0o755)
			if e.IsSharedLibrary() {
				want, sawLibrary = 0o644, true
			}
			if packaging.EntryMode(e) != want {
				t.Errorf("EntryMode(%s) = %04o, want %04o", e.Path, packaging.EntryMode(e), want)
			}
		}
		if c.sources != nil {
			sawTree = true
		}
	}
	if !sawLibrary || !sawTree {
		t.Errorf("the cases lack a shared library (%v) or a directory entry (%v)", sawLibrary, sawTree)
	}
}

// Were any MANIFEST entry of a committed protocol a directory, every file
// in it would still ship executable.
func TestDirectoryEntriesKeepExecutablesExecutable(t *testing.T) {
	_, _, cases := committedProtocols(t)
	for _, c := range cases {
		pkg := load(t, c)
		pkg.Sources = map[string]packaging.Source{}
		for _, e := range c.protocol.Manifest {
			pkg.Sources[c.spec.Source(e).String()] = packaging.Source{Tree: []string{"bin/tool", "lib/", "run"}}
		}
		for _, err := range pkg.CheckManifest(c.protocol.Manifest, len(c.protocol.Targets)*c.platforms) {
			t.Errorf("%s as directories: %v", c.name, err)
		}
		shipped, err := pkg.ShippedTars()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shipped {
			at := strings.TrimPrefix(c.protocol.Service.Path, "/")
			if s.Flat {
				at = c.protocol.Service.Base()
			}
			if m, ok := s.Tar.Member(at + "/bin/tool"); !ok || m.Mode != packaging.EntryMode(c.protocol.Service) {
				t.Errorf("%s %s: %s/bin/tool is %v (present: %v)", c.name, s.Tar.Rule, at, m, ok)
			}
		}
	}
}

// The check catches the shapes that ship wrong: pkg_files without
// attributes (rules_pkg gives their files 0644 everywhere) and a .deb data
// tar without a compressing extension.
func TestCheckReportsMutatedBuildFiles(t *testing.T) {
	_, _, cases := committedProtocols(t)
	for _, m := range []struct {
		name   string
		mutate func(pkg *packaging.Package) int
		want   []string
	}{
		{
			name: "pkg_files without attributes",
			mutate: func(pkg *packaging.Package) int {
				n := 0
				for _, r := range pkg.RulesOfKind("pkg_files") {
					if r.Attr("attributes") != nil {
						r.DelAttr("attributes")
						n++
					}
				}
				return n
			},
			want: []string{": layer ", ": archive ", ": deb data "},
		},
		{
			name: "deb data without extension",
			mutate: func(pkg *packaging.Package) int {
				n := 0
				for _, deb := range pkg.RulesOfKind("pkg_deb") {
					data := pkg.Rule(strings.TrimPrefix(deb.AttrString("data"), ":"))
					if data != nil && data.Attr("extension") != nil {
						data.DelAttr("extension")
						n++
					}
				}
				return n
			},
			want: []string{"is not compressed"},
		},
	} {
		t.Run(m.name, func(t *testing.T) {
			c := cases[0]
			pkg := load(t, c)
			if len(pkg.CheckManifest(c.protocol.Manifest, len(c.protocol.Targets)*c.platforms)) != 0 {
				t.Fatalf("%s fails the check before the mutation", c.name)
			}
			if m.mutate(pkg) == 0 {
				t.Fatalf("%s: nothing to mutate", c.name)
			}
			errs := pkg.CheckManifest(c.protocol.Manifest, len(c.protocol.Targets)*c.platforms)
			var all []string
			for _, err := range errs {
				all = append(all, err.Error())
			}
			text := strings.Join(all, "\n")
			for _, w := range m.want {
				if !strings.Contains(text, w) {
					t.Errorf("no error says %q; errors:\n%s", w, text)
				}
			}
			if m.name == "pkg_files without attributes" && !strings.Contains(text, "is mode 0644, want 0755") {
				t.Errorf("no error names mode 0644; errors:\n%s", text)
			}
		})
	}
}

// rendered returns what `forge render` writes for the deb_files rules of a
// package, by the labels pkg_deb names them with (":deb_files_x/control").
func rendered(t *testing.T, repo *spec.Repo, p *spec.Protocol, pkg *packaging.Package) map[string]string {
	t.Helper()
	opts, err := debian.LoadOptions(repo, p)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, r := range pkg.RulesOfKind("deb_files") {
		target, pl, err := pkg.DebFilesFor(r, p.Targets, p.Platforms)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range debian.Render(repo, p, target, pl, opts).Files {
			files[":"+r.Name()+"/"+f.Name] = f.Content
		}
	}
	return files
}

// checkDebs checks that, for each target and platform of p, the pkg_deb
// writes the control file and conffiles forge render writes, and an xz
// data member.
func checkDebs(t *testing.T, repo *spec.Repo, p *spec.Protocol, pkg *packaging.Package) {
	t.Helper()
	files := rendered(t, repo, p, pkg)
	read := func(l string) (string, bool) {
		c, ok := files[l]
		return c, ok
	}
	debs := map[string]*packaging.Deb{}
	for _, r := range pkg.RulesOfKind("pkg_deb") {
		d, err := pkg.Deb(r.Name(), read)
		if err != nil {
			t.Fatal(err)
		}
		debs[d.File] = d
	}
	opts, err := debian.LoadOptions(repo, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range p.Targets {
		for _, pl := range p.Platforms {
			checkDeb(t, p, debs, debian.Render(repo, p, target, pl, opts))
		}
	}
}

// checkDeb checks the pkg_deb of the package r renders.
func checkDeb(t *testing.T, p *spec.Protocol, debs map[string]*packaging.Deb, r *debian.Package) {
	t.Helper()
	d := debs[r.Control.FileName()]
	if d == nil {
		t.Errorf("%s: no pkg_deb writes %s", p.Dir, r.Control.FileName())
		return
	}
	var control, conffiles string
	for _, f := range r.Files {
		switch f.Name {
		case debian.ControlName:
			control = f.Content
		case debian.ConffilesName:
			conffiles = f.Content
		}
	}
	if got := d.Control(); got != control {
		t.Errorf("%s %s: pkg_deb writes the control file\n%s\nforge render's control says\n%s", p.Dir, d.Rule, got, control)
	}
	if got := d.Control(); got != r.Control.String() {
		t.Errorf("%s %s: Control.String() differs from what pkg_deb writes", p.Dir, d.Rule)
	}
	if d.Conffiles != conffiles {
		t.Errorf("%s %s: pkg_deb writes conffiles %q, forge render %q", p.Dir, d.Rule, d.Conffiles, conffiles)
	}
	if d.Distribution != r.Control.Distribution {
		t.Errorf("%s %s: .changes distribution %q, want %q", p.Dir, d.Rule, d.Distribution, r.Control.Distribution)
	}
	if want := "data." + packaging.DebDataExtension; d.ArMembers[2] != want {
		t.Errorf("%s %s: data member %s, want %s", p.Dir, d.Rule, d.ArMembers[2], want)
	}
}

// The control fields pkg_deb writes are exactly forge render's control.
func TestControlIsWhatPkgDebWrites(t *testing.T) {
	root, repo, _ := committedProtocols(t)
	for _, p := range repo.Protocols {
		pkg, err := packaging.LoadPackage(filepath.Join(root, p.Dir, "BUILD.bazel"), p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		checkDebs(t, repo, p, pkg)
	}
}

// checkFormatted runs substitute_package_variables over every attribute
// rules_pkg formats and reports any that fail or change: free text must
// come through as written, escaped where it holds braces.
func checkFormatted(t *testing.T, name string, pkg *packaging.Package, raw map[string]string) {
	t.Helper()
	for kind, attrs := range packaging.FormattedAttrs {
		for _, r := range pkg.RulesOfKind(kind) {
			for _, a := range attrs {
				values := r.AttrStrings(a)
				if s := r.AttrString(a); s != "" {
					values = []string{s}
				}
				for _, v := range values {
					got, err := packaging.Substitute(v, packaging.MakeVariables)
					if err != nil {
						t.Errorf("%s: %s %s.%s: %v", name, kind, r.Name(), a, err)
						continue
					}
					if want, ok := raw[a]; ok && got != want {
						t.Errorf("%s: %s %s.%s formats to %q, want %q", name, kind, r.Name(), a, got, want)
					}
				}
			}
		}
	}
}

func TestFormattedAttributesSurvive(t *testing.T) {
	root, repo, _ := committedProtocols(t)
	for _, p := range repo.Protocols {
		pkg, err := packaging.LoadPackage(filepath.Join(root, p.Dir, "BUILD.bazel"), p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		checkFormatted(t, p.Dir, pkg, map[string]string{"maintainer": repo.Maintainer, "homepage": p.Upstream})
	}
	for _, c := range goldenProtocols(t) {
		checkFormatted(t, c.name, load(t, c), nil)
	}
}
