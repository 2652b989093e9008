package generate

import (
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bazelbuild/bazel-gazelle/rule"
	"github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Each committed protocol's pkg_deb packages exactly what forge render
// renders: every path of layout.txt comes either from the layer (MANIFEST
// entries, at their paths) or from the render action's root files, and the
// maintainer scripts and conffiles are the action's.
func TestGeneratedDebPackagesTheRenderedFiles(t *testing.T) {
	root := corpus.RepoRoot(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Protocols) == 0 {
		t.Fatal("no protocols in the repository")
	}
	for _, p := range repo.Protocols {
		f, err := rule.LoadFile(filepath.Join(root, p.Dir, "BUILD.bazel"), p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string]*rule.Rule{}
		for _, r := range f.Rules {
			rules[r.Name()] = r
		}
		opts, err := debian.LoadOptions(repo, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range p.Targets {
			for _, pl := range p.Platforms {
				suffix := "_" + pl.Name
				if target.Named {
					suffix = "_" + target.Variant.Name + suffix
				}
				checkGeneratedDeb(t, rules, debian.Render(repo, p, target, pl, opts), p.Name+suffix, suffix)
			}
		}
	}
}

// checkGeneratedDeb checks the rules of one variant and platform's
// package (their names end in suffix) against what forge render writes.
func checkGeneratedDeb(t *testing.T, rules map[string]*rule.Rule, pkg *debian.Package, name, suffix string) {
	t.Helper()
	deb, files, data := rules["deb"+suffix], rules["deb_files"+suffix], rules["deb_data"+suffix]
	if deb == nil || files == nil || data == nil {
		t.Errorf("%s: missing deb, deb_files or deb_data", name)
		return
	}
	for _, script := range debian.Scripts {
		if got, want := deb.AttrString(script), ":deb_files"+suffix+"/"+script; got != want {
			t.Errorf("%s: pkg_deb %s = %q, want %q", deb.Name(), script, got, want)
		}
	}
	if got, want := strings.Join(deb.AttrStrings("conffiles"), "\n"), strings.Join(pkg.Conffiles, "\n"); got != want {
		t.Errorf("%s: conffiles %q, rendered conffiles %q", deb.Name(), got, want)
	}
	if deb.AttrString("data") != ":"+data.Name() {
		t.Errorf("%s: data = %q", deb.Name(), deb.AttrString("data"))
	}
	if got, want := deb.AttrString("version"), pkg.Control.Version; got != want {
		t.Errorf("%s: version %q, rendered control says %q", deb.Name(), got, want)
	}
	if got, want := deb.AttrString("description_file"), ":deb_files"+suffix+"/"+debian.DescriptionName; got != want {
		t.Errorf("%s: description_file %q, want the rendered %q", deb.Name(), got, want)
	}
	if got, want := files.AttrString("description"), "deb_files"+suffix+"/"+debian.DescriptionName; got != want {
		t.Errorf("%s: description output %q, want %q", files.Name(), got, want)
	}

	// What the data tar installs: the layer's MANIFEST entries and
	// the render action's root files, with the root prefix stripped.
	installed := map[string]bool{}
	prefix := files.Name() + "/" + debian.RootDir
	for _, out := range files.AttrStrings("root_files") {
		installed[strings.TrimPrefix(out, prefix)] = true
	}
	layer := rules[strings.TrimPrefix(data.AttrStrings("deps")[0], ":")]
	for _, src := range layer.AttrStrings("srcs") {
		m := rules[strings.TrimPrefix(src, ":")]
		renames, ok := m.Attr("renames").(*build.DictExpr)
		if !ok || len(renames.List) != 1 {
			t.Errorf("%s: renames is not a one-entry dict", m.Name())
			continue
		}
		base := renames.List[0].Value.(*build.StringExpr).Value
		installed["/"+path.Join(m.AttrString("prefix"), base)] = true
	}
	var got, want []string
	for p := range installed {
		got = append(got, p)
	}
	for _, l := range pkg.Layout {
		want = append(want, l[0])
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s installs:\n%s\nlayout.txt says:\n%s", deb.Name(), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
