package matrix

import (
	"fmt"
	"io"
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
		got = append(got, strings.Join([]string{e.Protocol, e.Target, e.Tag, e.Runner, fmt.Sprint(e.Primary), e.Push, e.Deb, e.Archive}, " "))
	}
	want := []string{
		"alpha glibc v1.0.0 self-hosted true //protocols/alpha:push alpha_1.0.0_amd64.deb alpha-v1.0.0.tar.gz",
		"alpha glibc v1.0.0 ubuntu-22.04 false //protocols/alpha:push alpha_1.0.0_amd64.deb alpha-v1.0.0.tar.gz",
		"beta static static-v2.0.0 ubuntu-latest true //protocols/beta:push_static beta_2.0.0+static_amd64.deb beta-static-v2.0.0.tar.gz",
		"beta glibc glibc-v2.0.0 ubuntu-latest true //protocols/beta:push_glibc beta_2.0.0+glibc_amd64.deb beta-glibc-v2.0.0.tar.gz",
		"gamma glibc v3.0.0 ubuntu-latest true //protocols/gamma:push gamma_3.0.0_amd64.deb gamma-v3.0.0.tar.gz",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b := m.Include[2].Build; !reflect.DeepEqual(b, []string{"//protocols/beta:image_static", "//protocols/beta:archive_static", "//protocols/beta:deb_static"}) {
		t.Errorf("beta static builds %v", b)
	}
	if !strings.HasPrefix(m.JSON(), `{"include":[{"protocol":"alpha","target":"glibc","version":"v1.0.0","tag":"v1.0.0","runner":"self-hosted","native":"linux/amd64","primary":true,"manifest":["/usr/local/bin/alpha"]`) {
		t.Errorf("JSON %s", m.JSON())
	}
	if got := For(repo, nil).JSON(); got != `{"include":[]}` {
		t.Errorf("empty matrix %s", got)
	}
}

// Each entry lists every platform the protocol ships with its archive and
// .deb, the amd64 ones also under the names they had before; a narrowed
// protocol lists its own; an arm runner line is an entry like any other,
// whose native platform is arm64.
func TestEntriesListEveryPlatform(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":                      "module example.com/x\n",
		"protocols/alpha/VERSION":     "v1.0.0\n",
		"protocols/alpha/MANIFEST":    "/usr/local/bin/alpha\n",
		"protocols/alpha/RUNNER":      "ubuntu-latest\nubuntu-24.04-arm\n",
		"protocols/alpha/BUILD.bazel": "\n",
		"protocols/delta/VERSION":     "v4.0.0\n",
		"protocols/delta/MANIFEST":    "/usr/local/bin/delta\n",
		"protocols/delta/BUILD.bazel": "# gazelle:forge_platforms linux/amd64\n",
	})
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	m := For(repo, repo.Protocols)
	var got []string
	for _, e := range m.Include {
		got = append(got, fmt.Sprintf("%s %s %s primary=%v %s %s %v %v %v", e.Protocol, e.Runner, e.Native, e.Primary, e.Archive, e.Deb, e.Platforms, e.Archives, e.Debs))
	}
	want := []string{
		"alpha ubuntu-latest linux/amd64 primary=true alpha-v1.0.0.tar.gz alpha_1.0.0_amd64.deb [linux/amd64 linux/arm64] [alpha-v1.0.0.tar.gz alpha-v1.0.0-linux-arm64.tar.gz] [alpha_1.0.0_amd64.deb alpha_1.0.0_arm64.deb]",
		"alpha ubuntu-24.04-arm linux/arm64 primary=false alpha-v1.0.0.tar.gz alpha_1.0.0_amd64.deb [linux/amd64 linux/arm64] [alpha-v1.0.0.tar.gz alpha-v1.0.0-linux-arm64.tar.gz] [alpha_1.0.0_amd64.deb alpha_1.0.0_arm64.deb]",
		"delta ubuntu-latest linux/amd64 primary=true delta-v4.0.0.tar.gz delta_4.0.0_amd64.deb [linux/amd64] [delta-v4.0.0.tar.gz] [delta_4.0.0_amd64.deb]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRunnerPlatform(t *testing.T) {
	for runner, want := range map[string]string{
		"ubuntu-latest":     "linux/amd64",
		"ubuntu-24.04-arm":  "linux/arm64",
		"ARM64":             "linux/arm64",
		"linux-aarch64-big": "linux/arm64",
		"self-hosted":       "linux/amd64",
		"charming-runner":   "linux/amd64",
	} {
		if got := RunnerPlatform(runner).OCI; got != want {
			t.Errorf("RunnerPlatform(%q) = %s, want %s", runner, got, want)
		}
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
	got, err := ByQuery(bazel, repo, changes, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names(got), []string{"beta", "gamma"}) {
		t.Errorf("affected %v, want [beta gamma]", names(got))
	}
	calls, _ := os.ReadFile(log)
	want := "query --keep_going --output=package rdeps(//protocols/..., set(\"//protocols/gamma:VERSION\"))\n" +
		"query --keep_going --output=package --universe_scope=//protocols/... --order_output=no rbuildfiles(\"protocols/beta/BUILD.bazel\")\n"
	if string(calls) != want {
		t.Errorf("bazel calls:\n%s\nwant:\n%s", calls, want)
	}

	// A change to MODULE.bazel rebuilds everything without asking.
	os.Remove(log)
	got, err = ByQuery(bazel, repo, []Change{{Path: "MODULE.bazel"}, {Path: "protocols/gamma/VERSION"}}, io.Discard)
	if err != nil || len(got) != 3 {
		t.Errorf("MODULE.bazel change: %v, %v; want all three", names(got), err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("bazel was asked although every protocol is affected")
	}
}

// git C-quotes paths with non-ASCII bytes, quotes or backslashes unless
// -z is given; a quoted path matched nothing, so such a change built
// nothing (hostile-inputs O171).
func TestChangesReadsPathsGitWouldQuote(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"tools/x/données.go", []string{"alpha", "beta", "gamma"}},
		{`protocols/beta/d"q.conf`, []string{"beta"}},
		{`protocols/gamma/back\slash.conf`, []string{"gamma"}},
		{"protocols/alpha/sys tem.conf", []string{"alpha"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			root := history(t)
			edit(tc.file, "x\n")(t, root)
			git(t, root, "add", "-A")
			git(t, root, "commit", "-q", "-m", "quoted")
			changes, err := Changes(root, "main")
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 1 || changes[0].Path != tc.file || changes[0].Deleted {
				t.Fatalf("changes %+v, want the one added %q", changes, tc.file)
			}
			repo, err := spec.Load(root)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ByPath(repo, changes)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("affected %v, want %v", got, tc.want)
			}
		})
	}
}

// A base git would take for an option is refused before git runs: with
// `--output=FILE` git wrote FILE and matrix printed an empty matrix with
// exit 0 (hostile-inputs O166).
func TestChangesRefusesABaseThatIsAnOption(t *testing.T) {
	root := history(t)
	out := filepath.Join(t.TempDir(), "written")
	for _, base := range []string{"--output=" + out, "-p", ""} {
		if changes, err := Changes(root, base); err == nil {
			t.Errorf("base %q: changes %+v and no error", base, changes)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("git wrote %s", out)
	}
}

// The base of a deployment is the commit its last successful run built;
// when there is none, or history no longer holds it, every protocol ships.
func TestSinceDeployed(t *testing.T) {
	root := history(t)
	git(t, root, "checkout", "-q", "main")
	deployed := revParse(t, root, "HEAD")
	// A run whose deployment failed, then the push now: both changes count.
	edit("protocols/alpha/VERSION", "v1.0.1\n")(t, root)
	git(t, root, "commit", "-q", "-am", "failed run")
	edit("protocols/gamma/VERSION", "v3.0.1\n")(t, root)
	git(t, root, "commit", "-q", "-am", "this push")

	changes, all, _, err := SinceDeployed(root, deployed)
	if err != nil || all {
		t.Fatalf("SinceDeployed(ancestor) = all %v, %v", all, err)
	}
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(ByPath(repo, changes)); !reflect.DeepEqual(got, []string{"alpha", "gamma"}) {
		t.Errorf("since the last deployment: %v, want [alpha gamma]", got)
	}

	// A commit a force push replaced: still in the clone, not in HEAD's history.
	git(t, root, "checkout", "-q", "-b", "rewritten", deployed)
	edit("protocols/beta/VERSION", "v2.0.1\n")(t, root)
	git(t, root, "commit", "-q", "-am", "rewritten")
	replaced := revParse(t, root, "HEAD")
	git(t, root, "checkout", "-q", "main")

	for _, tc := range []struct{ name, deployed, reason string }{
		{"first push", "0000000000000000000000000000000000000000", "no commit was deployed yet"},
		{"no successful run", "", "no commit was deployed yet"},
		{"force push", replaced, "not in HEAD's history"},
		{"not in the clone", "1234567890123456789012345678901234567890", "not in this clone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, all, reason, err := SinceDeployed(root, tc.deployed)
			if err != nil || !all || !strings.Contains(reason, tc.reason) || changes != nil {
				t.Errorf("SinceDeployed(%q) = %v, all %v, %q, %v; want every protocol because %q", tc.deployed, changes, all, reason, err, tc.reason)
			}
		})
	}
	for _, bad := range []string{"--output=x", "main", "HEAD~1"} {
		if _, _, _, err := SinceDeployed(root, bad); err == nil {
			t.Errorf("SinceDeployed(%q): no error; only commit SHAs are accepted", bad)
		}
	}
}

func revParse(t *testing.T, root, rev string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "rev-parse", rev).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// undeclaredBazel answers as Bazel does for files no rule names: rdeps of
// such a label prints nothing, an ERROR line, and exits 3 (--keep_going).
func undeclaredBazel(t *testing.T) (bazel, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	bazel = filepath.Join(dir, "bazel")
	script := `#!/bin/sh
printf '%s\n' "$*" >> ` + log + `
echo "ERROR: no such target '//protocols/op-geth:go.mod': target 'go.mod' not declared in package 'protocols/op-geth'; however, a source file of this name exists." >&2
exit 3
`
	if err := os.WriteFile(bazel, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bazel, log
}

// A protocol whose own files changed is affected, whatever the query says:
// op-geth's go.mod and go.sum are read by MODULE.bazel only, so Bazel knows
// no target of them, and a deleted file is no target either (review
// finding 6).
func TestByQueryKeepsTheProtocolWhoseFilesChanged(t *testing.T) {
	root := history(t)
	writeFiles(t, root, map[string]string{"protocols/gamma/go.mod": "module example.com/gamma\n"})
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	bazel, _ := undeclaredBazel(t)
	var stderr strings.Builder
	got, err := ByQuery(bazel, repo, []Change{
		{Path: "protocols/gamma/go.mod"},
		{Path: "protocols/alpha/RUNNER", Deleted: true},
	}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names(got), []string{"alpha", "gamma"}) {
		t.Errorf("affected %v, want [alpha gamma]", names(got))
	}
	if !strings.Contains(stderr.String(), "no such target '//protocols/op-geth:go.mod'") {
		t.Errorf("bazel's ERROR line is not reported: %q", stderr.String())
	}
}

// Each label is one quoted word of the query: unquoted, `sys tem.conf`
// was two words and the query asked about neither file (hostile-inputs
// O172).
func TestByQueryQuotesLabels(t *testing.T) {
	root := history(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	bazel, log := fakeBazel(t, "", "")
	if _, err := ByQuery(bazel, repo, []Change{
		{Path: "protocols/gamma/sys tem.conf"},
		{Path: `protocols/beta/d"q.conf`},
		{Path: `protocols/beta/both"'.conf`},
	}, io.Discard); err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(log)
	want := `query --keep_going --output=package rdeps(//protocols/..., set("//protocols/gamma:sys tem.conf" '//protocols/beta:d"q.conf'))` + "\n"
	if string(calls) != want {
		t.Errorf("bazel calls:\n%s\nwant:\n%s", calls, want)
	}
}

// Bazel's graph decides what a change under tools/ or rules/ rebuilds; only
// the module files rebuild everything unasked.
func TestByQueryAsksAboutToolsAndRules(t *testing.T) {
	root := history(t)
	writeFiles(t, root, map[string]string{"tools/x/BUILD.bazel": "\n", "tools/x/x_test.go": "package x\n"})
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	bazel, log := fakeBazel(t, "", "protocols/beta\n")
	got, err := ByQuery(bazel, repo, []Change{{Path: "tools/x/x_test.go"}, {Path: "rules/deb.bzl"}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names(got), []string{"beta"}) {
		t.Errorf("affected %v, want [beta], the package that loads rules/deb.bzl", names(got))
	}
	calls, _ := os.ReadFile(log)
	want := `query --keep_going --output=package rdeps(//protocols/..., set("//tools/x:x_test.go"))` + "\n" +
		`query --keep_going --output=package --universe_scope=//protocols/... --order_output=no rbuildfiles("rules/deb.bzl")` + "\n"
	if string(calls) != want {
		t.Errorf("bazel calls:\n%s\nwant:\n%s", calls, want)
	}
	for _, file := range []string{"go.sum", ".bazelversion", "MODULE.bazel.lock"} {
		if got, err := ByQuery("/no/bazel", repo, []Change{{Path: file}}, io.Discard); err != nil || len(got) != 3 {
			t.Errorf("%s: %v, %v; want every protocol without asking", file, names(got), err)
		}
	}
}

// One entry per protocol and variant for promotion and release, and no
// matrix GitHub would cut short.
func TestPerVariantAndTheJobLimit(t *testing.T) {
	root := history(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	m := For(repo, repo.Protocols).PerVariant()
	var got []string
	for _, e := range m.Include {
		got = append(got, e.Protocol+" "+e.Target+" "+e.Runner)
	}
	want := []string{"alpha glibc self-hosted", "beta static ubuntu-latest", "beta glibc ubuntu-latest", "gamma glibc ubuntu-latest"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("per variant %v, want %v", got, want)
	}
	if err := m.Check(); err != nil {
		t.Error(err)
	}
	big := Matrix{Include: make([]Entry, MaxJobs+1)}
	if err := big.Check(); err == nil || !strings.Contains(err.Error(), "257 entries") {
		t.Errorf("a matrix of %d entries: %v", MaxJobs+1, err)
	}
	if err := (Matrix{Include: make([]Entry, MaxJobs)}).Check(); err != nil {
		t.Errorf("a matrix of %d entries: %v", MaxJobs, err)
	}
}
