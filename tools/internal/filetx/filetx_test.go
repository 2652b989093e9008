package filetx

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// tree writes n files a/<i>/BUILD.bazel with content "<version> <i>".
func tree(t *testing.T, root string, n int, version string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i := 0; i < n; i++ {
		rel := fmt.Sprintf("a/%d/BUILD.bazel", i)
		files[rel] = []byte(fmt.Sprintf("%s %d\n", version, i))
	}
	return files
}

func write(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// state says whether every file has the content of want; "mixed" otherwise.
func state(t *testing.T, root string, old, new map[string][]byte) string {
	t.Helper()
	oldCount, newCount := 0, 0
	for rel := range old {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		switch string(data) {
		case string(old[rel]):
			oldCount++
		case string(new[rel]):
			newCount++
		}
	}
	switch {
	case oldCount == len(old):
		return "old"
	case newCount == len(new):
		return "new"
	}
	return fmt.Sprintf("mixed (%d old, %d new of %d)", oldCount, newCount, len(old))
}

// litter lists what the state directory holds besides the lock.
func litter(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, StateDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != lockName {
			out = append(out, e.Name())
		}
	}
	return out
}

type crash struct{}

// Every step of a transaction is a place a run can die. Wherever it dies,
// the tree is the old one until the journal is committed, and Recover
// leaves exactly the old or the new tree and nothing in the state
// directory but the lock.
func TestCrashAtEveryStep(t *testing.T) {
	const n = 5
	defer func() { crashPoint = nil }()
	for stop := 1; ; stop++ {
		root := t.TempDir()
		old, new := tree(t, root, n, "old"), tree(t, root, n, "new")
		write(t, root, old)
		steps, committed := 0, false
		crashPoint = func(step string) {
			if step == "committed" {
				committed = true
			}
			if steps++; steps == stop {
				panic(crash{})
			}
		}
		crashed := func() (crashed bool) {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(crash); !ok {
						panic(r)
					}
					crashed = true
				}
			}()
			unlock, err := Lock(root)
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			if err := Apply(root, new); err != nil {
				t.Fatal(err)
			}
			return false
		}()
		crashPoint = nil
		if !crashed {
			if got := state(t, root, old, new); got != "new" {
				t.Fatalf("a run that finished left the tree %s", got)
			}
			if stop < 2*n+2 {
				t.Fatalf("only %d crash points: the test no longer stops every step", stop)
			}
			break
		}
		if got := state(t, root, old, new); !committed && got != "old" {
			t.Errorf("stop %d, before the commit: tree is %s, want old", stop, got)
		}
		unlock, err := Lock(root)
		if err != nil {
			t.Fatal(err)
		}
		if err := Recover(root); err != nil {
			t.Fatal(err)
		}
		unlock()
		want := "old"
		if committed {
			want = "new"
		}
		if got := state(t, root, old, new); got != want {
			t.Errorf("stop %d: after Recover the tree is %s, want %s", stop, got, want)
		}
		if l := litter(t, root); len(l) != 0 {
			t.Errorf("stop %d: Recover left %v in %s", stop, l, StateDir)
		}
	}
}

// Concurrent runs take turns: every one finishes, and the tree is whole.
func TestConcurrentApply(t *testing.T) {
	root := t.TempDir()
	write(t, root, tree(t, root, 50, "v0"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for run := 1; run <= 8; run++ {
		wg.Add(1)
		go func(version string) {
			defer wg.Done()
			unlock, err := Lock(root)
			if err != nil {
				errs <- err
				return
			}
			defer unlock()
			if err := Recover(root); err != nil {
				errs <- err
				return
			}
			errs <- Apply(root, tree(t, root, 50, version))
		}(fmt.Sprintf("v%d", run))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	first, err := os.ReadFile(filepath.Join(root, "a/0/BUILD.bazel"))
	if err != nil {
		t.Fatal(err)
	}
	var version string
	fmt.Sscanf(string(first), "%s", &version)
	if got := state(t, root, tree(t, root, 50, version), tree(t, root, 50, version)); got != "old" {
		t.Errorf("after concurrent runs the tree is %s, not one run's", got)
	}
	if l := litter(t, root); len(l) != 0 {
		t.Errorf("concurrent runs left %v", l)
	}
}
