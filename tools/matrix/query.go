package matrix

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// ByQuery asks Bazel which protocols depend on the changed files: rdeps of
// the changed source files within //protocols/..., and rbuildfiles of
// changed BUILD and .bzl files, whose packages load them. Only a change to
// one of moduleFiles rebuilds everything without asking; tools/ and rules/
// go through the query like any other file, so that a change to a test or
// to a tool no build uses rebuilds nothing.
//
// The query can only add protocols to what the paths say, never remove one:
// the result includes ByPath's for the files outside tools/ and rules/. A
// file no rule names (protocols/op-geth/go.mod, read by MODULE.bazel's
// go_deps) is no target, and a deleted file is none any more; Bazel cannot
// tell what depends on either, but the protocol that holds it is affected.
// Deleted files and README.md files under protocols/ are not queried, and a
// file whose name the query language cannot quote is left to the paths.
func ByQuery(bazel string, repo *spec.Repo, changes []Change, stderr io.Writer) ([]*spec.Protocol, error) {
	var labels, buildFiles []string
	var own []Change
	for _, c := range changes {
		if changesModule(c.Path) {
			return repo.Protocols, nil
		}
		if !RebuildsAll(c.Path) {
			own = append(own, c)
		}
		if c.Deleted || path.Base(c.Path) == metadata.ReadmeFile && strings.HasPrefix(c.Path, metadata.ProtocolsDir+"/") {
			continue
		}
		base := path.Base(c.Path)
		if base == "BUILD.bazel" || base == "BUILD" || strings.HasSuffix(base, ".bzl") {
			if w, ok := queryWord(c.Path); ok {
				buildFiles = append(buildFiles, w)
			}
			continue
		}
		if l, ok := fileLabel(repo.Root, c.Path); ok {
			if w, ok := queryWord(l); ok {
				labels = append(labels, w)
			}
		}
	}
	affected := map[string]bool{}
	for _, p := range ByPath(repo, own) {
		affected[p.Name] = true
	}
	if len(labels) > 0 {
		expr := "rdeps(//" + metadata.ProtocolsDir + "/..., set(" + strings.Join(labels, " ") + "))"
		if err := queryPackages(bazel, repo.Root, affected, stderr, "query", "--keep_going", "--output=package", expr); err != nil {
			return nil, err
		}
	}
	if len(buildFiles) > 0 {
		expr := "rbuildfiles(" + strings.Join(buildFiles, ", ") + ")"
		if err := queryPackages(bazel, repo.Root, affected, stderr, "query", "--keep_going", "--output=package",
			"--universe_scope=//"+metadata.ProtocolsDir+"/...", "--order_output=no", expr); err != nil {
			return nil, err
		}
	}
	var out []*spec.Protocol
	for _, p := range repo.Protocols {
		if affected[p.Name] {
			out = append(out, p)
		}
	}
	return out, nil
}

// queryWord quotes s as one word of the query language, which splits
// unquoted words at white space and other punctuation. A quoted word may
// hold anything but its own quote, so s with both quotes, or with a control
// character, has no quoted form.
func queryWord(s string) (string, bool) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", false
	}
	switch {
	case !strings.Contains(s, `"`):
		return `"` + s + `"`, true
	case !strings.Contains(s, "'"):
		return "'" + s + "'", true
	}
	return "", false
}

// queryPackages runs one bazel query and adds the protocols of the packages
// it prints. --keep_going makes bazel exit 3 when part of the query failed
// (a label that names nothing, such as a file no rule mentions); the
// packages it printed still count, and bazel's ERROR lines go to stderr so
// that the log shows what the query could not see.
func queryPackages(bazel, root string, affected map[string]bool, stderr io.Writer, args ...string) error {
	cmd := exec.Command(bazel, args...)
	cmd.Dir = root
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
		return fmt.Errorf("bazel %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	if err != nil {
		for _, line := range strings.Split(errOut.String(), "\n") {
			if strings.HasPrefix(line, "ERROR:") {
				fmt.Fprintf(stderr, "bazel query (exit 3, partial result): %s\n", line)
			}
		}
	}
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := packageProtocol(strings.TrimSpace(line)); ok {
			affected[name] = true
		}
	}
	return nil
}

// fileLabel turns a file path into the label of the source file: the
// package is the nearest directory above it with a BUILD file.
func fileLabel(root, file string) (string, bool) {
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		for _, name := range spec.BuildFileNames {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dir), name)); err == nil {
				pkg := dir
				if pkg == "." {
					pkg = ""
				}
				rel := strings.TrimPrefix(strings.TrimPrefix(file, pkg), "/")
				return "//" + pkg + ":" + rel, true
			}
		}
		if dir == "." || dir == "/" {
			return "", false
		}
	}
}
