package main

import (
	"encoding/json"
	"testing"
)

// Changed files given as arguments, no bazel on PATH: the path rules.
func TestMatrixFromFileArguments(t *testing.T) {
	root := checkWorkspace(t, map[string]string{"protocols/geth/RUNNER": "self-hosted\nubuntu-22.04\n"})
	code, stdout, stderr := runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "protocols/geth/VERSION", "protocols/gone/MANIFEST")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m struct {
		Include []map[string]any `json:"include"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(m.Include) != 2 || m.Include[0]["runner"] != "self-hosted" || m.Include[1]["runner"] != "ubuntu-22.04" || m.Include[0]["publish"] != "//protocols/geth:publish" {
		t.Errorf("matrix %s, want geth on its two runners", stdout)
	}
	code, stdout, _ = runForge("matrix", "-repo_root", root, "-bazel", "no-such-bazel", "protocols/geth/README.md")
	if code != 0 || stdout != "{\"include\":[]}\n" {
		t.Errorf("README change: exit %d, %q; want an empty matrix", code, stdout)
	}
}
