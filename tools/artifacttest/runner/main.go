// Command runner is the executable of the generated layer_run_test and
// deb_test targets; the environment says which test and on what.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/protocol-forge/protocol-forge/tools/artifacttest"
)

func main() { os.Exit(run()) }

func run() int {
	// Bazel gives each test a private scratch directory; outside Bazel
	// the runner makes its own.
	base := os.Getenv("TEST_TMPDIR")
	if base == "" {
		dir, err := os.MkdirTemp("", "artifacttest")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		base = dir
	}
	scratch := filepath.Join(base, "root")
	if err := os.Mkdir(scratch, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	report, ok := artifacttest.Main(os.Getenv, scratch)
	fmt.Println(report)
	if !ok {
		return 1
	}
	return 0
}
