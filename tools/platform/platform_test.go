package platform

import (
	"strings"
	"testing"
)

// The names other tools expect: rules_oci's repository of a base on each
// platform, rules_go's platform label, and the file suffixes that keep the
// amd64 names as they were.
func TestNames(t *testing.T) {
	amd64, ok := ByOCI("linux/amd64")
	if !ok {
		t.Fatal("no linux/amd64")
	}
	arm64, ok := ByOCI("linux/arm64")
	if !ok {
		t.Fatal("no linux/arm64")
	}
	for _, c := range []struct{ got, want string }{
		{amd64.BaseRepository("distroless_static"), "distroless_static_linux_amd64"},
		{arm64.BaseRepository("distroless_cc"), "distroless_cc_linux_arm64_v8"},
		{arm64.RulesGo(), "@rules_go//go/toolchain:linux_arm64"},
		{amd64.FileSuffix(), ""},
		{arm64.FileSuffix(), "-linux-arm64"},
		{arm64.Debian, "arm64"},
		{Default().Name, "linux_amd64"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if _, ok := ByOCI("linux/arm64/v8"); ok {
		t.Error("linux/arm64/v8 is a pull platform, not a directive value")
	}
	if p, ok := ByName("linux_arm64"); !ok || p.OCI != "linux/arm64" {
		t.Errorf("ByName(linux_arm64) = %v, %v", p, ok)
	}
}

// A binary of another architecture runs under its qemu.
func TestCommand(t *testing.T) {
	for _, p := range All() {
		argv := p.Command("/bin/x", "version")
		if p.Native() {
			if argv[0] != "/bin/x" {
				t.Errorf("%s is native but runs %v", p.Name, argv)
			}
		} else if argv[0] != p.Qemu || argv[1] != "/bin/x" || argv[2] != "version" {
			t.Errorf("%s runs %v", p.Name, argv)
		}
	}
}

func TestConstraintsNameThePlatformsModulesValues(t *testing.T) {
	want := map[string]string{
		"linux_amd64": "@platforms//os:linux @platforms//cpu:x86_64",
		"linux_arm64": "@platforms//os:linux @platforms//cpu:aarch64",
	}
	for _, p := range All() {
		if got := strings.Join(p.Constraints(), " "); got != want[p.Name] {
			t.Errorf("%s: %s, want %s", p.Name, got, want[p.Name])
		}
	}
}
