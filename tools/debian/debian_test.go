package debian

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// repo writes one protocol under a fresh root and loads it.
func repo(t *testing.T, files map[string]string) (*spec.Repo, *spec.Protocol) {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"BUILD.bazel":                "# gazelle:forge_maintainer Node Ops <ops@example.com>\n",
		"protocols/juno/VERSION":     "v16.0.2\n",
		"protocols/juno/MANIFEST":    "/usr/local/bin/junod\n/usr/local/lib/juno/libwasmvm.x86_64.so\n",
		"protocols/juno/README.md":   "# juno\n\nJuno, a smart-contract chain. It runs CosmWasm.\n",
		"protocols/juno/BUILD.bazel": "# gazelle:forge_upstream https://github.com/CosmosContracts/juno\n",
	}
	for k, v := range files {
		base[k] = v
	}
	for rel, content := range base {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return r, r.ByName("juno")
}

func renderDefault(t *testing.T, files map[string]string) *Package {
	t.Helper()
	r, p := repo(t, files)
	opts, err := LoadOptions(r, p)
	if err != nil {
		t.Fatal(err)
	}
	return Render(r, p, p.DefaultTarget(), platform.Default(), opts)
}

func file(t *testing.T, pkg *Package, name string) string {
	t.Helper()
	for _, f := range pkg.Files {
		if f.Name == name {
			return f.Content
		}
	}
	t.Fatalf("no rendered file %s", name)
	return ""
}

func TestControlIsWhatPkgDebWrites(t *testing.T) {
	pkg := renderDefault(t, nil)
	want := `Package: juno
Version: 16.0.2
Section: net
Priority: optional
Architecture: amd64
Depends: libc6
Maintainer: Node Ops <ops@example.com>
Description: A smart-contract chain
 Juno, a smart-contract chain. It runs CosmWasm. This package runs
 /usr/local/bin/junod as the systemd service juno.service, under the
 system user juno, with its data in /var/lib/juno.
Homepage: https://github.com/CosmosContracts/juno
`
	if got := file(t, pkg, ControlName); got != want {
		t.Errorf("control:\n%s\nwant:\n%s", got, want)
	}
	if got := pkg.Control.FileName(); got != "juno_16.0.2_amd64.deb" {
		t.Errorf("file name %s", got)
	}
}

// The arm64 package differs in its Architecture field and file name only.
func TestArm64PackageNamesItsArchitecture(t *testing.T) {
	r, p := repo(t, nil)
	opts, err := LoadOptions(r, p)
	if err != nil {
		t.Fatal(err)
	}
	arm64, _ := platform.ByOCI("linux/arm64")
	amd := Render(r, p, p.DefaultTarget(), platform.Default(), opts)
	arm := Render(r, p, p.DefaultTarget(), arm64, opts)
	if got := arm.Control.FileName(); got != "juno_16.0.2_arm64.deb" {
		t.Errorf("file name %s", got)
	}
	want := strings.Replace(file(t, amd, ControlName), "Architecture: amd64\n", "Architecture: arm64\n", 1)
	if got := file(t, arm, ControlName); got != want || got == file(t, amd, ControlName) {
		t.Errorf("arm64 control:\n%s\nwant:\n%s", got, want)
	}
	for i, f := range amd.Files {
		if f.Name != ControlName && (arm.Files[i].Name != f.Name || arm.Files[i].Content != f.Content) {
			t.Errorf("%s differs between amd64 and arm64", f.Name)
		}
	}
}

func TestStaticVariantHasNoLibcDependency(t *testing.T) {
	pkg := renderDefault(t, map[string]string{"protocols/juno/TARGETS": "static\nglibc\n"})
	if len(pkg.Control.Depends) != 0 {
		t.Errorf("static variant depends on %v", pkg.Control.Depends)
	}
	if pkg.Control.Version != "16.0.2+static" {
		t.Errorf("version %s, want 16.0.2+static for one of several variants", pkg.Control.Version)
	}
}

func TestLayoutConffilesAndLibraries(t *testing.T) {
	pkg := renderDefault(t, map[string]string{"protocols/juno/systemd.conf": "[Service]\nMemoryDenyWriteExecute=no\n"})
	wantLayout := `/etc/default/juno	root/etc/default/juno
/etc/ld.so.conf.d/juno.conf	root/etc/ld.so.conf.d/juno.conf
/usr/lib/systemd/system/juno.service	root/usr/lib/systemd/system/juno.service
/usr/lib/systemd/system/juno.service.d/10-protocol.conf	root/usr/lib/systemd/system/juno.service.d/10-protocol.conf
/usr/local/bin/junod	manifest
/usr/local/lib/juno/libwasmvm.x86_64.so	manifest
/usr/share/doc/juno/changelog.gz	root/usr/share/doc/juno/changelog.gz
/usr/share/doc/juno/copyright	root/usr/share/doc/juno/copyright
/usr/share/lintian/overrides/juno	root/usr/share/lintian/overrides/juno
`
	if got := file(t, pkg, LayoutName); got != wantLayout {
		t.Errorf("layout:\n%s\nwant:\n%s", got, wantLayout)
	}
	if got := file(t, pkg, ConffilesName); got != "/etc/default/juno\n/etc/ld.so.conf.d/juno.conf\n" {
		t.Errorf("conffiles %q", got)
	}
	if got := file(t, pkg, "root/etc/ld.so.conf.d/juno.conf"); got != "/usr/local/lib/juno\n" {
		t.Errorf("ld.so.conf entry %q", got)
	}
	if got := file(t, pkg, "root/usr/lib/systemd/system/juno.service.d/10-protocol.conf"); !strings.Contains(got, "MemoryDenyWriteExecute=no") {
		t.Errorf("drop-in %q is not the protocol's systemd.conf", got)
	}
	for _, script := range []string{PostinstName, PostrmName} {
		if !strings.Contains(file(t, pkg, script), "\tldconfig\n") {
			t.Errorf("%s does not run ldconfig for a package with libraries", script)
		}
	}
}

func TestWithoutLibrariesNoLdconfig(t *testing.T) {
	pkg := renderDefault(t, map[string]string{"protocols/juno/MANIFEST": "/usr/local/bin/junod\n"})
	for _, f := range pkg.Files {
		if strings.Contains(f.Name, "ld.so.conf") || strings.Contains(f.Content, "ldconfig") {
			t.Errorf("%s mentions ldconfig without libraries", f.Name)
		}
	}
}

func TestUnitRunsTheServiceExecutable(t *testing.T) {
	pkg := renderDefault(t, map[string]string{
		"protocols/juno/MANIFEST": "/usr/local/bin/abidump\n/usr/local/bin/junod\n",
		"protocols/juno/SERVICE":  "/usr/local/bin/junod\n",
	})
	unit := file(t, pkg, "root/usr/lib/systemd/system/juno.service")
	for _, want := range []string{
		"ExecStart=/usr/local/bin/junod $OPTIONS\n", "User=juno\n", "Group=juno\n",
		"EnvironmentFile=-/etc/default/juno\n", "KillMode=mixed\n", "Restart=always\n", "RestartSec=3\n",
		"LimitNOFILE=infinity\n", "TasksMax=16384\n", "Slice=juno.slice\n", "WantedBy=multi-user.target\n",
		"NoNewPrivileges=yes\n", "ProtectSystem=strict\n", "ReadWritePaths=/var/lib/juno\n", "ProtectHome=yes\n",
		"PrivateTmp=yes\n", "CapabilityBoundingSet=\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

func TestScriptsFollowPolicy(t *testing.T) {
	pkg := renderDefault(t, nil)
	postinst, prerm, postrm := file(t, pkg, PostinstName), file(t, pkg, PrermName), file(t, pkg, PostrmName)
	if !strings.Contains(postinst, "if ! getent passwd 'juno'") || !strings.Contains(postinst, "--home-dir '/var/lib/juno'") {
		t.Errorf("postinst does not create the user idempotently:\n%s", postinst)
	}
	if strings.Contains(postinst, "systemctl enable") {
		t.Errorf("postinst enables a service the protocol did not ask to enable")
	}
	if strings.Contains(postrm, "userdel") || strings.Contains(postrm, "rm -rf") {
		t.Errorf("postrm deletes the user or data:\n%s", postrm)
	}
	if !strings.Contains(prerm, "upgrade | failed-upgrade) ;;") {
		t.Errorf("prerm does something on upgrade:\n%s", prerm)
	}
	for name, s := range map[string]string{"postinst": postinst, "prerm": prerm, "postrm": postrm} {
		if strings.Count(s, "systemctl") != strings.Count(s, "systemctl enable")+strings.Count(s, "[ -d /run/systemd/system ]") {
			t.Errorf("%s calls systemctl without checking that systemd runs:\n%s", name, s)
		}
	}

	enabled := renderDefault(t, map[string]string{"protocols/juno/BUILD.bazel": "# gazelle:forge_enable_service true\n"})
	if !strings.Contains(file(t, enabled, PostinstName), "systemctl enable 'juno.service'") {
		t.Errorf("forge_enable_service true does not enable the service")
	}
}

// The BUILD file is written from OutlineOf, the package from Render: they
// must name the same installed files and conffiles and the same control.
func TestOutlineIsWhatRenderRenders(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"plain":              nil,
		"library and dropin": {"protocols/juno/systemd.conf": "[Service]\nMemoryMax=8G\n"},
	} {
		r, p := repo(t, files)
		opts, err := LoadOptions(r, p)
		if err != nil {
			t.Fatal(err)
		}
		pl := platform.All()[len(platform.All())-1]
		pkg := Render(r, p, p.DefaultTarget(), pl, opts)
		o := OutlineOf(r, p, p.DefaultTarget(), pl, opts)
		var rendered []string
		for _, f := range pkg.RootFiles() {
			rendered = append(rendered, f.Name)
		}
		if strings.Join(o.RootFiles, " ") != strings.Join(rendered, " ") {
			t.Errorf("%s: outline root files %v, rendered %v", name, o.RootFiles, rendered)
		}
		if strings.Join(o.Conffiles, " ") != strings.Join(pkg.Conffiles, " ") || o.Control.String() != pkg.Control.String() {
			t.Errorf("%s: outline %+v differs from the rendered conffiles %v or control", name, o, pkg.Conffiles)
		}
		if name != "plain" && len(o.RootFiles) != 7 {
			t.Errorf("%s: %d root files, want unit, default, ld.so.conf.d, drop-in, copyright, changelog, overrides", name, len(o.RootFiles))
		}
	}
}

// Free text with characters that mean something in a control file or a
// unit still renders a valid paragraph and unit: no continuation line
// starts with ".", specifiers and backslashes are escaped in the unit.
func TestHostileReadme(t *testing.T) {
	long := strings.Repeat("word ", 13)
	for _, readme := range []string{
		".NET-free node with %n specifiers and a trailing backslash \\",
		long + ".dotted words .at .every .line .start " + long + ".again",
		"{braces} $(make) `ticks` 'quotes' \"double\" ; semicolons",
	} {
		pkg := renderDefault(t, map[string]string{"protocols/juno/README.md": "# juno\n\n" + readme + "\n"})
		control := file(t, pkg, ControlName)
		for _, l := range strings.Split(control, "\n") {
			if strings.HasPrefix(l, " .") {
				t.Errorf("README %q: control line %q starts with \" .\"", readme, l)
			}
		}
		unit := file(t, pkg, "root"+UnitPath("juno"))
		for _, l := range strings.Split(unit, "\n") {
			if strings.HasSuffix(l, `\`) && !strings.HasSuffix(l, `\\`) {
				t.Errorf("README %q: unit line %q continues onto the next", readme, l)
			}
			if strings.HasPrefix(l, "Description=") && strings.Contains(strings.ReplaceAll(l, "%%", ""), "%") {
				t.Errorf("README %q: unit line %q has a specifier", readme, l)
			}
		}
	}
}

// A synopsis cut from a first sentence longer than a line never equals the
// extended description's first line (lintian's
// description-synopsis-is-duplicated), as op-geth's did.
func TestSynopsisIsNotTheFirstExtendedLine(t *testing.T) {
	pkg := renderDefault(t, map[string]string{"protocols/juno/README.md": "# juno\n\nThe execution client of OP Stack chains (Optimism, Base, ...): go-ethereum with the rollup's changes.\n"})
	lines := strings.Split(pkg.Control.Description, "\n")
	if len(lines) < 2 || lines[0] == lines[1] {
		t.Errorf("synopsis repeated as the first extended line:\n%s", pkg.Control.Description)
	}
	if strings.Count(lines[0], "(") != strings.Count(lines[0], ")") {
		t.Errorf("synopsis %q leaves a parenthesis open", lines[0])
	}
}
