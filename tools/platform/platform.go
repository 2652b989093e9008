// Package platform is the one table of the platforms a protocol's images,
// archives and .debs are built for, with every name each tool gives them:
// Bazel's platform, the OCI platform, GOARCH, Debian's architecture, the
// ELF machine and the suffixes of target names, files and upload keys.
package platform

import (
	"debug/elf"
	"runtime"
	"strings"
)

// Platform is one operating system and CPU the artifacts run on.
type Platform struct {
	// Name is the platform as Bazel and rules_oci spell it in names:
	// "<os>_<arch>". Per-platform targets end in "_<Name>".
	Name string
	// OCI is the platform as images and `docker --platform` name it, and
	// the value of the forge_platforms directive.
	OCI string
	// Pull is the platform oci.pull lists for a base image: it must equal
	// the "os/architecture[/variant]" of a manifest in the base's index
	// (rules_oci 2.3.2 oci/private/pull.bzl:219-232), and distroless's
	// arm64 images carry the variant v8.
	Pull string
	// GOOS and GOARCH are what plain go builds the binaries with.
	GOOS, GOARCH string
	// Debian is the .deb's Architecture field and file-name part.
	Debian string
	// CPU is the platforms module's cpu constraint value
	// (@platforms//cpu:<CPU>).
	CPU string
	// Machine is the ELF machine type of the binaries.
	Machine elf.Machine
	// Qemu is the user-mode emulator (Debian's qemu-user-static) that runs
	// the platform's binaries on a host of another architecture.
	Qemu string
	// CrossCC is the C compiler Debian's cross toolchain for the platform
	// installs (gcc-aarch64-linux-gnu, gcc-x86-64-linux-gnu): what plain
	// go builds a cgo binary of the platform with on a host of another
	// architecture, where Bazel uses zig's toolchain for the platform.
	CrossCC string
	// CrossRoot is where that toolchain's C library is (libc6-arm64-cross,
	// libc6-amd64-cross): the platform's glibc 2.36 on a Debian 12 host of
	// another architecture, and qemu's QEMU_LD_PREFIX for its dynamically
	// linked binaries.
	CrossRoot string
}

// RulesGo is the rules_go platform the binaries are built for: Go's
// platform without cgo (rules_go 0.64.2 go/private/platforms.bzl:174-187,
// the cgo_off constraint), so every binary is pure Go and static.
func (p Platform) RulesGo() string { return "@rules_go//go/toolchain:" + p.Name }

// RulesGoCgo is the rules_go platform of a cgo protocol's binaries: the
// platform's with the cgo_on constraint (rules_go 0.64.2
// go/private/platforms.bzl:202-207), under which rules_go links C with the
// C/C++ toolchain the platform resolves to (MODULE.bazel registers zig's).
func (p Platform) RulesGoCgo() string { return p.RulesGo() + "_cgo" }

// Constraints are the platform's constraint values in the platforms
// module: what a test that runs the platform's binaries on the host declares
// in target_compatible_with, so that Bazel skips it on other hosts and says
// so.
func (p Platform) Constraints() []string {
	return []string{"@platforms//os:" + p.GOOS, "@platforms//cpu:" + p.CPU}
}

// BaseRepository is the repository MODULE.bazel's oci.pull creates for
// base's image on this platform: the pull's name and the platform's parts
// joined with "_" (rules_oci 2.3.2 oci/pull.bzl:261,
// oci/extensions.bzl:66-67).
func (p Platform) BaseRepository(base string) string {
	return strings.Join(append([]string{base}, strings.Split(p.Pull, "/")...), "_")
}

// FileSuffix is what a per-platform file name or upload directory carries
// after its amd64 form: nothing for linux/amd64, whose archives and upload
// keys keep the names they had before there were other platforms.
func (p Platform) FileSuffix() string {
	if p.Name == Default().Name {
		return ""
	}
	return "-" + strings.ReplaceAll(p.Name, "_", "-")
}

// Native says whether this host runs the platform's binaries itself.
func (p Platform) Native() bool { return runtime.GOOS == p.GOOS && runtime.GOARCH == p.GOARCH }

// Command is the argv that runs bin with args on this host: bin itself on
// the platform, else under the platform's qemu (binfmt_misc may be set up or
// not; calling qemu by name works either way).
func (p Platform) Command(bin string, args ...string) []string {
	if p.Native() {
		return append([]string{bin}, args...)
	}
	return append([]string{p.Qemu, bin}, args...)
}

// all lists the platforms in the order artifacts are listed.
var all = []Platform{
	{Name: "linux_amd64", OCI: "linux/amd64", Pull: "linux/amd64", GOOS: "linux", GOARCH: "amd64",
		Debian: "amd64", CPU: "x86_64", Machine: elf.EM_X86_64, Qemu: "qemu-x86_64-static",
		CrossCC: "x86_64-linux-gnu-gcc", CrossRoot: "/usr/x86_64-linux-gnu"},
	{Name: "linux_arm64", OCI: "linux/arm64", Pull: "linux/arm64/v8", GOOS: "linux", GOARCH: "arm64",
		Debian: "arm64", CPU: "aarch64", Machine: elf.EM_AARCH64, Qemu: "qemu-aarch64-static",
		CrossCC: "aarch64-linux-gnu-gcc", CrossRoot: "/usr/aarch64-linux-gnu"},
}

// All returns every platform, amd64 first.
func All() []Platform { return append([]Platform(nil), all...) }

// Default is the platform of a protocol's unsuffixed names: its archive
// and upload keys, and the image `:load` takes on a host that is neither
// of the platforms.
func Default() Platform { return all[0] }

// ByOCI returns the platform an OCI platform string names.
func ByOCI(oci string) (Platform, bool) {
	for _, p := range all {
		if p.OCI == oci {
			return p, true
		}
	}
	return Platform{}, false
}

// ByName returns the platform called name ("linux_arm64").
func ByName(name string) (Platform, bool) {
	for _, p := range all {
		if p.Name == name {
			return p, true
		}
	}
	return Platform{}, false
}

// ByDebian returns the platform of a Debian architecture; "" is the
// default platform's, as a deb_files rule without `architecture` renders.
func ByDebian(arch string) (Platform, bool) {
	if arch == "" {
		return Default(), true
	}
	for _, p := range all {
		if p.Debian == arch {
			return p, true
		}
	}
	return Platform{}, false
}

// OCINames returns the directive values, for an error message.
func OCINames() string {
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.OCI
	}
	return strings.Join(names, ", ")
}
