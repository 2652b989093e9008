package matrix

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// ByQuery asks Bazel which protocols depend on the changed files: rdeps of
// the changed source files within //protocols/..., and rbuildfiles of
// changed BUILD and .bzl files, whose packages load them. Deleted files are
// no labels any more and are left out, so that a deleted file or protocol
// cannot fail the query; README.md files are left out as in ByPath.
func ByQuery(bazel string, repo *spec.Repo, changes []Change) ([]*spec.Protocol, error) {
	var labels, buildFiles []string
	for _, c := range changes {
		if RebuildsAll(c.Path) {
			return repo.Protocols, nil
		}
		if c.Deleted || path.Base(c.Path) == metadata.ReadmeFile && strings.HasPrefix(c.Path, metadata.ProtocolsDir+"/") {
			continue
		}
		base := path.Base(c.Path)
		if base == "BUILD.bazel" || base == "BUILD" || strings.HasSuffix(base, ".bzl") {
			buildFiles = append(buildFiles, c.Path)
			continue
		}
		if l, ok := fileLabel(repo.Root, c.Path); ok {
			labels = append(labels, l)
		}
	}
	affected := map[string]bool{}
	if len(labels) > 0 {
		expr := "rdeps(//" + metadata.ProtocolsDir + "/..., set(" + strings.Join(labels, " ") + "))"
		if err := queryPackages(bazel, repo.Root, affected, "query", "--keep_going", "--output=package", expr); err != nil {
			return nil, err
		}
	}
	if len(buildFiles) > 0 {
		expr := "rbuildfiles(" + strings.Join(buildFiles, ", ") + ")"
		if err := queryPackages(bazel, repo.Root, affected, "query", "--keep_going", "--output=package",
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

// queryPackages runs one bazel query and adds the protocols of the packages
// it prints. --keep_going makes bazel exit 3 when part of the query failed
// (a label that names nothing); the packages it printed still count.
func queryPackages(bazel, root string, affected map[string]bool, args ...string) error {
	cmd := exec.Command(bazel, args...)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
		return fmt.Errorf("bazel %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
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
