package main

import (
	"io"

	"github.com/protocol-forge/protocol-forge/tools/generate"
)

func init() {
	commands["gazelle"] = command{
		summary: "run //:gazelle_binary's driver and languages with gazelle's own flags (-repo_root, -mode, DIRS...)",
		run:     runGazelle,
	}
}

// runGazelle passes its arguments to gazelle's update driver unchanged, so
// that BUILD files outside protocols/ (the Go packages under tools/) can be
// generated where Bazel cannot run.
func runGazelle(args []string, stdout, stderr io.Writer) error {
	root, err := resolveRepoRoot("")
	for i, a := range args {
		if a == "-repo_root" && i+1 < len(args) {
			root, err = args[i+1], nil
		}
	}
	if err != nil {
		return err
	}
	return generate.Gazelle(root, args...)
}
