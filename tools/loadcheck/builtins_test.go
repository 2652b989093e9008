package loadcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bazel's own functions as BUILD files use them: glob leaves subpackages
// out and may not come back empty, select's conditions are labels, and a
// package_group named by default_visibility decides who may depend.
func TestBuiltinsBehaveAsInBazel(t *testing.T) {
	root := copyRepo(t)
	for rel, content := range map[string]string{
		"demo/BUILD.bazel": `package(default_visibility = [":friends"])

package_group(
    name = "friends",
    packages = ["//protocols/..."],
)

config_setting(
    name = "arm",
    values = {"cpu": "arm"},
)

filegroup(
    name = "files",
    srcs = glob(["data/**"]) + select({
        ":arm": ["x.txt"],
        ":armm": [],
        "//conditions:default": [],
    }),
)

filegroup(
    name = "none",
    srcs = glob(["nothing/*"]),
)

filegroup(
    name = "across",
    srcs = ["data/sub/b.txt"],
)
`,
		"demo/x.txt":                   "x\n",
		"demo/data/a.txt":              "a\n",
		"demo/data/sub/BUILD.bazel":    "exports_files([\"b.txt\"])\n",
		"demo/data/sub/b.txt":          "b\n",
		"protocols/friend/BUILD.bazel": "filegroup(\n    name = \"ok\",\n    srcs = [\"//demo:files\"],\n)\n",
		"tools/stranger/BUILD.bazel":   "filegroup(\n    name = \"no\",\n    srcs = [\"//demo:files\"],\n)\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, root, rel, content)
	}
	_, err := Run(root)
	if err == nil {
		t.Fatal("Run passed; want the demo package's mistakes")
	}
	got := err.Error()
	for _, want := range []string{
		`demo/BUILD.bazel:17: srcs (select condition): :armm names nothing`,
		`demo/BUILD.bazel:24: glob(["nothing/*"]) matches no files`,
		`demo/BUILD.bazel:29: srcs: data/sub/b.txt: the file demo/data/sub/b.txt belongs to package //demo/data/sub, not //demo`,
		`tools/stranger/BUILD.bazel:3: srcs: //demo:files is not visible to package //tools/stranger (its visibility is [:friends])`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
	for _, unwanted := range []string{"protocols/friend", "demo/BUILD.bazel:16"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("reported %s, which is fine", unwanted)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"**", "a/b/c.txt", true},
		{"data/**", "data/a.txt", true},
		{"data/**", "other/a.txt", false},
		{"*.go", "a.go", true},
		{"*.go", "sub/a.go", false},
		{"**/*.go", "a.go", true},
		{"**/*.go", "x/y/a.go", true},
		{"testdata/**", "testdata", true},
	} {
		if got := matchAny([]string{c.pattern}, c.path); got != c.want {
			t.Errorf("glob %q matches %q = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

// The library names gazelle gives Go packages of other modules (what a
// label into a go_deps repository must say).
func TestGazelleLibName(t *testing.T) {
	for importPath, want := range map[string]string{
		"github.com/ethereum/go-ethereum/cmd/geth": "geth",
		"gopkg.in/yaml.v2":                         "yaml_v2",
		"github.com/cosmos/cosmos-sdk/v2":          "cosmos-sdk",
		"github.com/a/b/v2/c":                      "c",
		"go.starlark.net":                          "go_starlark_net",
	} {
		if got := gazelleLibName(importPath); got != want {
			t.Errorf("gazelleLibName(%q) = %q, want %q", importPath, got, want)
		}
	}
}
