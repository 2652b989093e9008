//go:build realtools

package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/internal/filetx"
	"github.com/protocol-forge/protocol-forge/tools/internal/testrepo"
)

// killProtocols is the size of the tree the kill test generates over, and
// killRounds how many runs it kills. Every step of the transaction itself
// is stopped deterministically by tools/internal/filetx's tests; this test
// kills the real process wherever the clock says.
const (
	killProtocols = 2000
	killRounds    = 5
)

// forgeBinary builds forge once for the test.
func forgeBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "forge")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killTree writes killProtocols protocols at version and returns the root.
func killTree(t *testing.T, root, version string) {
	t.Helper()
	for i := 0; i < killProtocols; i++ {
		dir := filepath.Join(root, "protocols", fmt.Sprintf("node%04d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		manifest := fmt.Sprintf("/usr/local/bin/node%04d\n", i)
		if i%3 == 0 {
			manifest += fmt.Sprintf("/usr/local/bin/node%04d-cli\n", i)
		}
		write(t, filepath.Join(dir, "MANIFEST"), manifest)
		write(t, filepath.Join(dir, "VERSION"), version+"\n")
		if i%4 == 0 {
			write(t, filepath.Join(dir, "TARGETS"), "static\nglibc\n")
		}
	}
}

// treeVersions counts the BUILD files that name each version.
func treeVersions(t *testing.T, root string, versions ...string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for i := 0; i < killProtocols; i++ {
		data, err := os.ReadFile(filepath.Join(root, "protocols", fmt.Sprintf("node%04d", i), "BUILD.bazel"))
		if err != nil {
			counts["missing"]++
			continue
		}
		found := "neither"
		for _, v := range versions {
			if bytes.Contains(data, []byte(`"`+v+`"`)) {
				found = v
			}
		}
		counts[found]++
	}
	return counts
}

// litter lists what a run left in the repository besides the BUILD files:
// anything in the state directory but the lock, and any file under
// protocols/ that is not a protocol's own.
func litter(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(filepath.Join(root, filetx.StateDir))
	for _, e := range entries {
		if e.Name() != "lock" {
			out = append(out, filepath.Join(filetx.StateDir, e.Name()))
		}
	}
	filepath.WalkDir(filepath.Join(root, "protocols"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch d.Name() {
			case "MANIFEST", "VERSION", "TARGETS", "BUILD.bazel":
			default:
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// A run killed at a random moment leaves the old tree (and nothing but its
// state directory's stage, which the next run clears) or a committed
// journal, from which the next run completes the new tree. Repeated over
// a tree of 2,000 protocols whose every BUILD file changes each round.
func TestGenerateKilledAtRandomPoints(t *testing.T) {
	bin := forgeBinary(t)
	root := t.TempDir()
	testrepo.Bazel(t, root)
	killTree(t, root, "v1.0.0")
	start := time.Now()
	if out, err := exec.Command(bin, "generate", "-repo_root", root).CombinedOutput(); err != nil {
		t.Fatalf("first generate: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a whole generate of %d protocols took %v", killProtocols, full)

	rng := rand.New(rand.NewSource(1))
	old, next := "v1.0.0", ""
	committedSeen, oldSeen := 0, 0
	for round := 1; round <= killRounds; round++ {
		next = fmt.Sprintf("v1.0.%d", round)
		killTree(t, root, next)
		cmd := exec.Command(bin, "generate", "-repo_root", root)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int63n(int64(full + full/2))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		counts := treeVersions(t, root, old, next)
		_, err := os.Stat(filepath.Join(root, filetx.StateDir, "journal"))
		committed := err == nil
		switch {
		case committed:
			committedSeen++
		case counts[old] == killProtocols:
			oldSeen++
		case counts[next] == killProtocols:
			// The run finished before the kill.
		default:
			t.Fatalf("round %d: killed before its commit, the tree is mixed: %v", round, counts)
		}
		if out, err := exec.Command(bin, "generate", "-repo_root", root).CombinedOutput(); err != nil {
			t.Fatalf("round %d: the run after the kill: %v\n%s", round, err, out)
		}
		if counts := treeVersions(t, root, old, next); counts[next] != killProtocols {
			t.Fatalf("round %d: after the next run the tree is %v, want all %s", round, counts, next)
		}
		if l := litter(t, root); len(l) > 0 {
			t.Fatalf("round %d: the next run left %v", round, l)
		}
		old = next
	}
	t.Logf("kills before the commit: %d, after it: %d, of %d", oldSeen, committedSeen, killRounds)
}

// Two runs at once over the same tree take turns; both succeed and the tree
// is whole.
func TestGenerateConcurrentRuns(t *testing.T) {
	bin := forgeBinary(t)
	root := t.TempDir()
	testrepo.Bazel(t, root)
	killTree(t, root, "v2.0.0")
	var runs [2]*exec.Cmd
	var outs [2]bytes.Buffer
	for i := range runs {
		runs[i] = exec.Command(bin, "generate", "-repo_root", root)
		runs[i].Stdout, runs[i].Stderr = &outs[i], &outs[i]
		if err := runs[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range runs {
		if err := cmd.Wait(); err != nil {
			t.Errorf("run %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if counts := treeVersions(t, root, "v2.0.0"); counts["v2.0.0"] != killProtocols {
		t.Errorf("after two concurrent runs the tree is %v", counts)
	}
	if l := litter(t, root); len(l) > 0 {
		t.Errorf("concurrent runs left %v", l)
	}
	wrote := strings.Count(outs[0].String()+outs[1].String(), "wrote ")
	if wrote != killProtocols {
		t.Errorf("the two runs wrote %d files together, want %d (each file once)", wrote, killProtocols)
	}
}
