package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/testrepo"
)

// checkWorkspace writes a repository with one protocol whose sources are
// laid out by the caller, and generates its BUILD file.
func checkWorkspace(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"protocols/geth/VERSION":      "v1.14.12\n",
		"protocols/geth/MANIFEST":     "/usr/local/bin/geth\n/usr/local/bin/clef\n/usr/local/share/geth/genesis.json\n",
		"protocols/geth/genesis.json": "{}\n",
	}
	for k, v := range files {
		base[k] = v
	}
	// geth here ships a data file and, in some tests, a binary from
	// elsewhere: forge check wants the platforms of such files stated.
	base["protocols/geth/BUILD.bazel"] = "# gazelle:forge_platforms linux/amd64 linux/arm64\n" + base["protocols/geth/BUILD.bazel"]
	for rel, content := range base {
		write(t, filepath.Join(root, rel), content)
	}
	testrepo.Bazel(t, root)
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	return root
}

func TestCheckPassesWhenEverySourceExists(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/VERSION":       "v1.17.10\n",
		"protocols/geth/BUILD.bazel":   "# gazelle:forge_source /usr/local/bin/geth @com_github_ethereum_go_ethereum//cmd/geth\n# gazelle:forge_source /usr/local/bin/clef //third_party/clef:bin\n",
		"third_party/clef/BUILD.bazel": "filegroup(\n    name = \"bin\",\n    srcs = [\"clef\"],\n    visibility = [\"//protocols:__subpackages__\"],\n)\n",
		"third_party/clef/clef":        "#!/bin/sh\n",
	})
	if code, stdout, stderr := runForge("check", "-repo_root", root); code != 0 {
		t.Errorf("check: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

func TestCheckReportsEveryUnresolvedSource(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/BUILD.bazel": "# gazelle:forge_source /usr/local/bin/geth @com_github_unknown//cmd/geth\n",
	})
	code, _, stderr := runForge("check", "-repo_root", root)
	want := []string{
		"protocols/geth/MANIFEST:1: /usr/local/bin/geth: source @com_github_unknown//cmd/geth is in repository @com_github_unknown, which MODULE.bazel does not create",
		"protocols/geth/MANIFEST:2: /usr/local/bin/clef: source //protocols/geth:clef does not exist: no target \"clef\" in protocols/geth/BUILD.bazel and no such file;",
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "genesis.json") {
		t.Errorf("a source file that exists was reported:\n%s", stderr)
	}
}

func TestCheckVerbosePrintsWhatTheLoadingPhaseCheckCovered(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/BUILD.bazel": "alias(\n    name = \"geth\",\n    actual = \"@com_github_ethereum_go_ethereum//cmd/geth\",\n)\n\nalias(\n    name = \"clef\",\n    actual = \"@com_github_ethereum_go_ethereum//cmd/evm\",\n)\n",
	})
	code, stdout, stderr := runForge("check", "-v", "-repo_root", root)
	if code != 0 {
		t.Fatalf("check -v: exit %d: %s", code, stderr)
	}
	var files, calls, attrs, labels, goPkgs, unverified int
	if _, err := fmt.Sscanf(stdout, "loading-phase check: %d files, %d rule calls, %d attributes, %d labels (%d into Go modules checked against their source, %d whose module is not downloaded)",
		&files, &calls, &attrs, &labels, &goPkgs, &unverified); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	// MODULE.bazel, the BUILD files of the root, geth, tools/forge and
	// tools/artifacttest/runner, and rules/ (two BUILD files, ten .bzl
	// files).
	if files != 17 || calls < 20 || attrs < calls || labels < 20 {
		t.Errorf("counts %q; want 17 files and every call, attribute and label of them", stdout)
	}
}

func TestCheckReportsStaleBuildFile(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/BUILD.bazel": "alias(\n    name = \"geth\",\n    actual = \"@com_github_ethereum_go_ethereum//cmd/geth\",\n)\n\nalias(\n    name = \"clef\",\n    actual = \"@com_github_ethereum_go_ethereum//cmd/evm\",\n)\n",
	})
	if code, _, stderr := runForge("check", "-repo_root", root); code != 0 {
		t.Fatalf("check before the change: exit %d: %s", code, stderr)
	}
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "v1.14.13\n")
	code, _, stderr := runForge("check", "-repo_root", root)
	want := "protocols/geth/BUILD.bazel: is not what gazelle generates from the protocol's files"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "protocols/geth/BUILD.bazel")); strings.Contains(string(data), "v1.14.13") {
		t.Errorf("check rewrote the BUILD file")
	}
}

func TestCheckReportsMetadataErrors(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/geth/TARGETS"), "xenial\n")
	code, _, stderr := runForge("check", "-repo_root", root)
	want := "protocols/geth/TARGETS:1: unknown variant \"xenial\"; known variants: static, glibc, bionic, focal, jammy\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
}

// protocols/<name> arguments check those protocols and the root files
// they use, and nothing of the others: a broken protocol elsewhere fails
// a check of the whole repository, not theirs.
func TestCheckNamedProtocols(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/BUILD.bazel": "alias(\n    name = \"geth\",\n    actual = \"@com_github_ethereum_go_ethereum//cmd/geth\",\n)\n\nalias(\n    name = \"clef\",\n    actual = \"@com_github_ethereum_go_ethereum//cmd/evm\",\n)\n",
	})
	write(t, filepath.Join(root, "protocols/btcd/MANIFEST"), "/usr/local/bin/btcd\n")
	write(t, filepath.Join(root, "protocols/btcd/btcd"), "#!/bin/sh\n")
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	// btcd breaks three ways: its metadata, its BUILD file and staleness.
	write(t, filepath.Join(root, "protocols/btcd/TARGETS"), "xenial\n")
	build := filepath.Join(root, "protocols/btcd/BUILD.bazel")
	data, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	write(t, build, strings.Replace(string(data), "pkg_tar(", "pkg_tarr(", 1))
	write(t, filepath.Join(root, "protocols/btcd/VERSION"), "v0.26.3\n")

	if code, stdout, stderr := runForge("check", "-repo_root", root, "protocols/geth"); code != 0 {
		t.Errorf("check protocols/geth: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if code, _, stderr := runForge("check", "-repo_root", root, filepath.Join(root, "protocols/geth"), "protocols/btcd"); code != 1 || !strings.Contains(stderr, "protocols/btcd/TARGETS:1") {
		t.Errorf("check protocols/geth protocols/btcd: exit %d, stderr %q; want btcd's errors", code, stderr)
	}
	if code, _, stderr := runForge("check", "-repo_root", root); code != 1 || !strings.Contains(stderr, "protocols/btcd/TARGETS:1") {
		t.Errorf("check: exit %d, stderr %q; want btcd's errors", code, stderr)
	}
	// A protocol with a mistake of its own is reported when named.
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "v1.14.13\n")
	want := "protocols/geth/BUILD.bazel: is not what gazelle generates"
	if code, _, stderr := runForge("check", "-repo_root", root, "protocols/geth"); code != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "btcd") {
		t.Errorf("check protocols/geth after a change: exit %d, stderr %q; want only %q", code, stderr, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tools"}, "forge check: tools is not a protocol directory: name protocols/<name>\n"},
		{[]string{"protocols/nope"}, "forge check: protocols/nope is not a protocol directory: protocols/nope has no such directory\n"},
		{[]string{"protocols/geth/VERSION"}, "forge check: protocols/geth/VERSION is not a protocol directory: name protocols/<name>\n"},
	} {
		code, _, stderr := runForge(append([]string{"check", "-repo_root", root}, tc.args...)...)
		if code != 1 || stderr != tc.want {
			t.Errorf("check %v: exit %d, stderr %q; want 1, %q", tc.args, code, stderr, tc.want)
		}
	}
}

// Two protocols whose packages install the same path must declare each
// other with forge_conflicts, or dpkg fails halfway through installing the
// second; the pkg_deb of each then declares Conflicts.
func TestCheckSharedPathsNeedConflicts(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/BUILD.bazel": "# gazelle:forge_source /usr/local/bin/geth @com_github_ethereum_go_ethereum//cmd/geth\n# gazelle:forge_source /usr/local/bin/clef @com_github_ethereum_go_ethereum//cmd/clef\n",
	})
	write(t, filepath.Join(root, "protocols/op-geth/MANIFEST"), "/usr/local/bin/geth\n")
	write(t, filepath.Join(root, "protocols/op-geth/BUILD.bazel"), "# gazelle:forge_source /usr/local/bin/geth @com_github_ethereum_go_ethereum//cmd/geth\n")
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	code, _, stderr := runForge("check", "-repo_root", root)
	for _, want := range []string{
		"protocols/geth/MANIFEST:1: /usr/local/bin/geth: op-geth's package installs /usr/local/bin/geth too; declare `# gazelle:forge_conflicts op-geth` in geth's BUILD file",
		"protocols/op-geth/MANIFEST:1: /usr/local/bin/geth: geth's package installs /usr/local/bin/geth too; declare `# gazelle:forge_conflicts geth` in op-geth's BUILD file",
	} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("check: exit %d, stderr:\n%s\nwant a line:\n%s", code, stderr, want)
		}
	}
	appendFile(t, filepath.Join(root, "protocols/geth/BUILD.bazel"), "# gazelle:forge_conflicts op-geth\n")
	appendFile(t, filepath.Join(root, "protocols/op-geth/BUILD.bazel"), "# gazelle:forge_conflicts geth\n")
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	if _, _, stderr := runForge("check", "-repo_root", root); strings.Contains(stderr, "forge_conflicts") {
		t.Errorf("check still asks for forge_conflicts:\n%s", stderr)
	}
	data, err := os.ReadFile(filepath.Join(root, "protocols/op-geth/BUILD.bazel"))
	if err != nil || !strings.Contains(string(data), `conflicts = ["geth"],`) {
		t.Errorf("op-geth's pkg_deb declares no conflict with geth:\n%s", data)
	}
}

func appendFile(t *testing.T, name, content string) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	write(t, name, string(data)+content)
}

// A source rule that fixes its platform would give every platform the same
// binary, one that asks for cgo has no C toolchain on the platforms forge
// builds for, and files rules_go does not build need their platforms
// stated: each is an error at the entry's MANIFEST line.
func TestCheckRefusesSourcesForgeCannotBuildPerPlatform(t *testing.T) {
	root := checkWorkspace(t, nil)
	build := "load(\"@rules_go//go:def.bzl\", \"go_binary\", \"go_cross_binary\")\n\n" +
		"go_cross_binary(\n    name = \"geth\",\n    platform = \"@rules_go//go/toolchain:linux_amd64\",\n    target = \"@com_github_ethereum_go_ethereum//cmd/geth\",\n)\n\n" +
		"go_binary(\n    name = \"clef\",\n    embed = [\"@com_github_ethereum_go_ethereum//cmd/clef:clef_lib\"],\n    race = \"on\",\n)\n"
	write(t, filepath.Join(root, "protocols/geth/BUILD.bazel"), build)
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "v1.17.10\n")
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	code, _, stderr := runForge("check", "-repo_root", root)
	want := []string{
		"protocols/geth/MANIFEST:1: /usr/local/bin/geth: its source :geth sets platform, which fixes the platform it is built for: forge builds it for each of linux/amd64, linux/arm64 with a platform transition",
		"protocols/geth/MANIFEST:2: /usr/local/bin/clef: its source :clef sets race = \"on\", which asks for cgo: forge builds it for each of linux/amd64, linux/arm64 on rules_go's linux_<arch> platforms, which have no cgo",
		"protocols/geth/MANIFEST:3: /usr/local/share/geth/genesis.json: its source :genesis.json is not built by rules_go from a module go.mod pins, so forge cannot tell which platforms its files are for: state them in geth's BUILD file with `# gazelle:forge_platforms linux/amd64`",
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

// In a cgo protocol a go_binary with static "on" would be linked with
// -static by rules_go, which neither the .deb's libc6 dependency nor
// gosource's builds assume: an error at the entry's MANIFEST line.
func TestCheckRefusesStaticCgoBinary(t *testing.T) {
	// Only the forge language generates under protocols/, as in the
	// repository: gazelle's Go language would delete the one go_binary.
	root := checkWorkspace(t, map[string]string{"protocols/BUILD.bazel": "# gazelle:lang forge\n"})
	build := "load(\"@rules_go//go:def.bzl\", \"go_binary\")\n\n" +
		"# gazelle:forge_cgo true\n# gazelle:forge_platforms linux/amd64 linux/arm64\n" +
		"# gazelle:forge_source /usr/local/bin/geth @com_github_ethereum_go_ethereum//cmd/geth\n\n" +
		"go_binary(\n    name = \"clef\",\n    embed = [\"@com_github_ethereum_go_ethereum//cmd/clef:clef_lib\"],\n    pure = \"off\",\n    static = \"on\",\n)\n"
	write(t, filepath.Join(root, "protocols/geth/BUILD.bazel"), build)
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "v1.17.10\n")
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	code, _, stderr := runForge("check", "-repo_root", root)
	want := "protocols/geth/MANIFEST:2: /usr/local/bin/clef: its source :clef sets static = \"on\" in a cgo protocol"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want 1 and %q in:\n%s", code, want, stderr)
	}
}
