package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/protocol-forge/protocol-forge/tools/matrix"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func init() {
	commands["matrix"] = command{
		summary: "print the GitHub Actions matrix of the protocols a change affects ([-base REF] [FILE...])",
		run:     runMatrix,
	}
}

func runMatrix(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("matrix", stderr)
	rootFlag := repoRootFlag(fs)
	base := fs.String("base", "origin/main", "the change is `git diff REF...HEAD` unless FILE arguments name the changed files")
	bazel := fs.String("bazel", "bazel", "the bazel to query; when not on PATH, affected protocols come from the changed paths")
	repo, err := loadRepo(fs, rootFlag, args, stderr)
	if err != nil {
		return err
	}
	var changes []matrix.Change
	if fs.NArg() > 0 {
		for _, f := range fs.Args() {
			changes = append(changes, matrix.Change{Path: f, Deleted: !exists(repo, f)})
		}
	} else if changes, err = matrix.Changes(repo.Root, *base); err != nil {
		return err
	}
	var affected []*spec.Protocol
	if path, lookErr := exec.LookPath(*bazel); lookErr == nil {
		if affected, err = matrix.ByQuery(path, repo, changes); err != nil {
			return err
		}
	} else {
		affected = matrix.ByPath(repo, changes)
	}
	fmt.Fprintln(stdout, matrix.For(repo, affected).JSON())
	return nil
}

func exists(repo *spec.Repo, file string) bool {
	_, err := os.Stat(filepath.Join(repo.Root, filepath.FromSlash(file)))
	return err == nil
}
