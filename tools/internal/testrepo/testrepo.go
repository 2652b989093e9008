// Package testrepo gives test workspaces the Bazel setup of the real
// repository, so that `forge check`, which loads every Starlark file as
// Bazel would, can pass on a workspace holding only a test's protocols.
package testrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/loadcheck"
)

// Bazel writes into root what a protocol-forge workspace has besides its
// protocols: .bazelversion, .bazelrc and rules/ copied from the real
// repository; a MODULE.bazel pinning the same bazel_deps, base images and
// Go SDK, whose go_deps usage brings in every direct requirement and tool
// module of root's go.mod (the real go.mod is copied when root has none); a root BUILD file
// exporting itself to the protocols, when root has none; and stand-ins
// for //tools/forge and //tools/artifacttest/runner, which rules/ runs.
func Bazel(t testing.TB, root string) {
	t.Helper()
	real := corpus.RepoRoot(t)
	copyFile(t, real, root, ".bazelversion")
	copyFile(t, real, root, ".bazelrc")
	if err := os.CopyFS(filepath.Join(root, "rules"), os.DirFS(filepath.Join(real, "rules"))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		copyFile(t, real, root, "go.mod")
		copyFile(t, real, root, "go.sum")
	}
	write(t, root, "MODULE.bazel", module(t, real, root))
	if _, err := os.Stat(filepath.Join(root, "BUILD.bazel")); err != nil {
		write(t, root, "BUILD.bazel", "exports_files(\n    [\"BUILD.bazel\"],\n    visibility = [\"//protocols:__subpackages__\"],\n)\n")
	}
	write(t, root, "tools/forge/BUILD.bazel", "# Stands in for the forge binary that rules/ runs.\nfilegroup(\n    name = \"forge\",\n    visibility = [\"//visibility:public\"],\n)\n")
	write(t, root, "tools/artifacttest/runner/BUILD.bazel", "# Stands in for the test runner that rules/ runs.\nfilegroup(\n    name = \"runner\",\n    visibility = [\"//visibility:public\"],\n)\n")
}

func module(t testing.TB, real, root string) string {
	t.Helper()
	pins, err := loadcheck.Pins(real)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("module(name = \"protocol_forge\")\n\n")
	for _, pin := range pins[1:] { // pins[0] is Bazel itself
		name, version, _ := strings.Cut(pin, "@")
		fmt.Fprintf(&b, "bazel_dep(name = %q, version = %q)\n", name, version)
	}
	b.WriteString("\ngo_sdk = use_extension(\"@rules_go//go:extensions.bzl\", \"go_sdk\")\ngo_sdk.from_file(go_mod = \"//:go.mod\")\n\n")
	b.WriteString("go_deps = use_extension(\"@gazelle//:extensions.bzl\", \"go_deps\")\ngo_deps.from_file(go_mod = \"//:go.mod\")\n")
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Protocol binaries are go.mod tools, whose modules go mod tidy may
	// mark indirect; they are used directly all the same.
	isTool := func(modPath string) bool {
		for _, tool := range mf.Tool {
			if tool.Path == modPath || strings.HasPrefix(tool.Path, modPath+"/") {
				return true
			}
		}
		return false
	}
	var repos []string
	for _, r := range mf.Require {
		if !r.Indirect || isTool(r.Mod.Path) {
			repos = append(repos, fmt.Sprintf("%q", gosource.RepoName(r.Mod.Path)))
		}
	}
	sort.Strings(repos)
	if len(repos) > 0 {
		fmt.Fprintf(&b, "use_repo(go_deps, %s)\n", strings.Join(repos, ", "))
	}
	realModule, err := os.ReadFile(filepath.Join(real, "MODULE.bazel"))
	if err != nil {
		t.Fatal(err)
	}
	// The real root usage's gazelle overrides of the modules this go.mod
	// requires: without them go_deps would generate BUILD files the
	// external closure check rejects (go-bitfield's, for a geth).
	required := map[string]bool{}
	for _, r := range mf.Require {
		required[r.Mod.Path] = true
	}
	for _, m := range rootOverride.FindAllStringSubmatch(string(realModule), -1) {
		if required[m[2]] {
			b.WriteString("\n" + m[1])
		}
	}
	// The base images, as the real MODULE.bazel pins them.
	i := strings.Index(string(realModule), "oci = use_extension(")
	if i < 0 {
		t.Fatal("the real MODULE.bazel has no oci usage")
	}
	b.WriteString("\n" + string(realModule[i:]))
	return b.String()
}

// rootOverride matches a gazelle_override of the root go_deps usage in
// MODULE.bazel as buildifier formats it, with the module's path.
var rootOverride = regexp.MustCompile(`(?ms)^(go_deps\.gazelle_override\(\n.*?    path = "([^"]+)",\n\)\n)`)

func copyFile(t testing.TB, from, to, rel string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(from, rel))
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, rel, string(data))
}

func write(t testing.TB, root, rel, content string) {
	t.Helper()
	file := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
