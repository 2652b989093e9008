package scan

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/module"

	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// proxyServer answers the paths in files (@v/list, and .mod files) and the
// status codes in statuses, recording every path asked for. The .mod file
// of a version of a listed module that files do not give is a plain go.mod
// that retracts nothing.
func proxyServer(t *testing.T, files map[string]string, statuses map[string]int, asked *[]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*asked = append(*asked, r.URL.Path)
		if code, ok := statuses[r.URL.Path]; ok {
			http.Error(w, http.StatusText(code), code)
			return
		}
		if content, ok := files[r.URL.Path]; ok {
			fmt.Fprint(w, content)
			return
		}
		dir, file := path.Split(r.URL.Path)
		escaped := strings.Trim(strings.TrimSuffix(dir, "/@v/"), "/")
		if _, listed := files[dir+"list"]; listed && strings.HasSuffix(file, ".mod") {
			modulePath, err := module.UnescapePath(escaped)
			if err != nil {
				t.Error(err)
			}
			fmt.Fprintf(w, "module %s\n", modulePath)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestProxyEscapesAndFallsThrough(t *testing.T) {
	var asked []string
	empty := proxyServer(t, nil, map[string]int{"/github.com/!burnt!sushi/toml/@v/list": http.StatusGone}, &asked)
	full := proxyServer(t, map[string]string{"/github.com/!burnt!sushi/toml/@v/list": "v1.2.0\nv1.3.0\n"}, nil, &asked)
	p := Proxy{GOPROXY: empty + "," + full}
	got, err := p.Versions(context.Background(), "github.com/BurntSushi/toml")
	if err != nil || !reflect.DeepEqual(got, []string{"v1.2.0", "v1.3.0"}) {
		t.Errorf("Versions = %v, %v", got, err)
	}
	want := []string{"/github.com/!burnt!sushi/toml/@v/list", "/github.com/!burnt!sushi/toml/@v/list", "/github.com/!burnt!sushi/toml/@v/v1.3.0.mod"}
	if !reflect.DeepEqual(asked, want) {
		t.Errorf("asked %v, want the first proxy's 410, then the second's list and its latest go.mod", asked)
	}
}

func TestProxyDropsRetractedVersions(t *testing.T) {
	var asked []string
	list := "v1.0.0\nv1.0.1\nv1.0.5\nv1.1.0\nv1.2.0-rc.1\n"
	// v1.1.0, the latest release, holds the retractions, its own included.
	proxy := proxyServer(t, map[string]string{
		"/example.com/node/@v/list":       list,
		"/example.com/node/@v/v1.1.0.mod": "module example.com/node\n\nretract (\n\t[v1.0.1, v1.0.9] // data loss\n\tv1.1.0 // tagged by mistake\n)\n",
	}, nil, &asked)
	got, err := Proxy{GOPROXY: proxy}.Versions(context.Background(), "example.com/node")
	if err != nil || !reflect.DeepEqual(got, []string{"v1.0.0", "v1.2.0-rc.1"}) {
		t.Errorf("Versions = %v, %v; want v1.0.1 to v1.0.9 and v1.1.0 dropped", got, err)
	}
	if newest := Newest("v1.0.0", got); newest != "" {
		t.Errorf("a scan from v1.0.0 proposes %s, want nothing", newest)
	}

	// Only pre-releases: the highest holds the retractions.
	proxy = proxyServer(t, map[string]string{
		"/example.com/node/@v/list":            "v0.1.0-alpha\nv0.1.0-beta\n",
		"/example.com/node/@v/v0.1.0-beta.mod": "module example.com/node\n\nretract v0.1.0-alpha\n",
	}, nil, &asked)
	got, err = Proxy{GOPROXY: proxy}.Versions(context.Background(), "example.com/node")
	if err != nil || !reflect.DeepEqual(got, []string{"v0.1.0-beta"}) {
		t.Errorf("Versions = %v, %v; want v0.1.0-alpha dropped", got, err)
	}

	// A fork that keeps the module line of what it forks, as op-geth's
	// go.mod does: its versions are listed and its retractions apply.
	proxy = proxyServer(t, map[string]string{
		"/github.com/ethereum-optimism/op-geth/@v/list":            "v1.101701.0\nv1.101702.3-rc.7\nv1.101702.3\nv1.101702.4\n",
		"/github.com/ethereum-optimism/op-geth/@v/v1.101702.4.mod": "module github.com/ethereum/go-ethereum\n\ngo 1.24.0\n\nretract v1.101702.4 // tagged from the wrong branch\n\nrequire github.com/holiman/uint256 v1.3.2\n",
	}, nil, &asked)
	got, err = Proxy{GOPROXY: proxy}.Versions(context.Background(), "github.com/ethereum-optimism/op-geth")
	if err != nil || !reflect.DeepEqual(got, []string{"v1.101701.0", "v1.101702.3-rc.7", "v1.101702.3"}) {
		t.Errorf("op-geth's shape: Versions = %v, %v; want every version but the retracted v1.101702.4", got, err)
	}
	if newest := Newest("v1.101701.0", got); newest != "v1.101702.3" {
		t.Errorf("op-geth's shape: a scan from v1.101701.0 proposes %q, want v1.101702.3", newest)
	}

	for name, files := range map[string]map[string]string{
		"unreadable go.mod": {"/example.com/node/@v/list": "v1.0.0\n", "/example.com/node/@v/v1.0.0.mod": "module example.com/node\nretract (\n"},
	} {
		_, err := Proxy{GOPROXY: proxyServer(t, files, nil, &asked)}.Versions(context.Background(), "example.com/node")
		if err == nil || !strings.HasPrefix(err.Error(), "loading retractions of example.com/node: ") {
			t.Errorf("%s: Versions error %v", name, err)
		}
	}
	_, err = Proxy{GOPROXY: proxyServer(t, map[string]string{"/example.com/node/@v/list": "v1.0.0\n"},
		map[string]int{"/example.com/node/@v/v1.0.0.mod": http.StatusBadGateway}, &asked)}.Versions(context.Background(), "example.com/node")
	if err == nil || !strings.Contains(err.Error(), "v1.0.0.mod: 502 Bad Gateway") {
		t.Errorf("a failing go.mod fetch: %v", err)
	}
}

func TestProxyErrors(t *testing.T) {
	var asked []string
	failing := proxyServer(t, nil, map[string]int{"/example.com/node/@v/list": http.StatusInternalServerError}, &asked)
	limited := proxyServer(t, nil, map[string]int{"/example.com/node/@v/list": http.StatusTooManyRequests}, &asked)
	good := proxyServer(t, map[string]string{"/example.com/node/@v/list": "v1.0.0\n"}, nil, &asked)
	for _, tc := range []struct {
		name  string
		proxy Proxy
		want  string
	}{
		{"comma_stops_at_5xx", Proxy{GOPROXY: failing + "," + good}, "500 Internal Server Error"},
		{"rate_limited", Proxy{GOPROXY: limited}, "429 Too Many Requests"},
		{"off", Proxy{GOPROXY: "off"}, "GOPROXY=off: module lookups are disabled, so example.com/node cannot be scanned"},
		{"not_found_anywhere", Proxy{GOPROXY: proxyServer(t, nil, nil, &asked)}, "404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.proxy.Versions(context.Background(), "example.com/node")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Versions error %v, want %q", err, tc.want)
			}
		})
	}
	// "|" falls through on any error.
	got, err := Proxy{GOPROXY: failing + "|" + good}.Versions(context.Background(), "example.com/node")
	if err != nil || !reflect.DeepEqual(got, []string{"v1.0.0"}) {
		t.Errorf("pipe fall-through: %v, %v", got, err)
	}
}

func TestNewest(t *testing.T) {
	for _, tc := range []struct {
		current    string
		candidates []string
		want       string
	}{
		{"v1.17.10", []string{"v1.17.9", "v1.17.10", "v1.18.0-rc.1"}, ""},
		{"v1.17.10", []string{"v1.17.11", "v1.18.0", "v1.19.0-beta"}, "v1.18.0"},
		{"v1.0.0", []string{"v2.0.0+incompatible", "v1.0.1"}, "v1.0.1"},
		{"v2.0.0", []string{"v1.9.9"}, ""},
		{"pismoA", []string{"pismoC", "pismoB"}, "pismoC"},
		{"agoric-upgrade-7-2", []string{"agoric-upgrade-10", "agoric-upgrade-6"}, "agoric-upgrade-10"},
	} {
		if got := Newest(tc.current, tc.candidates); got != tc.want {
			t.Errorf("Newest(%q, %v) = %q, want %q", tc.current, tc.candidates, got, tc.want)
		}
	}
}

func githubServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, base string)) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler(w, r, srv.URL) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestGitHubPagesAndFilters(t *testing.T) {
	var auth []string
	base := githubServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
		auth = append(auth, r.Header.Get("Authorization"))
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `[{"tag_name":"v1.0.0"},{"tag_name":"v0.9.0","draft":true}]`)
			return
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/o/r/releases?per_page=100&page=2>; rel="next", <%s/x>; rel="last"`, base, base))
		fmt.Fprint(w, `[{"tag_name":"v1.2.0"},{"tag_name":"v1.3.0-rc1","prerelease":true}]`)
	})
	tags, err := GitHub{BaseURL: base, Token: "secret"}.Releases(context.Background(), "o", "r")
	if err != nil || !reflect.DeepEqual(tags, []string{"v1.2.0", "v1.0.0"}) {
		t.Errorf("Releases = %v, %v", tags, err)
	}
	if len(auth) != 2 || auth[0] != "Bearer secret" {
		t.Errorf("Authorization headers %v", auth)
	}
}

func TestGitHubErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		headers map[string]string
		want    string
	}{
		{"rate_limit_403", http.StatusForbidden, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1767225600"}, "GitHub's rate limit stopped the scan of o/r: it resets at 2026-01-01T00:00:00Z; set GITHUB_TOKEN"},
		{"rate_limit_429", http.StatusTooManyRequests, map[string]string{"Retry-After": "60"}, "it resets in 60s"},
		{"not_found", http.StatusNotFound, nil, "GitHub has no repository o/r"},
		{"server_error", http.StatusBadGateway, nil, "GitHub answered 502 Bad Gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := githubServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				http.Error(w, "no", tc.status)
			})
			_, err := GitHub{BaseURL: base}.Releases(context.Background(), "o", "r")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A repository with a Go-module protocol and a GitHub-release protocol.
func TestScanReportsBumps(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                     "module example.com/x\n\ngo 1.26\n\nrequire github.com/Example/Node v1.0.0\n",
		"protocols/node/VERSION":     "v1.0.0\n",
		"protocols/node/MANIFEST":    "/usr/local/bin/node\n",
		"protocols/node/BUILD.bazel": "go_cross_binary(\n    name = \"node\",\n    platform = \"@rules_go//go/toolchain:linux_amd64\",\n    target = \"@com_github_example_node//cmd/node\",\n)\n",
		"protocols/old/VERSION":      "v3.0.0\n",
		"protocols/old/MANIFEST":     "/usr/local/bin/old\n",
		"protocols/old/BUILD.bazel":  "# gazelle:forge_upstream https://github.com/o/old\n",
		"protocols/same/VERSION":     "v2.0.0\n",
		"protocols/same/MANIFEST":    "/usr/local/bin/same\n",
		"protocols/same/BUILD.bazel": "# gazelle:forge_upstream https://github.com/o/same\n",
		"protocols/none/MANIFEST":    "/usr/local/bin/none\n",
	}
	for rel, content := range files {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	proxy := proxyServer(t, map[string]string{"/github.com/!example/!node/@v/list": "v1.0.0\nv1.1.0\nv1.2.0-rc.1\n"}, nil, &asked)
	gh := githubServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		switch r.URL.Path {
		case "/repos/o/old/releases":
			fmt.Fprint(w, `[{"tag_name":"v3.1.0"},{"tag_name":"v4.0.0","draft":true}]`)
		case "/repos/o/same/releases":
			fmt.Fprint(w, `[{"tag_name":"v1.9.0"},{"tag_name":"v2.0.0"}]`)
		default:
			http.NotFound(w, r)
		}
	})
	bumps, err := Scanner{Proxy: Proxy{GOPROXY: proxy}, GitHub: GitHub{BaseURL: gh}}.Scan(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	want := []Bump{
		{Name: "node", Existing: "v1.0.0", Current: "v1.1.0", Source: "github.com/Example/Node"},
		{Name: "old", Existing: "v3.0.0", Current: "v3.1.0", Source: "https://github.com/o/old"},
	}
	if !reflect.DeepEqual(bumps, want) {
		t.Errorf("bumps %+v, want %+v", bumps, want)
	}
}

// One upstream that fails does not stop the others: its error names it, and
// the bumps of the rest are still returned (workflows review 9).
func TestScanGoesOnPastAFailingUpstream(t *testing.T) {
	root := t.TempDir()
	for rel, content := range map[string]string{
		"protocols/broken/VERSION":     "v1.0.0\n",
		"protocols/broken/MANIFEST":    "/usr/local/bin/broken\n",
		"protocols/broken/BUILD.bazel": "# gazelle:forge_upstream https://github.com/o/broken\n",
		"protocols/old/VERSION":        "v3.0.0\n",
		"protocols/old/MANIFEST":       "/usr/local/bin/old\n",
		"protocols/old/BUILD.bazel":    "# gazelle:forge_upstream https://github.com/o/old\n",
	} {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	gh := githubServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		if r.URL.Path == "/repos/o/old/releases" {
			fmt.Fprint(w, `[{"tag_name":"v3.1.0"}]`)
			return
		}
		http.Error(w, "upstream is down", http.StatusBadGateway)
	})
	bumps, err := Scanner{GitHub: GitHub{BaseURL: gh}}.Scan(context.Background(), repo)
	if err == nil || !strings.HasPrefix(err.Error(), "broken: ") {
		t.Errorf("error %v, want one naming broken", err)
	}
	want := []Bump{{Name: "old", Existing: "v3.0.0", Current: "v3.1.0", Source: "https://github.com/o/old"}}
	if !reflect.DeepEqual(bumps, want) {
		t.Errorf("bumps %+v, want %+v", bumps, want)
	}
}
