package main

import (
	"io"

	"github.com/protocol-forge/protocol-forge/tools/check"
)

func init() {
	commands["check"] = command{
		summary: "check every protocol's metadata, MANIFEST sources and generated BUILD file",
		run:     runCheck,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	root, err := parseRoot(fs, repoRootFlag(fs), args)
	if err != nil {
		return err
	}
	return reported(stderr, check.Run(root))
}
