package cache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStoreRoundTripsPerRepository(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := Dir("test")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if Load(dir, "/repo/a", &got) {
		t.Fatal("Load found a store before any Save")
	}
	if err := Save(dir, "/repo/a", map[string]string{"k": "a"}); err != nil {
		t.Fatal(err)
	}
	if err := Save(dir, "/repo/b", map[string]string{"k": "b"}); err != nil {
		t.Fatal(err)
	}
	if !Load(dir, "/repo/a", &got) || got["k"] != "a" {
		t.Errorf("Load(/repo/a) = %v", got)
	}
	// A store nobody read for a while is trimmed by the next Save.
	old := time.Now().Add(-2 * unused)
	for _, f := range []string{storeFile(dir, "/repo/b"), filepath.Join(dir, ".trimmed")} {
		if err := os.Chtimes(f, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := Save(dir, "/repo/a", map[string]string{"k": "a2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(storeFile(dir, "/repo/b")); !os.IsNotExist(err) {
		t.Errorf("an unused store was not trimmed: %v", err)
	}
}

func TestExecutableIsStable(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	a, err := hashExecutable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := hashExecutable() // from the memo
	if err != nil || a != b || len(a) != 64 {
		t.Errorf("hashExecutable = %q then %q, %v", a, b, err)
	}
}
