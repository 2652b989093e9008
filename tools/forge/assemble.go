package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/assemble"
)

func init() {
	commands["assemble"] = command{
		summary: "-out DIR: go build every protocol binary and write each variant's layer, archive and .deb as rules_pkg would; print their sizes",
		run:     runAssemble,
	}
}

func runAssemble(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("assemble", stderr)
	out := fs.String("out", "", "directory to write the binaries and artifacts into")
	repo, err := loadRepo(fs, repoRootFlag(fs), args, stderr)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	sizes, err := assemble.Repository(repo, *out)
	if err != nil {
		return err
	}
	for _, s := range sizes {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\t%d\n", s.Protocol, s.Variant, s.Platform, s.Artifact, s.File, s.Bytes)
	}
	return nil
}
