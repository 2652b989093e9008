package debversion

import (
	"os/exec"
	"testing"
)

func TestFromTag(t *testing.T) {
	for _, tc := range []struct{ tag, want string }{
		{"1.35.0", "1.35.0"},
		{"v1.9.5", "1.9.5"},
		{"V2", "2"},
		{"v0.3.0-dev", "0.3.0~dev"},
		{"v1.0.0-rc.1", "1.0.0~rc.1"},
		{"035-taygete", "035~taygete"},
		{"1.2.", "1.2"},
		{"Hack-v2", "0+Hack.v2"},
		{"pismoC", "0+pismoC"},
		{"RC-0.10.4", "0+RC.0.10.4"},
		{"adhoc_20230829", "0+adhoc.20230829"},
		{"devnet-v1.1.0", "0+devnet.v1.1.0"},
		{"latest", "0+latest"},
		{"v", "0+v"},
	} {
		if got := FromTag(tc.tag); got != tc.want {
			t.Errorf("FromTag(%q) = %q, want %q", tc.tag, got, tc.want)
		}
	}
}

// dpkg is the authority on what a Debian version is and how two compare.
func dpkg(t *testing.T, args ...string) bool {
	t.Helper()
	path, err := exec.LookPath("dpkg")
	if err != nil {
		t.Fatalf("dpkg is needed to check Debian versions: %v", err)
	}
	err = exec.Command(path, args...).Run()
	if _, failed := err.(*exec.ExitError); err != nil && !failed {
		t.Fatal(err)
	}
	return err == nil
}

func TestVersionsAreValidForDpkg(t *testing.T) {
	for _, tag := range []string{"1.35.0", "v1.9.5", "v0.3.0-dev", "Hack-v2", "pismoC",
		"RC-0.10.4", "adhoc_20230829", "035-taygete", "devnet-v1.1.0", "agoric-upgrade-7-2", "latest", "1.2."} {
		v := FromTag(tag)
		if !dpkg(t, "--validate-version", v) {
			t.Errorf("FromTag(%q) = %q, which dpkg rejects", tag, v)
		}
	}
}

func TestReleasesOrderAsUpstream(t *testing.T) {
	for _, pair := range [][2]string{
		{"v0.3.0-dev", "v0.3.0"},
		{"v1.0.0-rc1", "v1.0.0-rc2"},
		{"v1.9.5", "v1.10.0"},
		{"v1.10.0", "v2.0.0"},
		{"agoric-upgrade-7-2", "agoric-upgrade-10"},
		{"pismoA", "pismoC"},
		{"Hack-v2", "Hack-v10"},
		{"Hack-v2", "v0.1.0"},
		{"035-taygete", "036-iocaste"},
		{"latest", "0.0.1"},
	} {
		older, newer := FromTag(pair[0]), FromTag(pair[1])
		if !dpkg(t, "--compare-versions", older, "lt", newer) {
			t.Errorf("%s (%s) does not sort before %s (%s)", pair[0], older, pair[1], newer)
		}
	}
}

// Compare agrees with dpkg on every pair of a set of tags' versions.
func TestCompareAgreesWithDpkg(t *testing.T) {
	tags := []string{"v0.3.0-dev", "v0.3.0", "v1.0.0-rc1", "v1.0.0-rc2", "v1.0.0", "v1.9.5", "v1.10.0", "Hack-v2", "Hack-v10",
		"agoric-upgrade-7-2", "agoric-upgrade-10", "pismoA", "pismoC", "035-taygete", "036-iocaste", "latest", "1.2.", "v2"}
	for _, a := range tags {
		for _, b := range tags {
			va, vb := FromTag(a), FromTag(b)
			got := Compare(va, vb)
			want := 0
			if dpkg(t, "--compare-versions", va, "lt", vb) {
				want = -1
			} else if dpkg(t, "--compare-versions", va, "gt", vb) {
				want = 1
			}
			if got != want {
				t.Errorf("Compare(%q, %q) = %d, dpkg says %d", va, vb, got, want)
			}
		}
	}
}
