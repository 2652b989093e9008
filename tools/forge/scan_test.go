package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanPrintsBumps(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"go.mod":                     "module example.com/x\n\ngo 1.26\n\nrequire github.com/ethereum/go-ethereum v1.14.12\n",
		"protocols/geth/BUILD.bazel": "go_cross_binary(\n    name = \"geth\",\n    platform = \"@rules_go//go/toolchain:linux_amd64\",\n    target = \"@com_github_ethereum_go_ethereum//cmd/geth\",\n)\n",
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/github.com/ethereum/go-ethereum/@v/list":
			fmt.Fprint(w, "v1.14.11\nv1.14.12\nv1.14.13\nv1.14.14\nv1.15.0-rc.1\n")
		case "/github.com/ethereum/go-ethereum/@v/v1.14.14.mod":
			fmt.Fprint(w, "module github.com/ethereum/go-ethereum\n\nretract v1.14.14\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("GOPROXY", srv.URL)
	t.Setenv("GONOPROXY", "")
	t.Setenv("GOPRIVATE", "")
	code, stdout, stderr := runForge("scan", "-repo_root", root)
	want := `[
  {
    "name": "geth",
    "existing_release": "v1.14.12",
    "current_release": "v1.14.13",
    "source": "github.com/ethereum/go-ethereum"
  }
]
`
	if code != 0 || stdout != want {
		t.Errorf("scan: exit %d, stdout:\n%s\nstderr: %s\nwant:\n%s", code, stdout, stderr, want)
	}
	// The settings `go env -w` wrote count as the go command counts them.
	goenv := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(goenv, []byte("GOPROXY="+srv.URL+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOENV", goenv)
	t.Setenv("GOPROXY", "")
	if code, stdout, stderr := runForge("scan", "-repo_root", root); code != 0 || stdout != want {
		t.Errorf("scan with GOPROXY from go env -w: exit %d, stdout:\n%s\nstderr: %s", code, stdout, stderr)
	}
	t.Setenv("GOPROXY", "off")
	if code, _, stderr := runForge("scan", "-repo_root", root); code != 1 || stderr != "forge scan: geth: GOPROXY=off: module lookups are disabled, so github.com/ethereum/go-ethereum cannot be scanned\n" {
		t.Errorf("GOPROXY=off: exit %d, stderr %q", code, stderr)
	}
}

// A failing upstream is reported and the scan fails, yet the bumps of the
// other protocols are printed, so that the workflow still proposes them.
func TestScanPrintsTheOtherBumpsWhenOneUpstreamFails(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"go.mod":                       "module example.com/x\n\ngo 1.26\n\nrequire github.com/ethereum/go-ethereum v1.14.12\n",
		"protocols/geth/BUILD.bazel":   "go_cross_binary(\n    name = \"geth\",\n    platform = \"@rules_go//go/toolchain:linux_amd64\",\n    target = \"@com_github_ethereum_go_ethereum//cmd/geth\",\n)\n",
		"protocols/broken/VERSION":     "v1.0.0\n",
		"protocols/broken/MANIFEST":    "/usr/local/bin/broken\n",
		"protocols/broken/BUILD.bazel": "# gazelle:forge_upstream https://github.com/o/broken\n",
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/github.com/ethereum/go-ethereum/@v/list":
			fmt.Fprint(w, "v1.14.12\nv1.14.13\n")
			return
		case "/github.com/ethereum/go-ethereum/@v/v1.14.13.mod":
			fmt.Fprint(w, "module github.com/ethereum/go-ethereum\n")
			return
		}
		http.Error(w, "upstream is down", http.StatusBadGateway)
	}))
	defer srv.Close()
	t.Setenv("GOPROXY", srv.URL)
	t.Setenv("GONOPROXY", "")
	t.Setenv("GOPRIVATE", "")
	t.Setenv(GitHubAPIEnv, srv.URL)
	code, stdout, stderr := runForge("scan", "-repo_root", root)
	if code != 1 || !strings.HasPrefix(stderr, "forge scan: broken: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 1 and the failing protocol named", code, stderr)
	}
	if !strings.Contains(stdout, `"name": "geth"`) || !strings.Contains(stdout, `"current_release": "v1.14.13"`) {
		t.Errorf("stdout %s; want geth's bump", stdout)
	}
}
