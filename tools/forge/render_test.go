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
	// Bazel creates the directories of declared outputs before the action.
	if err := os.MkdirAll(filepath.Join(out, "root/usr/lib/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runForge("render", "-repo_root", root, "-protocol", "geth", "-target", "glibc", "-arch", "arm64", "-out", out); code != 0 {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	control, err := os.ReadFile(filepath.Join(out, "control"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Package: geth\n", "Version: 1.14.12+glibc\n", "Architecture: arm64\n", "Depends: libc6\n"} {
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
		{[]string{"-protocol", "geth", "-arch", "riscv64"}, `forge render: -arch "riscv64": geth is built for amd64, arm64`},
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

// render reads only the protocol it renders: Bazel's action declares that
// protocol's files alone, so another protocol's mistake must not fail it.
func TestRenderReadsOnlyItsProtocol(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/broken/MANIFEST"), "bin/relative\n")
	write(t, filepath.Join(root, "protocols/broken/VERSION"), "a\nb\n")
	out := t.TempDir()
	if code, _, stderr := runForge("render", "-repo_root", root, "-protocol", "geth", "-out", out); code != 0 {
		t.Fatalf("render geth beside a broken protocol: exit %d: %s", code, stderr)
	}
	description, err := os.ReadFile(filepath.Join(out, "description"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSuffix(string(description), "\n"), "\n"); len(lines) < 2 || lines[0] == "" {
		t.Errorf("description is not a synopsis line and an extended description:\n%s", description)
	}
	code, _, stderr := runForge("render", "-repo_root", root, "-protocol", "broken", "-out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "protocols/broken/MANIFEST:1:") {
		t.Errorf("render of the broken protocol: exit %d, stderr %q; want its MANIFEST error", code, stderr)
	}
}

// render never writes through a symlink placed where one of its files goes,
// and renders only a protocol named as such.
func TestRenderRefusesHostileOutput(t *testing.T) {
	root := checkWorkspace(t, nil)
	victim := filepath.Join(t.TempDir(), "victim")
	write(t, victim, "precious\n")
	os.Chmod(victim, 0o600)

	withLink := t.TempDir()
	if err := os.Symlink(victim, filepath.Join(withLink, "control")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-protocol", "geth", "-out", withLink}, "control: file exists"},
		{[]string{"-protocol", "geth/../btcd", "-out", t.TempDir()}, `-protocol "geth/../btcd" is not a protocol name`},
	} {
		code, _, stderr := runForge(append([]string{"render", "-repo_root", root}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("render %v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "precious\n" {
		t.Errorf("render wrote through a symlink: victim is %q", data)
	}
	if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o600 {
		t.Errorf("render changed the victim's mode to %v", fi.Mode().Perm())
	}
}

// A MANIFEST path the .deb installs itself is an error of that line.
func TestRenderRejectsPathsThePackageOwns(t *testing.T) {
	root := checkWorkspace(t, nil)
	write(t, filepath.Join(root, "protocols/geth/MANIFEST"), "/usr/local/bin/geth\n/usr/lib/systemd/system/geth.service\n")
	code, _, stderr := runForge("render", "-repo_root", root, "-protocol", "geth", "-out", t.TempDir())
	if want := "protocols/geth/MANIFEST:2: /usr/lib/systemd/system/geth.service collides with /usr/lib/systemd/system/geth.service, which the .deb installs or creates itself\n"; code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
}

// Bazel's sandboxes give the render action its declared inputs as symlinks
// to the files in the source tree, outside the action's root: render reads
// them (a checkout's symlinks out of the repository stay errors).
func TestRenderInASandboxLayout(t *testing.T) {
	source := checkWorkspace(t, map[string]string{
		"protocols/geth/README.md": "# geth\n\nGo Ethereum, the execution client of Ethereum.\n",
		"protocols/geth/TARGETS":   "static\n",
	})
	execroot := t.TempDir()
	for _, rel := range []string{"BUILD.bazel", "protocols/geth/BUILD.bazel", "protocols/geth/MANIFEST", "protocols/geth/VERSION", "protocols/geth/TARGETS", "protocols/geth/README.md"} {
		link := filepath.Join(execroot, rel)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(source, rel), link); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(execroot, "bazel-out/k8-fastbuild/bin/protocols/geth/deb_files_static")
	code, _, stderr := runForge("render", "-repo_root", execroot, "-protocol", "geth", "-target", "static", "-out", out)
	if code != 0 {
		t.Fatalf("render in a sandbox layout: exit %d: %s", code, stderr)
	}
	want := t.TempDir()
	if code, _, stderr := runForge("render", "-repo_root", source, "-protocol", "geth", "-target", "static", "-out", want); code != 0 {
		t.Fatalf("render in the checkout: exit %d: %s", code, stderr)
	}
	if d := diffTrees(snapshot(t, want), snapshot(t, out)); len(d) > 0 {
		t.Errorf("the sandbox layout renders differently: %v", d)
	}
}
