package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// Changed files given as arguments, no bazel on PATH: the path rules.
func TestMatrixFromFileArguments(t *testing.T) {
	root := checkWorkspace(t, map[string]string{"protocols/geth/RUNNER": "self-hosted\nubuntu-22.04\n"})
	code, stdout, stderr := runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "protocols/geth/VERSION", "protocols/gone/MANIFEST")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m struct {
		Include []map[string]any `json:"include"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(m.Include) != 2 || m.Include[0]["runner"] != "self-hosted" || m.Include[1]["runner"] != "ubuntu-22.04" || m.Include[0]["publish"] != "//protocols/geth:publish" {
		t.Errorf("matrix %s, want geth on its two runners", stdout)
	}
	code, stdout, _ = runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "protocols/geth/README.md")
	if code != 0 || stdout != "{\"include\":[]}\n" {
		t.Errorf("README change: exit %d, %q; want an empty matrix", code, stdout)
	}
}

// The query-mode matrix for a change to op-geth's go.mod alone, in this
// repository, with a stand-in bazel that answers as Bazel does for a file no
// rule names (exit 3, nothing printed): op-geth is built. It was dropped,
// and nothing shipped (review finding 6).
func TestMatrixQueryModeOpGethGoMod(t *testing.T) {
	root := corpus.RepoRoot(t)
	bazel := filepath.Join(t.TempDir(), "bazel")
	write(t, bazel, "#!/bin/sh\necho \"ERROR: no such target '//protocols/op-geth:go.mod'\" >&2\nexit 3\n")
	if err := os.Chmod(bazel, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"protocols/op-geth/go.mod", "protocols/op-geth/go.sum"} {
		code, stdout, stderr := runForge("matrix", "-repo_root", root, "-bazel", bazel, file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, stderr)
		}
		if got := protocolsOf(t, stdout); !reflect.DeepEqual(got, []string{"op-geth"}) {
			t.Errorf("%s: matrix of %v, want [op-geth]", file, got)
		}
	}
}

func protocolsOf(t *testing.T, stdout string) []string {
	t.Helper()
	var m struct {
		Include []struct {
			Protocol, Target, Runner string
		} `json:"include"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	out := []string{}
	for _, e := range m.Include {
		out = append(out, e.Protocol)
	}
	return out
}

// -per-variant is what main and release used a jq filter for: one entry per
// protocol and variant, the first RUNNER line's. -all gives every protocol.
func TestMatrixPerVariantAndAll(t *testing.T) {
	root := checkWorkspace(t, map[string]string{
		"protocols/geth/RUNNER":   "self-hosted\nubuntu-22.04\n",
		"protocols/geth/TARGETS":  "static\nglibc\n",
		"protocols/btcd/VERSION":  "v0.24.2\n",
		"protocols/btcd/MANIFEST": "/usr/local/bin/btcd\n",
	})
	code, stdout, stderr := runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "-per-variant", "protocols/geth/VERSION")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `[{"geth" "static" "self-hosted"} {"geth" "glibc" "self-hosted"}]`
	if got := entries(t, stdout); got != want {
		t.Errorf("-per-variant: %s, want %s", got, want)
	}
	code, stdout, stderr = runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "-all")
	if code != 0 || !reflect.DeepEqual(protocolsOf(t, stdout), []string{"btcd", "geth", "geth", "geth", "geth"}) {
		t.Errorf("-all: exit %d, %s %s", code, stdout, stderr)
	}
	for _, args := range [][]string{{"-all", "-base", "main"}, {"-deployed", "", "protocols/geth/VERSION"}} {
		if code, _, stderr := runForge(append([]string{"matrix", "-repo_root", root}, args...)...); code != 1 || !strings.Contains(stderr, "exclude each other") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}

func entries(t *testing.T, stdout string) string {
	t.Helper()
	var m struct {
		Include []struct{ Protocol, Target, Runner string } `json:"include"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	var parts []string
	for _, e := range m.Include {
		parts = append(parts, fmt.Sprintf("{%q %q %q}", e.Protocol, e.Target, e.Runner))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// -deployed with the all-zero SHA of a branch's first push builds every
// protocol and says why; -base with it stays an error, as a typo should.
func TestMatrixDeployedFirstPush(t *testing.T) {
	root := checkWorkspace(t, nil)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first"}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	zeros := strings.Repeat("0", 40)
	code, stdout, stderr := runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "-deployed", zeros)
	if code != 0 || !reflect.DeepEqual(protocolsOf(t, stdout), []string{"geth"}) || !strings.Contains(stderr, "no commit was deployed yet: every protocol") {
		t.Errorf("-deployed %s: exit %d, %s, %q", zeros, code, stdout, stderr)
	}
	if code, _, _ := runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "-base", zeros); code != 1 {
		t.Errorf("-base %s: exit %d, want 1", zeros, code)
	}
}

// RUNNER labels are written into the matrix JSON by encoding/json: quotes,
// braces and backslashes in a label stay inside its string and add no
// entry (hostile-inputs H105).
func TestMatrixJSONHoldsHostileLabels(t *testing.T) {
	labels := []string{`"},{"protocol":"evil`, `{}[]\"`, `${{secrets.GITHUB_TOKEN}}`}
	root := checkWorkspace(t, map[string]string{"protocols/geth/RUNNER": strings.Join(labels, "\n") + "\n"})
	code, stdout, stderr := runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "protocols/geth/VERSION")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m struct {
		Include []map[string]any `json:"include"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(m.Include) != len(labels) {
		t.Fatalf("%d entries, want %d: %s", len(m.Include), len(labels), stdout)
	}
	for i, e := range m.Include {
		if e["runner"] != labels[i] || e["protocol"] != "geth" {
			t.Errorf("entry %d is %v, want geth on %q", i, e, labels[i])
		}
	}
}
