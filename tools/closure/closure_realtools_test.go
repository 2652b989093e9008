//go:build realtools

package closure

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// These tests walk the real protocols through the real modules: they need
// every module go.mod pins in the module cache (tools/test.sh runs `go mod
// download` first) and share the user cache with `forge check`.

// The repository as committed passes.
func TestRepositoryPasses(t *testing.T) {
	root := copyRepository(t)
	stats, err := Run(root)
	if err != nil {
		t.Fatalf("the external closure check fails on the repository:\n%v", err)
	}
	if stats.Repositories < 100 || stats.Targets < 1000 {
		t.Errorf("walked only %s", stats)
	}
}

// Each of the four analysis errors the go_deps review found (F1-F4),
// brought back into a copy of MODULE.bazel, fails the check with the chain
// from our target to the problem.
func TestReviewFindingsAreReported(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(module string) string
		want   []string
	}{
		{
			name: "F1 go_visibility without @@",
			mutate: func(m string) string {
				return replaceOnce(t, m, `"gazelle:go_visibility @@//protocols/gnoland:__pkg__"`, `"gazelle:go_visibility //protocols/gnoland:__pkg__"`)
			},
			want: []string{`protocols/gnoland/BUILD.bazel:`, `//protocols/gnoland:gnoland -> @com_github_gnolang_gno//gno.land/cmd/gnoland:gnoland_lib: not visible from //protocols/gnoland:gnoland`, `write "@@//protocols/gnoland:__pkg__"`},
		},
		{
			name:   "F2 no go-bitfield override",
			mutate: func(m string) string { return dropOverride(t, m, "github.com/OffchainLabs/go-bitfield") },
			want:   []string{`protocols/geth/BUILD.bazel:`, `//protocols/geth:files_geth_linux_amd64 -> @com_github_ethereum_go_ethereum//cmd/geth:geth -> `, `-> @com_github_offchainlabs_go_bitfield//:go-bitfield: no target "go-bitfield" in @com_github_offchainlabs_go_bitfield//:BUILD.bazel (the module ships its own BUILD file; build_file_generation "auto" keeps it)`},
		},
		{
			name:   "F3 no cometbft proto disable",
			mutate: func(m string) string { return dropOverride(t, m, "github.com/cometbft/cometbft") },
			want:   []string{`protocols/cometbft/BUILD.bazel:`, `//protocols/cometbft:files_cometbft_linux_amd64 -> @com_github_cometbft_cometbft//cmd/cometbft:cometbft -> `, `is a go_proto_library: it needs protoc`},
		},
		{
			name:   "F4 no safeopen override",
			mutate: func(m string) string { return dropOverride(t, m, "github.com/google/safeopen") },
			want:   []string{`tools/lint/BUILD.bazel:`, `//tools/lint:lint_test -> @com_github_bazelbuild_buildtools//warn:warn -> `, `-> @com_github_google_safeopen//:safeopen -> @go_sys//unix:unix: no repository visible as @go_sys`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := copyRepository(t)
			file := filepath.Join(root, "MODULE.bazel")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(c.mutate(string(data))), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Run(root)
			if err == nil {
				t.Fatal("the check passes")
			}
			assertReported(t, err.Error(), c.want)
		})
	}
}

// The MODULE.bazel the review read (ab617da), with today's BUILD files,
// fails with all four findings.
func TestReviewedModuleFileFails(t *testing.T) {
	root := copyRepository(t)
	out, err := exec.Command("git", "-C", corpus.RepoRoot(t), "show", "ab617da:MODULE.bazel").Output()
	if err != nil {
		t.Fatalf("git show ab617da:MODULE.bazel: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "MODULE.bazel"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(root)
	if err == nil {
		t.Fatal("the check passes")
	}
	assertReported(t, err.Error(), []string{
		`//protocols/gnoland:gnoland -> @com_github_gnolang_gno//gno.land/cmd/gnoland:gnoland_lib: not visible`,
		`//protocols/op-geth:geth -> @op_geth__com_github_ethereum_go_ethereum//cmd/geth:geth_lib: not visible`,
		`-> @com_github_offchainlabs_go_bitfield//:go-bitfield: no target "go-bitfield"`,
		`//protocols/cometbft:files_cometbft_linux_amd64 -> @com_github_cometbft_cometbft//cmd/cometbft:cometbft -> `,
		`-> @com_github_google_safeopen//:safeopen -> @go_sys//unix:unix: no repository visible as @go_sys`,
	})
}

func assertReported(t *testing.T, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the report lacks %q:\n%s", w, got)
		}
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("MODULE.bazel has %d of %q", strings.Count(s, old), old)
	}
	return strings.Replace(s, old, new, 1)
}

// dropOverride removes the go_deps.gazelle_override call for path.
func dropOverride(t *testing.T, module, path string) string {
	t.Helper()
	at := strings.Index(module, `path = "`+path+`"`)
	if at < 0 {
		t.Fatalf("MODULE.bazel has no override of %s", path)
	}
	start := strings.LastIndex(module[:at], "go_deps.gazelle_override(")
	end := strings.Index(module[at:], "\n)\n")
	if start < 0 || end < 0 {
		t.Fatalf("cannot find the override call of %s", path)
	}
	return module[:start] + module[at+end+len("\n)\n"):]
}

// copyRepository copies the files git knows (tracked, or untracked and not
// ignored) into a temporary directory.
func copyRepository(t *testing.T) string {
	t.Helper()
	real := corpus.RepoRoot(t)
	out, err := exec.Command("git", "-C", real, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	root := t.TempDir()
	for _, rel := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		data, err := os.ReadFile(filepath.Join(real, rel))
		if err != nil {
			continue // deleted in the work tree
		}
		dest := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dest, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
