//go:build realtools

package debian

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	forgechroot "github.com/protocol-forge/protocol-forge/tools/internal/chroot"
	"github.com/protocol-forge/protocol-forge/tools/internal/lintian"
)

// fixture renders the test protocol "forgetest" at version, with a shared
// library in its MANIFEST so that the ld.so.conf path is exercised too.
func fixture(t *testing.T, version string, extra map[string]string) *Package {
	t.Helper()
	files := map[string]string{
		"protocols/juno/VERSION":  version + "\n",
		"protocols/juno/MANIFEST": "/usr/local/bin/junod\n/usr/local/lib/juno/libjuno.so.1\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	return renderDefault(t, files)
}

// stage lays out a package tree: DEBIAN/ from the rendered control files,
// the rendered installed files, and stub MANIFEST content.
func stage(t *testing.T, pkg *Package) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, content string, mode os.FileMode) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range pkg.Files {
		switch {
		case f.Path != "":
			write(f.Path, f.Content, f.Mode)
		case f.Name == LayoutName:
		default:
			write("DEBIAN/"+f.Name, f.Content, f.Mode)
		}
	}
	write("usr/local/bin/junod", "#!/bin/sh\necho \"junod "+pkg.Control.Version+"\"\n", 0o755)
	write("usr/local/lib/juno/libjuno.so.1", "", 0o644)
	return dir
}

func buildDeb(t *testing.T, pkg *Package) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), pkg.Control.FileName())
	run(t, "dpkg-deb", "--root-owner-group", "--build", stage(t, pkg), out)
	return out
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestShellcheckEveryScript(t *testing.T) {
	variants := map[string]*Package{
		"libraries": fixture(t, "v1.0.0", nil),
		"enabled":   fixture(t, "v1.0.0", map[string]string{"protocols/juno/BUILD.bazel": "# gazelle:forge_enable_service true\n"}),
		"plain":     fixture(t, "v1.0.0", map[string]string{"protocols/juno/MANIFEST": "/usr/local/bin/junod\n"}),
	}
	for name, pkg := range variants {
		dir := t.TempDir()
		for _, script := range Scripts {
			p := filepath.Join(dir, script)
			if err := os.WriteFile(p, []byte(file(t, pkg, script)), 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("shellcheck", "--shell=sh", "--severity=style", p).CombinedOutput(); err != nil {
				t.Errorf("%s %s: shellcheck: %v\n%s", name, script, err, out)
			}
		}
	}
}

func TestSystemdAnalyzeVerifiesTheUnit(t *testing.T) {
	pkg := fixture(t, "v1.0.0", map[string]string{"protocols/juno/systemd.conf": "[Service]\nMemoryDenyWriteExecute=no\n"})
	verifyUnit(t, pkg)
}

// Specifiers, a trailing backslash and variables in the README and the
// upstream address reach the unit escaped: systemd reads it without a
// complaint (a swallowed line or a bad specifier would be reported).
func TestSystemdAnalyzeVerifiesAHostileUnit(t *testing.T) {
	pkg := fixture(t, "v1.0.0", map[string]string{
		"protocols/juno/README.md":   "# juno\n\nJuno %n of %i and %Z with ${OPTIONS} and 100%% uptime \\\n",
		"protocols/juno/BUILD.bazel": "# gazelle:forge_upstream https://example.com/juno%20docs/%25n\n",
	})
	verifyUnit(t, pkg)
}

func verifyUnit(t *testing.T, pkg *Package) {
	t.Helper()
	root := t.TempDir()
	// verify resolves the unit's dependencies (sysinit.target, ...) in the
	// root, so the host's units go there beside ours and a stub ExecStart.
	if err := os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "cp", "-r", "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/"))
	tree := stage(t, pkg)
	run(t, "cp", "-r", tree+"/.", root)
	unit := filepath.Join(root, "usr/lib/systemd/system/juno.service")
	out, err := exec.Command("systemd-analyze", "verify", "--root="+root, unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestLintianFindsNoErrors(t *testing.T) {
	deb := buildDeb(t, fixture(t, "v1.0.0", nil))
	lintian.NoErrors(t, deb)
}

// chroot runs a shell command inside root and returns its output.
func chroot(t *testing.T, root, script string) string {
	t.Helper()
	return forgechroot.Run(t, root, script)
}

func exists(root, path string) bool {
	_, err := os.Lstat(filepath.Join(root, path))
	return err == nil
}

// The package goes through install, upgrade, remove, reinstall and purge in
// a Debian 12 chroot without systemd, keeping the operator's settings and
// data wherever Debian policy says it must.
func TestLifecycleInDebootstrapChroot(t *testing.T) {
	root := forgechroot.Bookworm(t)
	v1, v2 := buildDeb(t, fixture(t, "v1.0.0", nil)), buildDeb(t, fixture(t, "v1.1.0", nil))
	run(t, "cp", v1, filepath.Join(root, "tmp/v1.deb"))
	run(t, "cp", v2, filepath.Join(root, "tmp/v2.deb"))

	const (
		defaults = "/etc/default/juno"
		unitPath = "/usr/lib/systemd/system/juno.service"
		binary   = "/usr/local/bin/junod"
		data     = "/var/lib/juno/data"
		ldconf   = "/etc/ld.so.conf.d/juno.conf"
		edit     = `OPTIONS="--operator-setting"`
	)
	userIs := func(step string) {
		t.Helper()
		if got := chroot(t, root, "getent passwd juno | cut -d: -f6,7"); got != "/var/lib/juno:/usr/sbin/nologin" {
			t.Errorf("%s: user juno has home:shell %q, want /var/lib/juno:/usr/sbin/nologin", step, got)
		}
	}
	dataKept := func(step string) {
		t.Helper()
		if got := chroot(t, root, "cat "+data); got != "chain data" {
			t.Errorf("%s: %s holds %q, want the data written after install", step, data, got)
		}
	}
	editKept := func(step string) {
		t.Helper()
		if got := chroot(t, root, "tail -n 1 "+defaults); got != edit {
			t.Errorf("%s: %s ends with %q, want the operator's edit %q", step, defaults, got, edit)
		}
	}

	// Install.
	chroot(t, root, "dpkg -i /tmp/v1.deb")
	userIs("install")
	if got := chroot(t, root, "stat -c %U:%G:%a /var/lib/juno"); got != "juno:juno:750" {
		t.Errorf("install: /var/lib/juno is %s, want juno:juno:750", got)
	}
	for _, p := range []string{defaults, unitPath, binary, ldconf} {
		if !exists(root, p) {
			t.Errorf("install: %s missing", p)
		}
	}
	if got := chroot(t, root, binary); got != "junod 1.0.0" {
		t.Errorf("install: %s says %q", binary, got)
	}
	if got := chroot(t, root, "ldconfig -p | grep -c /usr/local/lib/juno || true"); got == "0" {
		t.Logf("ldconfig lists no juno library (the stub is no ELF file); the search path is %s", chroot(t, root, "cat "+ldconf))
	}
	chroot(t, root, fmt.Sprintf("echo '%s' >> %s && echo 'chain data' > %s && chown juno:juno %s", edit, defaults, data, data))

	// Upgrade.
	chroot(t, root, "dpkg -i /tmp/v2.deb")
	userIs("upgrade")
	dataKept("upgrade")
	editKept("upgrade")
	if got := chroot(t, root, binary); got != "junod 1.1.0" {
		t.Errorf("upgrade: %s says %q, want the new version", binary, got)
	}
	if !exists(root, unitPath) {
		t.Errorf("upgrade: unit %s missing", unitPath)
	}

	// Remove: binaries and the unit go; user, data and conffiles stay.
	chroot(t, root, "dpkg -r juno")
	userIs("remove")
	dataKept("remove")
	editKept("remove")
	for _, p := range []string{binary, unitPath} {
		if exists(root, p) {
			t.Errorf("remove: %s still there", p)
		}
	}
	if !exists(root, ldconf) {
		t.Errorf("remove: conffile %s deleted", ldconf)
	}

	// Reinstall keeps the edited conffile.
	chroot(t, root, "dpkg -i /tmp/v2.deb")
	userIs("reinstall")
	dataKept("reinstall")
	editKept("reinstall")
	if !exists(root, unitPath) || !exists(root, binary) {
		t.Errorf("reinstall: unit or binary missing")
	}

	// Purge: conffiles go; the user and the chain data stay (documented).
	chroot(t, root, "dpkg -P juno")
	for _, p := range []string{defaults, ldconf, unitPath, binary} {
		if exists(root, p) {
			t.Errorf("purge: %s still there", p)
		}
	}
	userIs("purge")
	dataKept("purge")
	if got := chroot(t, root, "dpkg-query -W -f='${db:Status-Abbrev}' juno 2>/dev/null || true"); strings.TrimSpace(got) != "" && !strings.HasPrefix(got, "un") && !strings.HasPrefix(got, "pn") {
		t.Errorf("purge: dpkg still knows juno as %q", got)
	}

	// A purge of a package whose data directory is empty removes it.
	chroot(t, root, "dpkg -i /tmp/v2.deb && rm -f "+data+" && dpkg -P juno")
	if exists(root, "/var/lib/juno") {
		t.Errorf("purge with no data left /var/lib/juno behind")
	}
}
