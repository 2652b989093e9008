package main

import (
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/generate"
)

func init() {
	commands["generate"] = command{
		summary: "write every protocol's BUILD.bazel, or those of the protocols/<name> directories given, as `bazel run //:gazelle` does (all files or none)",
		run:     runGenerate,
	}
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("generate", stderr)
	root, err := parseRoot(fs, repoRootFlag(fs), args)
	if err != nil {
		return err
	}
	changed, err := generate.Write(root, fs.Args()...)
	if err != nil {
		return reported(stderr, err)
	}
	for _, p := range changed {
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	return nil
}
