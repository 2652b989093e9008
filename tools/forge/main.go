// Command forge generates, checks and renders the build of every protocol
// under protocols/. Each subcommand parses its flags and calls a package;
// the logic lives in those packages.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// command is one subcommand; files of this package register theirs in init.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// errFailed means the command already printed why it failed.
var errFailed = errors.New("failed")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "forge: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.Is(err, errFailed):
		return 1
	default:
		fmt.Fprintf(stderr, "forge %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: forge <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
}

// newFlags returns a flag set for a subcommand that prints its usage to
// stderr and reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("forge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// repoRootFlag registers -repo_root, defaulting to the repository that holds
// the working directory (or the one `bazel run` was started in).
func repoRootFlag(fs *flag.FlagSet) *string {
	return fs.String("repo_root", "", "repository root (default: the enclosing repository of the working directory)")
}

// resolveRepoRoot returns root, or finds the enclosing repository: the first
// directory upwards with a MODULE.bazel.
func resolveRepoRoot(root string) (string, error) {
	if root != "" {
		return root, nil
	}
	dir := os.Getenv("BUILD_WORKSPACE_DIRECTORY")
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "MODULE.bazel")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no MODULE.bazel in %s or above it: pass -repo_root", dir)
		}
		d = parent
	}
}

// parseRoot parses a subcommand's flags, then returns the repository root
// that -repo_root (registered by repoRootFlag) names or implies.
func parseRoot(fs *flag.FlagSet, rootFlag *string, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	return resolveRepoRoot(*rootFlag)
}

// reported prints the path:line errors of a metadata.ErrorList, one a line,
// and reports failure; other errors pass through for run to print.
func reported(stderr io.Writer, err error) error {
	var list metadata.ErrorList
	if errors.As(err, &list) {
		fmt.Fprintln(stderr, list)
		return errFailed
	}
	return err
}

// loadRepo parses the flags and loads the repository's spec.
func loadRepo(fs *flag.FlagSet, rootFlag *string, args []string, stderr io.Writer) (*spec.Repo, error) {
	root, err := parseRoot(fs, rootFlag, args)
	if err != nil {
		return nil, err
	}
	repo, err := spec.Load(root)
	return repo, reported(stderr, err)
}
