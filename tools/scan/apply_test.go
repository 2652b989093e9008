package scan

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/module"

	"github.com/protocol-forge/protocol-forge/tools/internal/testrepo"
	modzip "golang.org/x/mod/zip"

	"github.com/protocol-forge/protocol-forge/tools/check"
	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

const nodeModule = "example.com/node"

// moduleProxy serves nodeModule in the module proxy protocol: the listed
// versions, the .mod file of each, and .info/.zip for those in zips. The
// module's command prints "node" and the version stamped into main.Version.
func moduleProxy(t *testing.T, listed []string, zips []string) string {
	t.Helper()
	built := map[string][]byte{}
	for _, v := range zips {
		dir := t.TempDir()
		write(t, dir, "go.mod", "module "+nodeModule+"\n\ngo 1.21\n")
		write(t, dir, "cmd/node/main.go", "package main\n\nimport \"fmt\"\n\nvar Version = \"dev\"\n\nfunc main() { fmt.Println(\"node\", Version) }\n")
		var b bytes.Buffer
		if err := modzip.CreateFromDir(&b, module.Version{Path: nodeModule, Version: v}, dir); err != nil {
			t.Fatal(err)
		}
		built[v] = b.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/"+nodeModule+"/@v/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		if rest == "list" {
			fmt.Fprint(w, strings.Join(listed, "\n"))
			return
		}
		ext := filepath.Ext(rest)
		version := strings.TrimSuffix(rest, ext)
		zip, ok := built[version]
		switch {
		case ext == ".mod" && (ok || slices.Contains(listed, version)):
			fmt.Fprint(w, "module "+nodeModule+"\n\ngo 1.21\n")
		case !ok:
			http.NotFound(w, r)
		case ext == ".info":
			fmt.Fprintf(w, `{"Version":%q,"Time":"2026-01-01T00:00:00Z"}`, version)
		case ext == ".zip":
			w.Write(zip)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

// nodeRepo is a repository pinning nodeModule v1.0.0 through proxy, with a
// protocol that stamps the version with x_defs, its BUILD file generated.
func nodeRepo(t *testing.T, proxy string) string {
	t.Helper()
	t.Setenv("GOPROXY", proxy)
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GONOPROXY", "")
	t.Setenv("GOPRIVATE", "")
	t.Setenv("GOTOOLCHAIN", "local")
	t.Setenv("GOFLAGS", "-modcacherw")
	t.Setenv("GOMODCACHE", t.TempDir())
	root := t.TempDir()
	write(t, root, "go.mod", "module example.com/repo\n\ngo 1.21\n\ntool "+nodeModule+"/cmd/node\n\nrequire "+nodeModule+" v1.0.0\n")
	run(t, root, "go", "mod", "tidy")
	write(t, root, "protocols/BUILD.bazel", "# gazelle:lang forge\n")
	testrepo.Bazel(t, root)
	// The go_binary below embeds the module's main package library, which
	// gazelle makes private unless told otherwise; the external closure
	// check that forge check runs holds the workspace to that.
	module, err := os.ReadFile(filepath.Join(root, "MODULE.bazel"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, "MODULE.bazel", string(module)+"\ngo_deps.gazelle_override(\n    directives = [\"gazelle:go_visibility @@//protocols/node:__pkg__\"],\n    path = \""+nodeModule+"\",\n)\n")
	write(t, root, "protocols/node/VERSION", "v1.0.0\n")
	write(t, root, "protocols/node/MANIFEST", "/usr/local/bin/node\n")
	write(t, root, "protocols/node/BUILD.bazel", `go_binary(
    name = "node",
    embed = ["@com_example_node//cmd/node:node_lib"],
    pure = "on",
    x_defs = {
        "main.Release": "1.0.0",
        "main.Version": "v1.0.0",
    },
)
`)
	if _, err := generate.Write(root); err != nil {
		t.Fatal(err)
	}
	if _, err := check.Run(root); err != nil {
		t.Fatalf("check before the bump: %v", err)
	}
	return root
}

func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			out[p] = string(data)
		}
		return nil
	})
	return out
}

func TestApplyBumpsVersionModuleStampAndBuild(t *testing.T) {
	root := nodeRepo(t, moduleProxy(t, []string{"v1.0.0", "v1.1.0", "v1.2.0-rc.1"}, []string{"v1.0.0", "v1.1.0"}))
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	s := Scanner{Proxy: Proxy{GOPROXY: os.Getenv("GOPROXY")}}
	bump, err := s.Apply(context.Background(), repo, "node", "")
	if err != nil {
		t.Fatal(err)
	}
	if bump.Current != "v1.1.0" {
		t.Errorf("bumped to %s, want v1.1.0", bump.Current)
	}
	read := func(rel string) string {
		data, _ := os.ReadFile(filepath.Join(root, rel))
		return string(data)
	}
	if got := read("protocols/node/VERSION"); got != "v1.1.0\n" {
		t.Errorf("VERSION %q", got)
	}
	if !strings.Contains(read("go.mod"), nodeModule+" v1.1.0") || !strings.Contains(read("go.sum"), nodeModule+" v1.1.0 h1:") {
		t.Errorf("go.mod/go.sum do not pin v1.1.0:\n%s\n%s", read("go.mod"), read("go.sum"))
	}
	build := read("protocols/node/BUILD.bazel")
	for _, want := range []string{`"main.Version": "v1.1.0"`, `"main.Release": "1.1.0"`, `version = "1.1.0"`, `remote_tags = ["v1.1.0"]`} {
		if !strings.Contains(build, want) {
			t.Errorf("BUILD.bazel lacks %s", want)
		}
	}
	if _, err := check.Run(root); err != nil {
		t.Errorf("forge check after the bump: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "node")
	run(t, root, "go", "build", "-ldflags", "-X main.Version=v1.1.0", "-o", bin, nodeModule+"/cmd/node")
	if got := run(t, root, bin); got != "node v1.1.0\n" {
		t.Errorf("the bumped binary says %q", got)
	}
}

func TestApplyChangesNothingOnFailure(t *testing.T) {
	// v1.2.0 is listed, but its zip cannot be had: go get fails.
	root := nodeRepo(t, moduleProxy(t, []string{"v1.0.0", "v1.2.0"}, []string{"v1.0.0"}))
	before := tree(t, root)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Scanner{Proxy: Proxy{GOPROXY: os.Getenv("GOPROXY")}}.Apply(context.Background(), repo, "node", "")
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Apply = %v, want a failure that changed nothing", err)
	}
	after := tree(t, root)
	for p, content := range before {
		if after[p] != content {
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s was added", p)
		}
	}
}

func TestApplyWithoutANewerRelease(t *testing.T) {
	root := nodeRepo(t, moduleProxy(t, []string{"v0.9.0", "v1.0.0", "v1.1.0-beta.1"}, []string{"v1.0.0"}))
	repo, _ := spec.Load(root)
	_, err := Scanner{Proxy: Proxy{GOPROXY: os.Getenv("GOPROXY")}}.Apply(context.Background(), repo, "node", "")
	if err == nil || err.Error() != "node has no newer stable release than v1.0.0" {
		t.Errorf("Apply = %v", err)
	}
}

// Apply takes the version the scan proposed, not whatever is newest when it
// runs, and refuses one that is no newer stable release.
func TestApplyTheVersionAsked(t *testing.T) {
	root := nodeRepo(t, moduleProxy(t, []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"}, []string{"v1.0.0", "v1.1.0", "v1.2.0"}))
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	s := Scanner{Proxy: Proxy{GOPROXY: os.Getenv("GOPROXY")}}
	for _, version := range []string{"v1.3.0-rc.1", "v0.9.0", "v1.0.0", "v9.9.9"} {
		if _, err := s.Apply(context.Background(), repo, "node", version); err == nil || !strings.Contains(err.Error(), "is no stable release") {
			t.Errorf("Apply(%s) = %v, want a refusal", version, err)
		}
	}
	bump, err := s.Apply(context.Background(), repo, "node", "v1.1.0")
	if err != nil || bump.Current != "v1.1.0" {
		t.Fatalf("Apply(v1.1.0) = %+v, %v", bump, err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "protocols/node/VERSION")); string(data) != "v1.1.0\n" {
		t.Errorf("VERSION %q, want v1.1.0 although v1.2.0 is newer", data)
	}
}
