package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

func init() {
	commands["generate"] = command{
		summary: "write every protocol's BUILD.bazel, as `bazel run //:gazelle` does (all files or none)",
		run:     runGenerate,
	}
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("generate", stderr)
	rootFlag := repoRootFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := resolveRepoRoot(*rootFlag)
	if err != nil {
		return err
	}
	changed, err := generate.Write(root)
	var list metadata.ErrorList
	if errors.As(err, &list) {
		return printErrors(stderr, list)
	}
	if err != nil {
		return err
	}
	for _, p := range changed {
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	return nil
}
