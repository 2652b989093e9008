package packaging_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// hostile is text that str.format reads as syntax: lone braces, a field
// that is no variable, one that is (and would be replaced silently),
// doubled braces, and rules_pkg's own "$(" variable syntax.
const hostile = "{ } {x} {{y}} {TARGET_CPU} {0} $( $(TARGET_CPU)"

func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// A protocol whose README, maintainer and upstream hold str.format syntax
// gets a BUILD file whose every formatted attribute comes through as
// written, and a .deb whose control file is forge render's.
func TestFreeTextCannotBreakStrFormat(t *testing.T) {
	maintainer := "Mallory {x} }{ {TARGET_CPU} <mallory@example.org>"
	upstream := "https://example.org/{x}/}{/{TARGET_CPU}"
	root := writeRepo(t, map[string]string{
		"BUILD.bazel":                "# gazelle:forge_maintainer " + maintainer + "\n",
		"protocols/hostile/MANIFEST": "/usr/local/bin/hostile\n/usr/local/lib/hostile/libhostile.so.1\n",
		"protocols/hostile/VERSION":  "v1.2.3\n",
		"protocols/hostile/README.md": "# hostile\n\nHostile " + hostile + " node.\n" +
			"Its second line " + hostile + ".\n\nNot the description.\n",
		"protocols/hostile/BUILD.bazel": "# gazelle:forge_upstream " + upstream + "\n",
	})
	if _, err := generate.Write(root); err != nil {
		t.Fatal(err)
	}
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	p := repo.ByName("hostile")
	if !strings.Contains(p.Description, hostile) {
		t.Fatalf("the description %q lost the hostile text", p.Description)
	}
	pkg, err := packaging.LoadPackage(filepath.Join(root, p.Dir, "BUILD.bazel"), p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	checkFormatted(t, "hostile", pkg, map[string]string{"maintainer": maintainer, "homepage": upstream})
	checkDebs(t, repo, p, pkg)
	for _, err := range pkg.CheckManifest(p.Manifest, len(p.Targets)*len(p.Platforms)) {
		t.Error(err)
	}
	// The description is in the control file, hostile text and all.
	files := rendered(t, repo, p, pkg)
	d, err := pkg.Deb(pkg.RulesOfKind("pkg_deb")[0].Name(), func(l string) (string, bool) { c, ok := files[l]; return c, ok })
	if err != nil {
		t.Fatal(err)
	}
	if desc, _ := d.Field("Description"); !strings.Contains(strings.Join(strings.Fields(desc), " "), "Hostile "+hostile+" node.") {
		t.Errorf("Description:\n%s", desc)
	}
}

// Text that cannot be written through rules_pkg's substitution at all, a
// "$(" in the maintainer or the upstream address, is refused with its
// position before anything is written.
func TestVariableSyntaxInPackageFieldsIsRefused(t *testing.T) {
	for _, c := range []struct{ file, line string }{
		{"BUILD.bazel", "# gazelle:forge_maintainer Eve $(x) <eve@example.org>"},
		{"protocols/pp/BUILD.bazel", "# gazelle:forge_upstream https://example.org/$(x)"},
	} {
		files := map[string]string{
			"protocols/pp/MANIFEST": "/usr/local/bin/pp\n",
			c.file:                  c.line + "\n",
		}
		root := writeRepo(t, files)
		_, err := generate.Write(root)
		if err == nil || !strings.Contains(err.Error(), c.file+":1:") || !strings.Contains(err.Error(), "$(") {
			t.Errorf("%s: %v, want an error at %s:1 naming $(", c.line, err, c.file)
		}
		if _, statErr := os.Stat(filepath.Join(root, "protocols", "pp", "BUILD.bazel")); c.file != "protocols/pp/BUILD.bazel" && statErr == nil {
			t.Errorf("%s: a BUILD file was written", c.line)
		}
	}
}
