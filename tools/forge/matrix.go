package main

import (
	"errors"
	"flag"
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
		summary: "print the GitHub Actions matrix of the protocols a change affects ([-base REF | -deployed SHA | -all] [-per-variant] [FILE...])",
		run:     runMatrix,
	}
}

func runMatrix(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("matrix", stderr)
	rootFlag := repoRootFlag(fs)
	base := fs.String("base", "origin/main", "the change is `git diff REF...HEAD` unless FILE arguments name the changed files")
	deployed := fs.String("deployed", "", "the change is everything since `SHA`, the commit the branch's last successful deployment built; "+
		"empty, all zeros, or outside HEAD's history (first push, force push) means every protocol")
	all := fs.Bool("all", false, "every protocol")
	perVariant := fs.Bool("per-variant", false, "one entry per protocol and variant, the primary (first RUNNER line's) one, as promotion and release want")
	bazel := fs.String("bazel", "bazel", "the bazel to query; when not on PATH, affected protocols come from the changed paths")
	repo, err := loadRepo(fs, rootFlag, args, stderr)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if n := btoi(set["base"]) + btoi(set["deployed"]) + btoi(*all) + btoi(fs.NArg() > 0); n > 1 {
		return errors.New("-base, -deployed, -all and FILE arguments exclude each other")
	}

	var changes []matrix.Change
	switch {
	case *all:
	case set["deployed"]:
		var reason string
		if changes, *all, reason, err = matrix.SinceDeployed(repo.Root, *deployed); err != nil {
			return err
		}
		if *all {
			fmt.Fprintf(stderr, "forge matrix: %s: every protocol\n", reason)
		}
	case fs.NArg() > 0:
		for _, f := range fs.Args() {
			changes = append(changes, matrix.Change{Path: f, Deleted: !exists(repo, f)})
		}
	default:
		if changes, err = matrix.Changes(repo.Root, *base); err != nil {
			return err
		}
	}

	var affected []*spec.Protocol
	if *all {
		affected = repo.Protocols
	} else if path, lookErr := exec.LookPath(*bazel); lookErr == nil {
		if affected, err = matrix.ByQuery(path, repo, changes, stderr); err != nil {
			return err
		}
	} else {
		affected = matrix.ByPath(repo, changes)
	}
	m := matrix.For(repo, affected)
	if *perVariant {
		m = m.PerVariant()
	}
	if err := m.Check(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, m.JSON())
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func exists(repo *spec.Repo, file string) bool {
	_, err := os.Stat(filepath.Join(repo.Root, filepath.FromSlash(file)))
	return err == nil
}
