package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/internal/filetx"
	"github.com/protocol-forge/protocol-forge/tools/internal/testrepo"
	"github.com/protocol-forge/protocol-forge/tools/loadcheck"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/generate from what forge generates")

// Golden cases for `forge generate`, one behaviour each. A case directory
// holds in/ (the repository before; BUILD.in stands for a BUILD.bazel, so
// that Bazel never takes testdata for a package), want/ (every BUILD.bazel
// afterwards, as BUILD.want), and for a failing case exit_code and stderr.
func TestGenerateGolden(t *testing.T) {
	cases, err := os.ReadDir("testdata/generate")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata/generate", c.Name())
			root := t.TempDir()
			copyTree(t, filepath.Join(dir, "in"), root, map[string]string{"BUILD.in": "BUILD.bazel"})
			before := snapshot(t, root)

			code, stdout, stderr := runForge("generate", "-repo_root", root)
			stderr = strings.ReplaceAll(stderr, root, "$ROOT")

			if *update {
				updateGolden(t, dir, root, code, stderr)
				return
			}
			wantCode := 0
			if data, err := os.ReadFile(filepath.Join(dir, "exit_code")); err == nil {
				wantCode, _ = strconv.Atoi(strings.TrimSpace(string(data)))
			}
			wantStderr, _ := os.ReadFile(filepath.Join(dir, "stderr"))
			if code != wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
			if stderr != string(wantStderr) {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantStderr)
			}
			if wantCode != 0 {
				if after := snapshot(t, root); !equalTrees(before, after) {
					t.Errorf("a failed generate changed files: %v", diffTrees(before, after))
				}
				return
			}
			if !strings.Contains(stdout, "wrote ") && len(builds(snapshot(t, filepath.Join(dir, "want")))) > 0 {
				t.Errorf("stdout names no written file: %q", stdout)
			}
			compareBuildFiles(t, filepath.Join(dir, "want"), root)

			// What forge generates uses the pinned rulesets' API as it is:
			// the loading-phase check passes in the workspace with the
			// real repository's Bazel setup, labels aside (the cases name
			// MANIFEST sources they do not provide).
			testrepo.Bazel(t, root)
			if _, err := loadcheck.RunWithoutLabels(root); err != nil {
				t.Errorf("the generated BUILD files do not pass the loading-phase check:\n%v", err)
			}

			// A second run finds nothing to change.
			again := snapshot(t, root)
			if code, stdout, stderr := runForge("generate", "-repo_root", root); code != 0 || stdout != "" {
				t.Errorf("second run: exit %d, stdout %q, stderr %q; want exit 0 and nothing written", code, stdout, stderr)
			}
			if after := snapshot(t, root); !equalTrees(again, after) {
				t.Errorf("second run changed files: %v", diffTrees(again, after))
			}
		})
	}
}

// The format reads every protocol of the system we replace.
func TestGenerateOverCorpus(t *testing.T) {
	root := corpus.Root(t)
	code, stdout, stderr := runForge("generate", "-repo_root", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	protocols := 0
	entries, _ := os.ReadDir(filepath.Join(root, "protocols"))
	for _, e := range entries {
		_, manifest := os.Stat(filepath.Join(root, "protocols", e.Name(), "MANIFEST"))
		_, build := os.Stat(filepath.Join(root, "protocols", e.Name(), "BUILD.bazel"))
		if manifest == nil {
			protocols++
			if build != nil {
				t.Errorf("%s has a MANIFEST but got no BUILD.bazel", e.Name())
			}
		} else if build == nil {
			t.Errorf("%s has no MANIFEST but got a BUILD.bazel", e.Name())
		}
	}
	if got := strings.Count(stdout, "wrote "); got != protocols || protocols < 30 {
		t.Errorf("wrote %d BUILD files for %d protocols", got, protocols)
	}
}

func runForge(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func updateGolden(t *testing.T, dir, root string, code int, stderr string) {
	t.Helper()
	for _, name := range []string{"want", "exit_code", "stderr"} {
		os.RemoveAll(filepath.Join(dir, name))
	}
	if code != 0 {
		write(t, filepath.Join(dir, "exit_code"), strconv.Itoa(code)+"\n")
		write(t, filepath.Join(dir, "stderr"), stderr)
		return
	}
	for rel, content := range builds(snapshot(t, root)) {
		write(t, filepath.Join(dir, "want", filepath.Dir(rel), "BUILD.want"), content)
	}
}

func compareBuildFiles(t *testing.T, wantDir, root string) {
	t.Helper()
	want := map[string]string{}
	for rel, content := range snapshot(t, wantDir) {
		want[filepath.Join(filepath.Dir(rel), "BUILD.bazel")] = content
	}
	got := builds(snapshot(t, root))
	for rel, content := range want {
		if got[rel] != content {
			t.Errorf("%s:\n%s\nwant:\n%s", rel, got[rel], content)
		}
	}
	for rel := range got {
		if _, ok := want[rel]; !ok {
			t.Errorf("unexpected %s", rel)
		}
	}
}

// builds keeps the BUILD.bazel files of a snapshot.
func builds(tree map[string]string) map[string]string {
	out := map[string]string{}
	for rel, content := range tree {
		if filepath.Base(rel) == "BUILD.bazel" {
			out[rel] = content
		}
	}
	return out
}

// snapshot reads every file under root, by relative path.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		// The lock file stays, empty, by design (filetx.Lock); anything
		// else a run leaves behind is litter the comparison shows.
		if filepath.ToSlash(rel) == filetx.StateDir+"/lock" {
			return nil
		}
		tree[rel] = string(data)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return tree
}

func equalTrees(a, b map[string]string) bool { return len(diffTrees(a, b)) == 0 }

func diffTrees(a, b map[string]string) []string {
	var diff []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			diff = append(diff, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diff = append(diff, k)
		}
	}
	return diff
}

func copyTree(t *testing.T, from, to string, rename map[string]string) {
	t.Helper()
	for rel, content := range snapshot(t, from) {
		if name, ok := rename[filepath.Base(rel)]; ok {
			rel = filepath.Join(filepath.Dir(rel), name)
		}
		write(t, filepath.Join(to, rel), content)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Named protocol directories limit generation to them; anything else given
// as an argument is an error, and so is a repository root that is not there.
func TestGenerateNamedProtocols(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/btcd/MANIFEST"), "/usr/local/bin/btcd\n")
	write(t, filepath.Join(root, "protocols/btcd/VERSION"), "v0.26.2\n")
	code, stdout, stderr := runForge("generate", "-repo_root", root, "protocols/btcd")
	if code != 0 || stdout != "wrote protocols/btcd/BUILD.bazel\n" {
		t.Fatalf("generate protocols/btcd: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "v1.14.13\n")
	write(t, filepath.Join(root, "protocols/btcd/VERSION"), "v0.26.3\n")
	code, stdout, stderr = runForge("generate", "-repo_root", root, filepath.Join(root, "protocols/geth"))
	if code != 0 || stdout != "wrote protocols/geth/BUILD.bazel\n" {
		t.Fatalf("generate <abs>/protocols/geth: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "protocols/btcd/BUILD.bazel")); strings.Contains(string(data), "v0.26.3") {
		t.Error("generate protocols/geth rewrote btcd too")
	}
	before := snapshot(t, root)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-repo_root", root, "tools"}, "forge generate: tools is not a protocol directory: name protocols/<name>\n"},
		{[]string{"-repo_root", root, "protocols/nope"}, "forge generate: protocols/nope is not a protocol directory: protocols/nope has no such directory\n"},
		{[]string{"-repo_root", root, "protocols/geth/../btcd/x"}, "forge generate: protocols/geth/../btcd/x is not a protocol directory: name protocols/<name>\n"},
		{[]string{"-repo_root", filepath.Join(root, "nope")}, "forge generate: repository root " + filepath.Join(root, "nope") + " is not a directory\n"},
	} {
		code, _, stderr := runForge(append([]string{"generate"}, tc.args...)...)
		if code != 1 || stderr != tc.want {
			t.Errorf("generate %v: exit %d, stderr %q; want 1, %q", tc.args, code, stderr, tc.want)
		}
	}
	if d := diffTrees(before, snapshot(t, root)); len(d) > 0 {
		t.Errorf("failed runs changed %v", d)
	}
}

// A protocol whose BUILD file is named BUILD keeps that name, and its render
// action lists that file, the one it reads directives from.
func TestGenerateIntoBuildNamedBuild(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/btcd/MANIFEST"), "/usr/local/bin/btcd\n")
	write(t, filepath.Join(root, "protocols/btcd/BUILD"), "# gazelle:forge_upstream https://github.com/btcsuite/btcd\n")
	code, stdout, stderr := runForge("generate", "-repo_root", root)
	if code != 0 || stdout != "wrote protocols/btcd/BUILD\n" {
		t.Fatalf("generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "protocols/btcd/BUILD.bazel")); err == nil {
		t.Error("generate wrote a BUILD.bazel beside BUILD")
	}
	data, err := os.ReadFile(filepath.Join(root, "protocols/btcd/BUILD"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "        \"BUILD\",\n") || strings.Contains(string(data), `"BUILD.bazel",`+"\n        \"MANIFEST\"") {
		t.Errorf("deb_files does not list the protocol's BUILD file:\n%s", data)
	}
	// The workspace's sources are missing, so check fails; but nothing it
	// says is about a BUILD.bazel of btcd.
	if _, _, stderr := runForge("check", "-repo_root", root); strings.Contains(stderr, "protocols/btcd/BUILD.bazel") || strings.Contains(stderr, "protocols/btcd/BUILD:") && strings.Contains(stderr, "BUILD.bazel names nothing") {
		t.Errorf("check rejects the generated BUILD: %s", stderr)
	}
}

// Errors name the repository's own files, never a staging copy.
func TestGenerateErrorsNameRepositoryFiles(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/geth/BUILD.bazel"), "pkg_files(\n    name = \n")
	code, _, stderr := runForge("generate", "-repo_root", root)
	if code != 1 || !strings.Contains(stderr, filepath.Join(root, "protocols/geth/BUILD.bazel")) || strings.Contains(stderr, "forge-generate") || strings.Contains(stderr, filetx.StateDir) {
		t.Errorf("exit %d, stderr %q; want an error naming protocols/geth/BUILD.bazel in the repository", code, stderr)
	}
}

// A named protocol is generated from its own files and the root's alone:
// another protocol's broken metadata neither fails the run nor is read.
func TestGenerateNamedProtocolIgnoresOthers(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/btcd/MANIFEST"), "/usr/local/bin/btcd\n")
	write(t, filepath.Join(root, "protocols/btcd/TARGETS"), "xenial\n")
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "v1.14.13\n")
	if code, _, stderr := runForge("generate", "-repo_root", root); code != 1 || !strings.Contains(stderr, "protocols/btcd/TARGETS:1") {
		t.Errorf("generate: exit %d, stderr %q; want btcd's error", code, stderr)
	}
	code, stdout, stderr := runForge("generate", "-repo_root", root, "protocols/geth")
	if code != 0 || stdout != "wrote protocols/geth/BUILD.bazel\n" {
		t.Errorf("generate protocols/geth: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "protocols/btcd/BUILD.bazel")); err == nil {
		t.Error("generate protocols/geth wrote btcd's BUILD file")
	}
}
