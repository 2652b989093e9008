package scan

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// vcsHost serves, as the host example.com, a git repository holding the
// module example.com/node and, in tools/, the module example.com/node/tools:
// go-get meta tags and git's dumb HTTP protocol. The go command and git
// reach it as their HTTP proxy, so nothing outside loopback is asked. It
// returns the environment that points them at it. The node module retracts
// v1.0.1.
func vcsHost(t *testing.T, tags ...string) []string {
	t.Helper()
	work := t.TempDir()
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=forge", "-c", "user.email=forge@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(rel, content string) {
		t.Helper()
		path := filepath.Join(work, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(work, "init", "-q")
	write("go.mod", "module example.com/node\n\ngo 1.22\n\nretract v1.0.1 // broken\n")
	write("tools/go.mod", "module example.com/node/tools\n\ngo 1.22\n")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "node")
	for _, tag := range tags {
		git(work, "tag", tag)
	}
	served := filepath.Join(t.TempDir(), "node.git")
	git(work, "clone", "-q", "--bare", work, served)
	git(served, "update-server-info")

	repo := http.StripPrefix("/node.git", http.FileServer(http.Dir(served)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Host != "example.com" {
			http.Error(w, "only example.com is served", http.StatusBadGateway)
			return
		}
		if r.URL.Query().Get("go-get") == "1" {
			fmt.Fprint(w, `<html><head><meta name="go-import" content="example.com/node git http://example.com/node.git"></head></html>`)
			return
		}
		repo.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return []string{
		"HTTP_PROXY=" + srv.URL, "http_proxy=" + srv.URL, "NO_PROXY=", "no_proxy=",
		"GOINSECURE=example.com", "GONOSUMDB=example.com",
		"GOMODCACHE=" + t.TempDir(), "GOFLAGS=-modcacherw",
		"GIT_CONFIG_NOSYSTEM=1",
	}
}

func setenv(t *testing.T, env []string) {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func TestDirectListsTheRepositorysTags(t *testing.T) {
	// release-7 is no semantic version, tools/v0.3.0 is the subdirectory
	// module's, and v1.0.1 is retracted: none is a version of example.com/node.
	setenv(t, vcsHost(t, "v1.0.0", "v1.0.1", "v1.1.0", "v1.2.0-rc.1", "release-7", "tools/v0.3.0"))
	for _, tc := range []struct {
		name   string
		proxy  Proxy
		module string
		want   []string
	}{
		{"goproxy_direct", Proxy{GOPROXY: "direct"}, "example.com/node", []string{"v1.0.0", "v1.1.0", "v1.2.0-rc.1"}},
		{"gonoproxy", Proxy{GOPROXY: "http://127.0.0.1:1/unused", GONOPROXY: "example.com"}, "example.com/node", []string{"v1.0.0", "v1.1.0", "v1.2.0-rc.1"}},
		{"goprivate", Proxy{GOPROXY: "off", GOPRIVATE: "example.com/*"}, "example.com/node", []string{"v1.0.0", "v1.1.0", "v1.2.0-rc.1"}},
		{"subdirectory_module", Proxy{GOPROXY: "direct"}, "example.com/node/tools", []string{"v0.3.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.proxy.Versions(context.Background(), tc.module)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Versions(%s) = %v, %v; want %v", tc.module, got, err, tc.want)
			}
		})
	}
}

func TestDirectAfterAProxyThatDoesNotHaveTheModule(t *testing.T) {
	setenv(t, vcsHost(t, "v1.0.0", "v1.1.0"))
	var asked []string
	empty := proxyServer(t, nil, nil, &asked)
	got, err := Proxy{GOPROXY: empty + ",direct"}.Versions(context.Background(), "example.com/node")
	if err != nil || !reflect.DeepEqual(got, []string{"v1.0.0", "v1.1.0"}) {
		t.Errorf("Versions = %v, %v", got, err)
	}
	if !reflect.DeepEqual(asked, []string{"/example.com/node/@v/list"}) {
		t.Errorf("the proxy was asked %v", asked)
	}
}

func TestDirectReportsWhatTheGoCommandSaid(t *testing.T) {
	setenv(t, vcsHost(t, "v1.0.0"))
	_, err := Proxy{GOPROXY: "direct"}.Versions(context.Background(), "example.com/elsewhere")
	if err == nil || !strings.Contains(err.Error(), "listing example.com/elsewhere from version control (GOPROXY=direct): ") {
		t.Errorf("Versions = %v, want the go command's error", err)
	}
}
