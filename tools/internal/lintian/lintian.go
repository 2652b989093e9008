// Package lintian runs Debian's lintian over .deb files for the realtools
// tests, and fails a test on every error tag it reports.
package lintian

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// NoErrors runs lintian over debs and reports each "E:" line as a test
// error; warnings and notes are only logged. A lintian that fails without
// printing an error tag fails the test too.
func NoErrors(t testing.TB, debs ...string) {
	t.Helper()
	out, err := exec.Command("lintian", append([]string{"--tag-display-limit", "0"}, debs...)...).CombinedOutput()
	t.Logf("lintian:\n%s", out)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") {
			t.Errorf("lintian error: %s", line)
		}
	}
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 0 && !strings.Contains(string(out), "E: ")) {
		t.Errorf("lintian failed without reporting an error tag: %v", err)
	}
}
