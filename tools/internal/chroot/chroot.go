// Package chroot gives the realtools tests a minimal Debian 12 system to
// install packages into: made once with debootstrap, kept in $FORGE_CACHE,
// copied for each test that changes it.
package chroot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CacheDir holds the debootstrapped tree; building it takes minutes,
// copying it seconds. $FORGE_CACHE, by default /var/cache/protocol-forge.
func CacheDir() string {
	if dir := os.Getenv("FORGE_CACHE"); dir != "" {
		return dir
	}
	return "/var/cache/protocol-forge"
}

// Bookworm returns a fresh copy of a minimal Debian 12 system (debootstrap
// --variant=minbase), made once from $FORGE_DEBIAN_MIRROR (default
// deb.debian.org) and kept in the cache.
func Bookworm(t testing.TB) string {
	t.Helper()
	cached := filepath.Join(CacheDir(), "bookworm")
	if _, err := os.Stat(filepath.Join(cached, "usr/bin/dpkg")); err != nil {
		mirror := os.Getenv("FORGE_DEBIAN_MIRROR")
		if mirror == "" {
			mirror = "http://deb.debian.org/debian"
		}
		tmp := cached + ".tmp"
		os.RemoveAll(tmp)
		if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Logf("debootstrap bookworm into %s (once; later runs copy it)", cached)
		run(t, "debootstrap", "--variant=minbase", "bookworm", tmp, mirror)
		if err := os.Rename(tmp, cached); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "root")
	run(t, "cp", "-a", cached, dir)
	return dir
}

// Run runs a shell script inside root and returns its output, trimmed; the
// test fails if the script does.
func Run(t testing.TB, root, script string) string {
	t.Helper()
	out, err := Output(root, script)
	if err != nil {
		t.Fatalf("in the chroot: %s: %v\n%s", script, err, out)
	}
	return out
}

// Output runs a shell script inside root and returns its combined output,
// trimmed, and its error.
func Output(root, script string) (string, error) {
	out, err := exec.Command("chroot", root, "/bin/sh", "-ec", script).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
