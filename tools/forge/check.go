package main

import (
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/check"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func init() {
	commands["check"] = command{
		summary: "check every protocol's metadata, MANIFEST sources and generated BUILD file, load every Starlark file as Bazel would, and walk our Go targets through the BUILD files go_deps generates; protocols/<name> arguments limit it to those protocols",
		run:     runCheck,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	rootFlag := repoRootFlag(fs)
	verbose := fs.Bool("v", false, "print how many files, rule calls, attributes and labels the loading-phase check checked, and how many repositories (generated or cached), packages, targets and edges the external closure check walked")
	root, err := parseRoot(fs, rootFlag, args)
	if err != nil {
		return err
	}
	// protocols/<name> arguments check those protocols alone.
	protocols, err := spec.ProtocolNames(root, fs.Args())
	if err != nil {
		return err
	}
	stats, err := check.Run(root, protocols...)
	if *verbose {
		fmt.Fprintln(stdout, stats)
	}
	return reported(stderr, err)
}
