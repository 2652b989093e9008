package gosource

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bazelbuild/bazel-gazelle/label"

	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func TestRepoName(t *testing.T) {
	for path, want := range map[string]string{
		"github.com/ethereum/go-ethereum":  "com_github_ethereum_go_ethereum",
		"github.com/btcsuite/btcd":         "com_github_btcsuite_btcd",
		"cosmossdk.io/tools/cosmovisor":    "io_cosmossdk_tools_cosmovisor",
		"github.com/Masterminds/semver/v3": "com_github_masterminds_semver_v3",
		"go.starlark.net":                  "net_starlark_go",
	} {
		if got := RepoName(path); got != want {
			t.Errorf("RepoName(%q) = %q, want %q", path, got, want)
		}
	}
}

func workspace(t *testing.T, version string) *spec.Repo {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                     "module example.com/x\n\ngo 1.26\n\nrequire (\n\tgithub.com/btcsuite/btcd v0.26.2\n\tgithub.com/ethereum/go-ethereum v1.17.10\n)\n",
		"protocols/btcd/VERSION":     version + "\n",
		"protocols/btcd/MANIFEST":    "/usr/local/bin/btcctl\n/usr/local/bin/btcd\n/usr/local/share/btcd/sample.conf\n",
		"protocols/btcd/SERVICE":     "/usr/local/bin/btcd\n",
		"protocols/btcd/sample.conf": "\n",
		"protocols/btcd/BUILD.bazel": `go_cross_binary(
    name = "btcd",
    platform = "@rules_go//go/toolchain:linux_amd64",
    target = "@com_github_btcsuite_btcd//:btcd",
)

go_binary(
    name = "btcctl",
    embed = ["@com_github_btcsuite_btcd//cmd/btcctl:btcctl_lib"],
    gc_linkopts = ["-X", "main.pattern=[a-z]{2,127}", "-X", "main.banner=btcd node"],
    x_defs = {"main.version": "v0.26.2", "main.commit": "abc"},
)
`,
	}
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func TestFindMapsEntriesToPackages(t *testing.T) {
	bins, err := Find(workspace(t, "v0.26.2"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bins {
		got = append(got, b.Entry.Path+" "+b.Package+"@"+b.Version+" cgo="+map[bool]string{true: "1", false: "0"}[b.Cgo]+" ldflags="+b.LDFlags())
	}
	want := []string{
		"/usr/local/bin/btcctl github.com/btcsuite/btcd/cmd/btcctl@v0.26.2 cgo=0 ldflags=-s -w -X main.commit=abc -X main.version=v0.26.2 -X main.pattern=[a-z]{2,127} -X 'main.banner=btcd node'",
		"/usr/local/bin/btcd github.com/btcsuite/btcd@v0.26.2 cgo=0 ldflags=-s -w",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("binaries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if errs := Drift(bins); len(errs) != 0 {
		t.Errorf("drift reported for matching versions: %v", errs)
	}
}

func TestDriftNamesVersionAndModule(t *testing.T) {
	bins, err := Find(workspace(t, "v0.26.1"))
	if err != nil {
		t.Fatal(err)
	}
	errs := Drift(bins)
	want := `protocols/btcd/VERSION:1: VERSION tags "v0.26.1" but go.mod pins github.com/btcsuite/btcd v0.26.2, the source of /usr/local/bin/btcd: bump both together (go get github.com/btcsuite/btcd@v0.26.1)`
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("drift:\n%v\nwant:\n%s", errs, want)
	}
}

// findWithOwnModule gives workspace's btcd protocol a go.mod of its own
// (module example.com/btcd, then requirements) and a go_cross_binary of
// btcd from it, and returns what Find finds.
func findWithOwnModule(t *testing.T, requirements string) []Binary {
	t.Helper()
	repo := workspace(t, "v0.26.2")
	dir := filepath.Join(repo.Root, "protocols/btcd")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/btcd\n\ngo 1.26\n\n"+requirements), 0o644); err != nil {
		t.Fatal(err)
	}
	build := "go_cross_binary(\n    name = \"btcd\",\n    platform = \"@rules_go//go/toolchain:linux_amd64\",\n    target = \"@btcd__com_github_btcsuite_btcd//:btcd\",\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "BUILD.bazel"), []byte(build), 0o644); err != nil {
		t.Fatal(err)
	}
	bins, err := Find(repo)
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

// A protocol with a go.mod of its own resolves its repositories there, with
// replacements, under the protocol's prefix.
func TestProtocolWithItsOwnModule(t *testing.T) {
	bins := findWithOwnModule(t, "require github.com/btcsuite/btcd v0.20.0\n\nreplace github.com/btcsuite/btcd => example.com/fork/btcd v0.26.3\n")
	if len(bins) != 1 || bins[0].Package != "github.com/btcsuite/btcd" || bins[0].Version != "v0.26.3" || bins[0].Dir != "protocols/btcd" {
		t.Fatalf("binaries %+v, want btcd from protocols/btcd/go.mod at the replacement's v0.26.3", bins)
	}
	if bins[0].Install {
		t.Errorf("a binary of a replaced module is built with go install, which ignores the replacement")
	}
	if errs := Drift(bins); len(errs) != 1 || !strings.Contains(errs[0].Error(), "pins github.com/btcsuite/btcd v0.26.3") {
		t.Errorf("drift %v, want VERSION v0.26.2 against the replacement's v0.26.3", errs)
	}
}

// A protocol's own go.mod that replaces nothing selects what the module's
// own go.mod does: its binaries are built with go install, which records
// the module as the main module, as rules_go does; the root go.mod's are
// not.
func TestInstallOnlyFromAProtocolModuleWithoutReplacements(t *testing.T) {
	bins := findWithOwnModule(t, "require github.com/btcsuite/btcd v0.26.2\n")
	if len(bins) != 1 || !bins[0].Install {
		t.Errorf("binaries %+v, want btcd built with go install", bins)
	}
	root, err := Find(workspace(t, "v0.26.2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range root {
		if b.Install {
			t.Errorf("%s of the root go.mod is built with go install", b.Entry.Path)
		}
	}
}

// An entry mapped straight to upstream's go_binary is built from its
// package; a source rule that fixes its platform is reported as pinned.
func TestUpstreamSourcesAndPinnedRules(t *testing.T) {
	repo := workspace(t, "v0.26.2")
	dir := filepath.Join(repo.Root, "protocols/btcd")
	build := `# gazelle:forge_source /usr/local/bin/btcd @com_github_btcsuite_btcd//:btcd

go_binary(
    name = "btcctl",
    embed = ["@com_github_btcsuite_btcd//cmd/btcctl:btcctl_lib"],
    goarch = "amd64",
    goos = "linux",
    pure = "off",
)
`
	if err := os.WriteFile(filepath.Join(dir, "BUILD.bazel"), []byte(build), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, err := spec.Load(repo.Root)
	if err != nil {
		t.Fatal(err)
	}
	bins, err := Find(repo)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bins {
		got = append(got, fmt.Sprintf("%s %s cgo=%v (%s) pinned=%q", b.Entry.Base(), b.Package, b.Cgo, b.CgoAttr, b.Pinned))
	}
	want := []string{
		`btcctl github.com/btcsuite/btcd/cmd/btcctl cgo=true (pure = "off") pinned="goos"`,
		`btcd github.com/btcsuite/btcd cgo=false () pinned=""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("binaries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The run path into a module's source goes, and the rest of the line
// stays: -L and -l link the library as rules_go's cdeps do.
func TestDropModuleRunPaths(t *testing.T) {
	src := "package api\n\n// #cgo LDFLAGS: -Wl,-rpath,${SRCDIR} -L${SRCDIR} -lwasmvm.x86_64\n// -Wl,-rpath,${SRCDIR} in a comment stays\nimport \"C\"\n"
	want := "package api\n\n// #cgo LDFLAGS: -L${SRCDIR} -lwasmvm.x86_64\n// -Wl,-rpath,${SRCDIR} in a comment stays\nimport \"C\"\n"
	if got := string(dropModuleRunPaths([]byte(src))); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	same := "// #cgo LDFLAGS: -lm\n"
	if got := string(dropModuleRunPaths([]byte(same))); got != same {
		t.Errorf("a line without a module run path changed: %q", got)
	}
}

// A label naming a package's gazelle target is a build; any other name in
// the package is one of the module's files.
func TestIsModuleFile(t *testing.T) {
	for l, want := range map[string]bool{
		"@r//internal/api:libwasmvm.x86_64.so": true,
		"@r//internal/api:api":                 false,
		"@r//cmd/osmosisd:osmosisd":            false,
		"@r//cmd/osmosisd:osmosisd_lib":        false,
		"@r//:wasmvm":                          false,
		"@r//v2:wasmvm":                        false, // a /vN package is named after the element before it
	} {
		parsed, err := label.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		if got := isModuleFile("github.com/CosmWasm/wasmvm", parsed); got != want {
			t.Errorf("isModuleFile(%s) = %v, want %v", l, got, want)
		}
	}
}
