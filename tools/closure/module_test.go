package closure

import (
	"fmt"
	"testing"
)

// The platforms a registered zig_sdk label gives a C toolchain, for each
// name hermetic_cc_toolchain v4.3.0 declares and the wildcards Bazel
// expands; libc_aware toolchains need a libc constraint rules_go's
// platforms do not set, so they give none.
func TestToolchainPlatforms(t *testing.T) {
	for _, c := range []struct {
		label string
		want  string
	}{
		{"@zig_sdk//toolchain:linux_amd64_gnu.2.36", "[linux_amd64]"},
		{"@zig_sdk//toolchain:linux_arm64_gnu.2.36", "[linux_arm64]"},
		{"@zig_sdk//toolchain:linux_arm64_musl", "[linux_arm64]"},
		{"@zig_sdk//toolchain:x86_64-linux-gnu.2.36", "[linux_amd64]"},
		{"@zig_sdk//toolchain:aarch64-linux-gnu.2.36", "[linux_arm64]"},
		{"@zig_sdk//toolchain:darwin_arm64", "[]"},
		{"@zig_sdk//toolchain:all", "[linux_amd64 linux_arm64]"},
		{"@zig_sdk//...", "[linux_amd64 linux_arm64]"},
		{"@zig_sdk//toolchain/...:all", "[linux_amd64 linux_arm64]"},
		{"@zig_sdk//libc_aware/toolchain:linux_arm64_gnu.2.36", "[]"},
	} {
		if got := fmt.Sprint(toolchainPlatforms(c.label)); got != c.want {
			t.Errorf("toolchainPlatforms(%q) = %s, want %s", c.label, got, c.want)
		}
	}
}
