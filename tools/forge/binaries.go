package main

import (
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/gosource"
)

func init() {
	commands["binaries"] = command{
		summary: "list the MANIFEST entries built from pinned Go modules: protocol, path, package, version, CGO_ENABLED, -ldflags, module directory",
		run:     runBinaries,
	}
}

func runBinaries(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("binaries", stderr)
	repo, err := loadRepo(fs, repoRootFlag(fs), args, stderr)
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
		dir := b.Dir
		if dir == "" {
			dir = "."
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", b.Protocol.Name, b.Entry.Path, b.Package, b.Version, cgo, b.LDFlags(), dir)
	}
	return nil
}
