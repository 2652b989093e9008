package main

import (
	"errors"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/check"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

func init() {
	commands["check"] = command{
		summary: "check every protocol's metadata, MANIFEST sources and generated BUILD file",
		run:     runCheck,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	rootFlag := repoRootFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := resolveRepoRoot(*rootFlag)
	if err != nil {
		return err
	}
	err = check.Run(root)
	var list metadata.ErrorList
	if errors.As(err, &list) {
		return printErrors(stderr, list)
	}
	return err
}
