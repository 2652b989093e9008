package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func init() {
	commands["binaries"] = command{
		summary: "list the MANIFEST entries built from pinned Go modules: protocol, path, package, version, CGO_ENABLED",
		run:     runBinaries,
	}
}

func runBinaries(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("binaries", stderr)
	rootFlag := repoRootFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := resolveRepoRoot(*rootFlag)
	if err != nil {
		return err
	}
	repo, err := spec.Load(root)
	var list metadata.ErrorList
	if errors.As(err, &list) {
		return printErrors(stderr, list)
	}
	if err != nil {
		return err
	}
	bins, err := gosource.Find(repo)
	if err != nil {
		return err
	}
	for _, b := range bins {
		cgo := 0
		if b.Cgo {
			cgo = 1
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%d\n", b.Protocol.Name, b.Entry.Path, b.Package, b.Version, cgo)
	}
	return nil
}
