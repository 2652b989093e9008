package variant

import (
	"slices"
	"testing"
)

func TestConstraintsNameThePlatformsModulesValues(t *testing.T) {
	for platform, want := range map[string][]string{
		"linux_amd64": {"@platforms//os:linux", "@platforms//cpu:x86_64"},
		"linux_arm64": {"@platforms//os:linux", "@platforms//cpu:aarch64"},
	} {
		if got := Constraints(platform); !slices.Equal(got, want) {
			t.Errorf("Constraints(%q) = %v, want %v", platform, got, want)
		}
	}
}
