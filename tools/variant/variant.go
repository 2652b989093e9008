// Package variant is the one table of build variants a protocol may name in
// its TARGETS file: which distroless base an image starts from and which
// Debian or Ubuntu release its .deb is for.
package variant

import (
	"sort"
	"strconv"
	"strings"
)

// Variant is one runtime a protocol can be built for.
type Variant struct {
	// Name is what a TARGETS line says, and the prefix of the image tag.
	Name string
	// Base is the name of MODULE.bazel's oci.pull of the image's base;
	// each platform's image starts from its repository of it
	// (platform.Platform.BaseRepository).
	Base string
	// Distribution is the release codename written into the .deb.
	Distribution string
	// Libc is true when binaries of this variant link the C library
	// dynamically, so the .deb depends on libc6.
	Libc bool
	// Glibc is the version of glibc the variant's runtime has: the
	// distribution's (Debian 12: 2.36, as in distroless cc-debian12).
	Glibc string
	// Doc says in one line what the variant is for; forge prints it when a
	// TARGETS line names an unknown variant.
	Doc string
}

// The distroless images are pinned once, in MODULE.bazel; these are the names
// of the repositories those pins create.
const (
	staticBase = "distroless_static"
	glibcBase  = "distroless_cc"
)

// all lists every known variant. The first two are the ones new protocols
// should use; the Ubuntu codenames keep the TARGETS files of the
// Dockerfile-based system readable: their binaries run on the glibc base, and
// their .deb is marked for that Ubuntu release.
var all = []Variant{
	{Name: "static", Base: staticBase, Distribution: "bookworm", Libc: false,
		Doc: "statically linked binaries on distroless static-debian12"},
	{Name: "glibc", Base: glibcBase, Distribution: "bookworm", Libc: true, Glibc: "2.36",
		Doc: "glibc-linked binaries on distroless cc-debian12 (Debian 12)"},
	{Name: "bionic", Base: glibcBase, Distribution: "bionic", Libc: true, Glibc: "2.27",
		Doc: "glibc-linked binaries, .deb for Ubuntu 18.04"},
	{Name: "focal", Base: glibcBase, Distribution: "focal", Libc: true, Glibc: "2.31",
		Doc: "glibc-linked binaries, .deb for Ubuntu 20.04"},
	{Name: "jammy", Base: glibcBase, Distribution: "jammy", Libc: true, Glibc: "2.35",
		Doc: "glibc-linked binaries, .deb for Ubuntu 22.04"},
}

// ToolchainGlibc is the glibc the C/C++ toolchains MODULE.bazel registers
// link against (@zig_sdk//toolchain:linux_<arch>_gnu.<ToolchainGlibc>):
// a cgo binary may need any symbol version up to it, so its .deb depends
// on libc6 of at least this version and only variants with this glibc or
// newer can ship it.
const ToolchainGlibc = "2.36"

// OlderGlibc says whether glibc version a ("2.35") is older than b.
func OlderGlibc(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// DefaultName is the variant of a protocol without a TARGETS file. The system
// we replace shipped every protocol on a glibc base, and most nodes in it
// load shared libraries (libwasmvm), so glibc is the safe default.
const DefaultName = "glibc"

// Lookup returns the variant called name.
func Lookup(name string) (Variant, bool) {
	for _, v := range all {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Default returns the variant of a protocol without a TARGETS file.
func Default() Variant {
	v, _ := Lookup(DefaultName)
	return v
}

// All returns every known variant, in table order.
func All() []Variant {
	return append([]Variant(nil), all...)
}

// Bases returns the distinct base repositories, sorted, for checking that
// MODULE.bazel pulls each of them.
func Bases() []string {
	seen := map[string]bool{}
	var bases []string
	for _, v := range all {
		if !seen[v.Base] {
			seen[v.Base] = true
			bases = append(bases, v.Base)
		}
	}
	sort.Strings(bases)
	return bases
}

// Names returns the known names joined for an error message.
func Names() string {
	names := make([]string, len(all))
	for i, v := range all {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}
