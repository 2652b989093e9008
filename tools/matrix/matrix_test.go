package matrix

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func git(t *testing.T, root string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func writeFiles(t *testing.T, root string, files map[string]string) { writeFilesB(t, root, files) }

func writeFilesB(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// history makes a repository with three protocols on a base commit:
// alpha runs on two runners, beta has two variants, gamma is plain.
func history(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"README.md":                   "# repo\n",
		"go.mod":                      "module example.com/x\n",
		"protocols/alpha/VERSION":     "v1.0.0\n",
		"protocols/alpha/MANIFEST":    "/usr/local/bin/alpha\n",
		"protocols/alpha/RUNNER":      "self-hosted\nubuntu-22.04\n",
		"protocols/alpha/README.md":   "# alpha\n",
		"protocols/alpha/BUILD.bazel": "\n",
		"protocols/beta/VERSION":      "v2.0.0\n",
		"protocols/beta/MANIFEST":     "/usr/local/bin/beta\n",
		"protocols/beta/TARGETS":      "static\nglibc\n",
		"protocols/beta/BUILD.bazel":  "\n",
		"protocols/gamma/VERSION":     "v3.0.0\n",
		"protocols/gamma/MANIFEST":    "/usr/local/bin/gamma\n",
		"protocols/gamma/BUILD.bazel": "\n",
	})
	git(t, root, "init", "-q", "-b", "main")
	git(t, root, "add", "-A")
	git(t, root, "commit", "-q", "-m", "base")
	git(t, root, "checkout", "-q", "-b", "change")
	return root
}

func names(protocols []*spec.Protocol) []string {
	out := []string{}
	for _, p := range protocols {
		out = append(out, p.Name)
	}
	return out
}

func TestByPathOnGitHistory(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, root string)
		want   []string
	}{
		{"version", edit("protocols/gamma/VERSION", "v3.0.1\n"), []string{"gamma"}},
		{"targets", edit("protocols/gamma/TARGETS", "static\n"), []string{"gamma"}},
		{"manifest", edit("protocols/beta/MANIFEST", "/usr/local/bin/beta\n/usr/local/bin/betactl\n"), []string{"beta"}},
		{"runner", edit("protocols/alpha/RUNNER", "self-hosted\n"), []string{"alpha"}},
		{"build_file", edit("protocols/beta/BUILD.bazel", "# edited\n"), []string{"beta"}},
		{"readme", edit("protocols/alpha/README.md", "# alpha\n\nMore.\n"), []string{}},
		{"root_readme", edit("README.md", "# repo\n\nMore.\n"), []string{}},
		{"deleted_protocol", remove("protocols/gamma"), []string{}},
		{"go_mod", edit("go.mod", "module example.com/x\n\ngo 1.26\n"), []string{"alpha", "beta", "gamma"}},
		{"rules", edit("rules/deb.bzl", "# new\n"), []string{"alpha", "beta", "gamma"}},
		{"two_protocols", func(t *testing.T, root string) {
			edit("protocols/alpha/VERSION", "v1.0.1\n")(t, root)
			edit("protocols/beta/VERSION", "v2.0.1\n")(t, root)
		}, []string{"alpha", "beta"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := history(t)
			tc.change(t, root)
			git(t, root, "add", "-A")
			git(t, root, "commit", "-q", "-m", tc.name)
			changes, err := Changes(root, "main")
			if err != nil {
				t.Fatal(err)
			}
			repo, err := spec.Load(root)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ByPath(repo, changes)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("affected %v, want %v (changes %+v)", got, tc.want, changes)
			}
		})
	}
}

func edit(file, content string) func(*testing.T, string) {
	return func(t *testing.T, root string) { writeFiles(t, root, map[string]string{file: content}) }
}

func remove(dir string) func(*testing.T, string) {
	return func(t *testing.T, root string) {
		if err := os.RemoveAll(filepath.Join(root, dir)); err != nil {
			t.Fatal(err)
		}
	}
}

// One entry per protocol, variant and runner line, with the labels to build
// and push.
func TestEntriesExpandVariantsAndRunners(t *testing.T) {
	root := history(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	m := For(repo, repo.Protocols)
	var got []string
	for _, e := range m.Include {
		got = append(got, strings.Join([]string{e.Protocol, e.Target, e.Tag, e.Runner, e.Push, e.Deb, e.Archive}, " "))
	}
	want := []string{
		"alpha glibc v1.0.0 self-hosted //protocols/alpha:push alpha_1.0.0_amd64.deb alpha-v1.0.0.tar.gz",
		"alpha glibc v1.0.0 ubuntu-22.04 //protocols/alpha:push alpha_1.0.0_amd64.deb alpha-v1.0.0.tar.gz",
		"beta static static-v2.0.0 ubuntu-latest //protocols/beta:push_static beta_2.0.0+static_amd64.deb beta-static-v2.0.0.tar.gz",
		"beta glibc glibc-v2.0.0 ubuntu-latest //protocols/beta:push_glibc beta_2.0.0+glibc_amd64.deb beta-glibc-v2.0.0.tar.gz",
		"gamma glibc v3.0.0 ubuntu-latest //protocols/gamma:push gamma_3.0.0_amd64.deb gamma-v3.0.0.tar.gz",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b := m.Include[2].Build; !reflect.DeepEqual(b, []string{"//protocols/beta:image_static", "//protocols/beta:archive_static", "//protocols/beta:deb_static"}) {
		t.Errorf("beta static builds %v", b)
	}
	if !strings.HasPrefix(m.JSON(), `{"include":[{"protocol":"alpha","target":"glibc","version":"v1.0.0","tag":"v1.0.0","runner":"self-hosted","manifest":["/usr/local/bin/alpha"]`) {
		t.Errorf("JSON %s", m.JSON())
	}
	if got := For(repo, nil).JSON(); got != `{"include":[]}` {
		t.Errorf("empty matrix %s", got)
	}
}

// fakeBazel writes a bazel that records each call's arguments in log and
// prints the packages a query of that kind would return.
func fakeBazel(t *testing.T, rdeps, rbuildfiles string) (bazel, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	bazel = filepath.Join(dir, "bazel")
	script := `#!/bin/sh
printf '%s\n' "$*" >> ` + log + `
case "$*" in
*rbuildfiles*) printf '` + rbuildfiles + `' ;;
*rdeps*) printf '` + rdeps + `'; exit 3 ;;
esac
`
	if err := os.WriteFile(bazel, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bazel, log
}

func TestByQueryAsksBazel(t *testing.T) {
	root := history(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	bazel, log := fakeBazel(t, "protocols/gamma\n", "protocols/beta\nrules\n")
	changes := []Change{
		{Path: "protocols/gamma/VERSION"},
		{Path: "protocols/alpha/README.md"},
		{Path: "protocols/beta/BUILD.bazel"},
		{Path: "protocols/gone/MANIFEST", Deleted: true},
	}
	got, err := ByQuery(bazel, repo, changes)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names(got), []string{"beta", "gamma"}) {
		t.Errorf("affected %v, want [beta gamma]", names(got))
	}
	calls, _ := os.ReadFile(log)
	want := "query --keep_going --output=package rdeps(//protocols/..., set(//protocols/gamma:VERSION))\n" +
		"query --keep_going --output=package --universe_scope=//protocols/... --order_output=no rbuildfiles(protocols/beta/BUILD.bazel)\n"
	if string(calls) != want {
		t.Errorf("bazel calls:\n%s\nwant:\n%s", calls, want)
	}

	// A change to MODULE.bazel rebuilds everything without asking.
	os.Remove(log)
	got, err = ByQuery(bazel, repo, []Change{{Path: "MODULE.bazel"}, {Path: "protocols/gamma/VERSION"}})
	if err != nil || len(got) != 3 {
		t.Errorf("MODULE.bazel change: %v, %v; want all three", names(got), err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("bazel was asked although every protocol is affected")
	}
}
