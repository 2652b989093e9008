package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderWritesThePackageFiles(t *testing.T) {
	root := checkWorkspace(t, map[string]string{"protocols/geth/TARGETS": "static\nglibc\n"})
	out := t.TempDir()
	if code, _, stderr := runForge("render", "-repo_root", root, "-protocol", "geth", "-target", "glibc", "-out", out); code != 0 {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	control, err := os.ReadFile(filepath.Join(out, "control"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Package: geth\n", "Version: 1.14.12+glibc\n", "Depends: libc6\n"} {
		if !strings.Contains(string(control), want) {
			t.Errorf("control lacks %q:\n%s", want, control)
		}
	}
	for _, name := range []string{"postinst", "prerm", "postrm", "conffiles", "layout.txt", "root/etc/default/geth", "root/usr/lib/systemd/system/geth.service"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("render wrote no %s", name)
		}
	}
	if fi, err := os.Stat(filepath.Join(out, "postinst")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("postinst is not executable: %v", fi.Mode())
	}
}

func TestRenderErrors(t *testing.T) {
	root := checkWorkspace(t, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-protocol", "nope"}, `forge render: no protocol "nope": protocols/nope has no MANIFEST`},
		{[]string{"-protocol", "geth", "-target", "jammy"}, `forge render: protocol geth has no variant "jammy" (its TARGETS: glibc)`},
	} {
		out := t.TempDir()
		code, _, stderr := runForge(append([]string{"render", "-repo_root", root, "-out", out}, tc.args...)...)
		if code != 1 || strings.TrimSpace(stderr) != tc.want {
			t.Errorf("render %v: exit %d, stderr %q; want 1, %q", tc.args, code, stderr, tc.want)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("render %v wrote files", tc.args)
		}
	}
	write(t, filepath.Join(root, "protocols/geth/VERSION"), "a\nb\n")
	out := t.TempDir()
	code, _, stderr := runForge("render", "-repo_root", root, "-protocol", "geth", "-out", out)
	if want := "protocols/geth/VERSION:2: VERSION has a second line \"b\": it must be one line, the release tag\n"; code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("render with a metadata error wrote files")
	}
}
