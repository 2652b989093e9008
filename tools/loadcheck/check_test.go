package loadcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/syntax"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// repoRoot is the repository this package sits in.
const repoRoot = "../.."

func TestRepositoryLoads(t *testing.T) {
	stats, err := Run(repoRoot)
	if err != nil {
		t.Fatalf("the repository does not pass the loading-phase check:\n%v", err)
	}
	if stats.Files < 20 || stats.RuleCalls < 100 || stats.Attributes < 400 || stats.Labels < 400 {
		t.Errorf("checked less than the repository holds: %v", stats)
	}
	if stats.GoUnverified > 0 {
		t.Errorf("%d labels into Go modules were not checked against their source: run `go mod download` (tools/test.sh does)", stats.GoUnverified)
	}
}

// A macro of ours runs for real: what it instantiates is checked, and a
// mistake inside it is reported in the .bzl file.
func TestMacroIsEvaluatedDownToTheRulesItCalls(t *testing.T) {
	root := copyRepo(t)
	macro := `"""A test macro."""

load("@rules_pkg//pkg:tar.bzl", "pkg_tar")

def protocol_bundle(name, srcs, **kwargs):
    native.filegroup(name = name + "_srcs", srcs = srcs)
    pkg_tar(
        name = name,
        srcs = [":" + name + "_srcs"],
        compresion_level = 9,
        **kwargs
    )
`
	writeFile(t, root, "rules/bundle.bzl", macro)
	writeFile(t, root, "protocols/BUILD.bazel", `load("//rules:bundle.bzl", "protocol_bundle")

# gazelle:lang forge

protocol_bundle(
    name = "bundle",
    srcs = ["//protocols/btcd:files_btcd_linux_amd64", "missing.txt"],
    mode = 644,
)
`)
	_, err := Run(root)
	for _, want := range []string{
		`rules/bundle.bzl:10: pkg_tar (rules_pkg 1.3.0) has no attribute "compresion_level" (did you mean "compression_level"?)`,
		`protocols/BUILD.bazel:8: pkg_tar: attribute "mode" must be a string, but it is a int`,
		`protocols/BUILD.bazel:7: srcs: missing.txt names nothing: no target "missing.txt" in protocols/BUILD.bazel and no such file`,
		`protocols/BUILD.bazel:7: srcs: //protocols/btcd:files_btcd_linux_amd64 is not visible to package //protocols`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mutation injects one mistake into a copy of the repository. The error
// must name wantFile (default: file) at the line holding wantLine (default:
// new) after the change, and contain want.
type mutation struct {
	name, file, old, new string
	wantFile, wantLine   string
	want                 string
}

var mutations = []mutation{
	// A generated BUILD file.
	{name: "generated: load of a symbol the ruleset does not export", file: "protocols/btcd/BUILD.bazel",
		old: `"oci_load", "oci_push")`, new: `"oci_load", "oci_pushh")`, wantLine: `"oci_pushh"`,
		want: `does not export "oci_pushh" (did you mean "oci_push"?)`},
	{name: "generated: load of a file of ours that does not exist", file: "protocols/btcd/BUILD.bazel",
		old: `load("//rules:deb.bzl", "deb_files")`, new: `load("//rules:debs.bzl", "deb_files")`,
		want: `load("//rules:debs.bzl"): file rules/debs.bzl does not exist`},
	{name: "generated: attribute the rule does not define", file: "protocols/btcd/BUILD.bazel",
		old: `    user = "65532:65532",`, new: `    usr = "65532:65532",`,
		want: `oci_image (rules_oci 2.3.2) has no attribute "usr" (did you mean "user"?)`},
	{name: "generated: value of the wrong type", file: "protocols/btcd/BUILD.bazel",
		old: "    mode = \"0755\",\n    owner", new: "    mode = 755,\n    owner", wantLine: "mode = 755",
		want: `pkg_tar: attribute "mode" must be a string, but it is a int`},
	{name: "generated: missing mandatory attribute", file: "protocols/btcd/BUILD.bazel",
		old: "    maintainer = \"protocol-forge maintainers <maintainers@protocol-forge.invalid>\",\n", new: "", wantLine: "pkg_deb(",
		want: `pkg_deb (rules_pkg 1.3.0): missing mandatory attribute "maintainer"`},
	{name: "generated: label naming no target or file", file: "protocols/btcd/BUILD.bazel",
		old: `    tars = [":layer_static_linux_arm64"],`, new: `    tars = [":layer_statik_linux_arm64"],`,
		want: `:layer_statik_linux_arm64 names nothing: no target "layer_statik_linux_arm64" in protocols/btcd/BUILD.bazel and no such file (did you mean "layer_static_linux_arm64"?)`},
	{name: "generated: label in a repository MODULE.bazel does not create", file: "protocols/btcd/BUILD.bazel",
		old: `"@distroless_static_linux_amd64"`, new: `"@distroless_statik_linux_amd64"`,
		want: `repository @distroless_statik_linux_amd64 is not created by MODULE.bazel`},
	{name: "generated: duplicate target name", file: "protocols/btcd/BUILD.bazel",
		old: `    name = "load_static_linux_amd64",`, new: `    name = "image_static_linux_amd64",`, wantLine: "oci_load(",
		want: `duplicate target name "image_static_linux_amd64" in package //protocols/btcd`},
	{name: "generated: dependency on a private target", file: "protocols/btcd/BUILD.bazel",
		old: `    src = "@com_github_btcsuite_btcd//:btcd",`, new: `    src = "//tools/forge:forge_lib",`,
		want: `//tools/forge:forge_lib is not visible to package //protocols/btcd (its visibility is [//visibility:private])`},
	{name: "generated: label into a ruleset package the facts do not list", file: "protocols/btcd/BUILD.bazel",
		old: `"@rules_go//go/toolchain:linux_amd64"`, new: `"@rules_go//go/toolchain:linux_amd46"`,
		want: `rules_go 0.64.2 has no public target //go/toolchain:linux_amd46`},

	// Hand-written BUILD files.
	{name: "hand-written: label to a package the ruleset does not have", file: "BUILD.bazel",
		old: `        "@gazelle//language/go",`, new: `        "@gazelle//language/goo",`,
		want: `the API facts of gazelle 0.53.0 do not list package //language/goo`},
	{name: "hand-written: label list given a string", file: "tools/forge/BUILD.bazel",
		old: `    embed = [":forge_lib"],`, new: `    embed = ":forge_lib",`,
		want: `go_binary: attribute "embed" must be a label list, but it is a string`},
	{name: "hand-written: visibility narrowed under a dependant", file: "rules/private/BUILD.bazel",
		old:      "    name = \"deb_files\",\n    srcs = [\"deb_files.bzl\"],\n    visibility = [\"//rules:__pkg__\"],",
		new:      "    name = \"deb_files\",\n    srcs = [\"deb_files.bzl\"],\n    visibility = [\"//tools:__pkg__\"],",
		wantFile: "rules/BUILD.bazel", wantLine: `"//rules/private:deb_files"`,
		want: `//rules/private:deb_files is not visible to package //rules`},
	{name: "hand-written: Go package the module does not have", file: "protocols/btcd/BUILD.bazel",
		old: `"@com_github_btcsuite_btcd//cmd/btcctl"`, new: `"@com_github_btcsuite_btcd//cmd/btcctrl"`,
		want: `has no Go package github.com/btcsuite/btcd/cmd/btcctrl`},
	{name: "hand-written: function definition in a BUILD file", file: "rules/BUILD.bazel",
		old: "# Where `bazel run", new: "def helper():\n    pass\n\n# Where `bazel run", wantLine: "def helper",
		want: `functions may not be defined in BUILD files`},

	// Our .bzl files, evaluated for real.
	{name: "bzl: rule attribute renamed under its callers", file: "rules/private/image_repository.bzl",
		old: `        "image": attr.string(`, new: `        "img": attr.string(`,
		wantFile: "protocols/btcd/BUILD.bazel", wantLine: `    image = "btcd",`,
		want: `image_repository (//rules/private) has no attribute "image"`},
	{name: "bzl: implicit dependency that does not exist", file: "rules/private/deb_files.bzl",
		old: `default = "//tools/forge",`, new: `default = "//tools/forgery",`,
		want: `package //tools/forgery does not exist`},
	{name: "bzl: load of a name the file does not export", file: "rules/image.bzl",
		old: `_image_repository = "image_repository")`, new: `_image_repository = "image_repo")`, wantLine: `"image_repo"`,
		want: `//rules/private:image_repository.bzl does not export "image_repo"`},
	{name: "bzl: load of a file that does not exist", file: "rules/deb.bzl",
		old: `load("//rules/private:deb_files.bzl"`, new: `load("//rules/private:deb_file.bzl"`,
		want: `file rules/private/deb_file.bzl does not exist`},
	{name: "bzl: load visibility", file: "rules/private/publish.bzl",
		old: `visibility("//rules/...")`, new: `visibility("//protocols/...")`,
		wantFile: "rules/publish.bzl", wantLine: `load("//rules/private:publish.bzl"`,
		want: `//rules/private:publish.bzl is not visible to package //rules`},
	{name: "bzl: undefined name", file: "rules/private/publish.bzl",
		old: `return [DefaultInfo(executable`, new: `return [DefaultInf(executable`,
		want: `undefined: DefaultInf`},

	// MODULE.bazel.
	{name: "module: version without API facts", file: "MODULE.bazel",
		old: `bazel_dep(name = "rules_oci", version = "2.3.2")`, new: `bazel_dep(name = "rules_oci", version = "2.3.3")`,
		want: `no API facts for rules_oci 2.3.3`},
	{name: "module: use_repo of a repository the extension does not create", file: "MODULE.bazel",
		old: `"distroless_cc_linux_amd64",`, new: `"distroless_cc_linux_arm64",`,
		want: `use_repo: extension oci creates no repository "distroless_cc_linux_arm64"`},
	{name: "module: tag attribute the extension does not define", file: "MODULE.bazel",
		old: `    digest = "sha256:3f2b`, new: `    digets = "sha256:3f2b`,
		want: `oci.pull has no attribute "digets"`},
	{name: "module: go_deps repository no longer used", file: "MODULE.bazel",
		old: "    \"com_github_btcsuite_btcd\",\n", new: "",
		wantFile: "protocols/btcd/BUILD.bazel", wantLine: `"@com_github_btcsuite_btcd//:btcd"`,
		want: `repository @com_github_btcsuite_btcd is not created by MODULE.bazel`},
	{name: "module: registered toolchain the repository does not declare", file: "MODULE.bazel",
		old: `"@zig_sdk//toolchain:linux_arm64_gnu.2.36"`, new: `"@zig_sdk//toolchain:linux_arm64_glibc.2.36"`,
		want: `register_toolchains: @zig_sdk has no target //toolchain:linux_arm64_glibc.2.36`},
	{name: "module: registered toolchain of a repository no use_repo names", file: "MODULE.bazel",
		old: `use_repo(zig_toolchains, "zig_sdk")`, new: `use_repo(zig_toolchains)`,
		wantLine: `"@zig_sdk//toolchain:linux_amd64_gnu.2.36"`,
		want:     `register_toolchains: repository @zig_sdk is not created by MODULE.bazel`},
	{name: "module: isolated usage without the flag", file: ".bazelrc",
		old: "common --experimental_isolated_extension_usages\n", new: "",
		wantFile: "MODULE.bazel", wantLine: `isolate = True`,
		want: `needs --experimental_isolated_extension_usages`},
	// The generated tests and the rules behind them.
	{name: "generated: a value the attribute does not take", file: "protocols/btcd/BUILD.bazel",
		old: `    driver = "tar",`, new: `    driver = "tarr",`,
		want: `driver = "tarr" is not one of docker, tar, host`},
	{name: "generated: a newline write_file does not know", file: "protocols/btcd/BUILD.bazel",
		old: `    newline = "unix",`, new: `    newline = "unixx",`,
		want: `newline = "unixx" is not one of unix, windows, auto`},
	{name: "ours: a configuration Bazel does not know", file: "rules/private/artifact_test.bzl",
		old: `    cfg = "target",`, new: `    cfg = "targett",`, wantLine: "_RUNNER = attr.label(",
		want: `cfg = "targett" is neither`},
	{name: "ours: a test rule that is not a test", file: "rules/private/artifact_test.bzl",
		old: "    test = True,\n    attrs = {\n        \"entrypoint\"", new: "    test = False,\n    attrs = {\n        \"entrypoint\"",
		wantLine: "layer_run_test = rule(",
		want:     `rule layer_run_test: test = false, but a rule's name ends in _test exactly when it is a test rule`},
}

func TestMutationsAreCaught(t *testing.T) {
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			root := copyRepo(t)
			file := filepath.Join(root, m.file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(data), m.old) < 1 {
				t.Fatalf("%s does not contain %q: update the mutation", m.file, m.old)
			}
			mutated := strings.Replace(string(data), m.old, m.new, 1)
			if err := os.WriteFile(file, []byte(mutated), 0o644); err != nil {
				t.Fatal(err)
			}
			wantFile, wantLine := m.wantFile, m.wantLine
			if wantFile == "" {
				wantFile = m.file
			}
			if wantLine == "" {
				wantLine = m.new
			}
			line := lineOf(t, filepath.Join(root, wantFile), wantLine)
			_, err = Run(root)
			var list metadata.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Run = %v, want a list of problems", err)
			}
			for _, e := range list {
				if e.Path == wantFile && e.Line == line && strings.Contains(e.Msg, m.want) {
					return
				}
			}
			t.Errorf("no error %s:%d: ...%s...; got:\n%v", wantFile, line, m.want, err)
		})
	}
}

// lineOf returns the line of file where text first appears.
func lineOf(t *testing.T, file, text string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), strings.Split(text, "\n")[0])
	if i < 0 {
		t.Fatalf("%s does not contain %q", file, text)
	}
	return strings.Count(string(data[:i]), "\n") + 1
}

// copyRepo copies the repository's files, not its .git, to a temporary
// directory.
func copyRepo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == ".git" || strings.HasPrefix(d.Name(), "bazel-") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestEveryPinnedVersionHasFacts(t *testing.T) {
	facts, err := LoadFacts()
	if err != nil {
		t.Fatal(err)
	}
	pins, err := Pins(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) < 8 {
		t.Fatalf("Pins found %v; want Bazel and every bazel_dep", pins)
	}
	for _, pin := range pins {
		if facts[pin] == nil {
			t.Errorf("MODULE.bazel or .bazelversion pins %s, which has no facts file tools/loadcheck/facts/%s.star", pin, pin)
		}
	}
	for key, rs := range facts {
		if rs.Source == "" {
			t.Errorf("%s does not say which source its facts were read from", key)
		}
	}
}

func ExampleStats() {
	fmt.Println(Stats{Files: 2, RuleCalls: 3, Attributes: 4, Labels: 5, GoPackages: 1})
	// Output: loading-phase check: 2 files, 3 rule calls, 4 attributes, 5 labels (1 into Go modules checked against their source, 0 whose module is not downloaded)
}

// A run that takes every BUILD file's evaluation from the cache finds what
// a cold run finds, and a change to any input of a file's evaluation (the
// file, a .bzl file it loads, a directory it globs, a file it exports)
// makes the next run evaluate it again.
func TestCacheReplaysAndInvalidates(t *testing.T) {
	root := copyRepo(t)
	cacheDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "demo/data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, root, "demo/BUILD.bazel", "exports_files([\"x.txt\"])\n\nfilegroup(\n    name = \"data\",\n    srcs = glob([\"data/*\"]),\n)\n")
	writeFile(t, root, "demo/x.txt", "x\n")
	writeFile(t, root, "demo/data/a.txt", "a\n")
	var replayed, packages int
	run := func(cached bool) (Stats, string) {
		t.Helper()
		opts := Options{}
		if cached {
			opts.CacheDir = cacheDir
		}
		res, err := RunWith(root, opts)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if cached {
			replayed, packages = res.c.replayed, len(res.c.evaluated())
		}
		return res.Stats, msg
	}
	// check compares two cached runs with a cold one; the first of them
	// evaluates again the packages the step changed inputs of.
	check := func(step string, wantEvaluated int) {
		t.Helper()
		coldStats, coldErr := run(false)
		for i := 0; i < 2; i++ {
			stats, err := run(true)
			if stats != coldStats || err != coldErr {
				t.Errorf("%s, cached run %d: %v\n%s\nwant (as a cold run) %v\n%s", step, i+1, stats, err, coldStats, coldErr)
			}
			want := 0
			if i == 0 {
				want = wantEvaluated
			}
			if wantEvaluated >= 0 && packages-replayed != want {
				t.Errorf("%s, cached run %d: %d of %d packages evaluated, want %d", step, i+1, packages-replayed, packages, want)
			}
		}
	}
	check("first run", -1)
	protocols, err := filepath.Glob(filepath.Join(root, "protocols/*/BUILD.bazel"))
	if err != nil || len(protocols) < 2 {
		t.Fatalf("protocols: %v %v", protocols, err)
	}
	for _, m := range []struct {
		step, file, old, new string
		evaluated            int
	}{
		{"BUILD file", "protocols/btcd/BUILD.bazel", `    user = "65532:65532",`, `    usr = "65532:65532",`, 1},
		// Every protocol loads //rules:image.bzl, which loads it.
		{"loaded .bzl file", "rules/private/image_repository.bzl", `        "image": attr.string(`, `        "img": attr.string(`, len(protocols)},
		{"loaded .bzl file fixed", "rules/private/image_repository.bzl", `        "img": attr.string(`, `        "image": attr.string(`, len(protocols)},
		{"BUILD file fixed", "protocols/btcd/BUILD.bazel", `    usr = "65532:65532",`, `    user = "65532:65532",`, 1},
	} {
		file := filepath.Join(root, m.file)
		data, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(data), m.old) {
			t.Fatalf("%s does not contain %q", m.file, m.old)
		}
		writeFile(t, root, m.file, strings.Replace(string(data), m.old, m.new, 1))
		check(m.step, m.evaluated)
	}
	// Inputs that are not the evaluated files themselves.
	if err := os.Remove(filepath.Join(root, "demo/data/a.txt")); err != nil {
		t.Fatal(err)
	}
	check("globbed directory emptied", 1)
	if _, err := run(true); !strings.Contains(err, "demo/BUILD.bazel:5: glob") {
		t.Errorf("an empty glob was not reported after its directory changed:\n%s", err)
	}
	if err := os.Remove(filepath.Join(root, "demo/x.txt")); err != nil {
		t.Fatal(err)
	}
	check("exported file deleted", 1)
	if _, err := run(true); !strings.Contains(err, "exports_files: x.txt does not exist") {
		t.Errorf("a deleted exported file was not reported:\n%s", err)
	}
}

// A run limited to some packages evaluates those, the .bzl files they
// load and the packages their labels name, and no other: a broken package
// elsewhere does not fail it.
func TestPackagesLimitTheRun(t *testing.T) {
	root := copyRepo(t)
	writeFile(t, root, "tools/forge/BUILD.bazel", "this is not Starlark(\n")
	writeFile(t, root, "protocols/geth/BUILD.bazel", "filegroup(\n    name = \"x\",\n    srcs = [\"//protocols/btcd:btcdd\"],\n)\n")
	res, err := RunWith(root, Options{Packages: []string{"", "protocols", "protocols/geth"}})
	if err == nil || !strings.Contains(err.Error(), `protocols/geth/BUILD.bazel:3: srcs: //protocols/btcd:btcdd names nothing`) {
		t.Errorf("the checked package's mistake is not reported:\n%v", err)
	}
	if err != nil && strings.Contains(err.Error(), "tools/forge") {
		t.Errorf("a package outside the run was evaluated:\n%v", err)
	}
	var paths []string
	for _, p := range res.c.evaluated() {
		paths = append(paths, p.path)
	}
	// The root's labels name //tools/gazelle/forge; geth's name btcd.
	want := []string{"", "protocols", "protocols/btcd", "protocols/geth", "tools/gazelle/forge"}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("evaluated %q, want %q", paths, want)
	}
}

// BuildFileParsed gets every BUILD file a run parses, once, with its
// content and tree; a run that takes every package from the cache parses
// none.
func TestBuildFileParsed(t *testing.T) {
	root := copyRepo(t)
	parsed := map[string]int{}
	opts := Options{CacheDir: t.TempDir(), BuildFileParsed: func(pkg, file string, src []byte, f *syntax.File) {
		parsed[pkg]++
		data, err := os.ReadFile(file)
		if err != nil || string(data) != string(src) || f.Path != file || filepath.Dir(file) != filepath.Join(root, filepath.FromSlash(pkg)) {
			t.Errorf("package %q: given %s (tree of %s) and content that is not the file's", pkg, file, f.Path)
		}
	}}
	res, err := RunWith(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	evaluated := res.c.evaluated()
	if len(parsed) != len(evaluated) || len(evaluated) < 20 {
		t.Errorf("%d BUILD files given, %d packages evaluated", len(parsed), len(evaluated))
	}
	for _, p := range evaluated {
		if parsed[p.path] != 1 {
			t.Errorf("package %q given %d times", p.path, parsed[p.path])
		}
	}
	clear(parsed)
	if _, err := RunWith(root, opts); err != nil || len(parsed) != 0 {
		t.Errorf("a run from the cache gave %d BUILD files (%v)", len(parsed), err)
	}
}
