// Package matrix derives, from the files a change touches, the protocols it
// affects and the GitHub Actions matrix that builds them: one entry per
// protocol, variant and runner.
package matrix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Change is one changed file, slash-separated and relative to the root.
type Change struct {
	Path    string
	Deleted bool
}

// Changes reads `git diff --name-status base...HEAD` in root. A rename
// counts as the deletion of the old path and the addition of the new one.
func Changes(root, base string) ([]Change, error) {
	out, err := exec.Command("git", "-C", root, "diff", "--name-status", "--no-renames", base+"...HEAD").Output()
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("git diff %s...HEAD: %s", base, bytes.TrimSpace(exit.Stderr))
		}
		return nil, err
	}
	var changes []Change
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		status, file, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		changes = append(changes, Change{Path: file, Deleted: status == "D"})
	}
	return changes, nil
}

// rebuildAll lists the files and directories whose change can alter the
// build of every protocol.
var rebuildAll = []string{"MODULE.bazel", "MODULE.bazel.lock", "go.mod", "go.sum", ".bazelrc", ".bazelversion", "rules/", "tools/"}

// RebuildsAll reports whether changing file may change every protocol.
func RebuildsAll(file string) bool {
	for _, p := range rebuildAll {
		if file == p || strings.HasSuffix(p, "/") && strings.HasPrefix(file, p) {
			return true
		}
	}
	return false
}

// ByPath derives the affected protocols from the changed paths alone: a
// change to a protocol's files rebuilds it, except its README.md (which
// reaches the build only through the BUILD file gazelle rewrites from it);
// a deleted protocol builds nothing; files outside protocols/ build nothing
// unless they rebuild everything.
func ByPath(repo *spec.Repo, changes []Change) []*spec.Protocol {
	affected := map[string]bool{}
	for _, c := range changes {
		if RebuildsAll(c.Path) {
			return repo.Protocols
		}
		rest, ok := strings.CutPrefix(c.Path, metadata.ProtocolsDir+"/")
		if !ok {
			continue
		}
		name, file, ok := strings.Cut(rest, "/")
		if !ok || file == metadata.ReadmeFile {
			continue
		}
		affected[name] = true
	}
	var out []*spec.Protocol
	for _, p := range repo.Protocols {
		if affected[p.Name] {
			out = append(out, p)
		}
	}
	return out
}

// Entry is one job of the matrix.
type Entry struct {
	Protocol string `json:"protocol"`
	// Target is the variant the entry builds.
	Target   string   `json:"target"`
	Version  string   `json:"version"`
	Tag      string   `json:"tag"`
	Runner   string   `json:"runner"`
	Manifest []string `json:"manifest"`
	// Build lists the labels to build; Push and Publish are the ones to run
	// to push the image and to upload the MANIFEST files.
	Build   []string `json:"build"`
	Push    string   `json:"push"`
	Publish string   `json:"publish"`
	// Archive and Deb are the file names of the release assets.
	Archive string `json:"archive"`
	Deb     string `json:"deb"`
}

// Matrix is GitHub Actions' strategy.matrix value.
type Matrix struct {
	Include []Entry `json:"include"`
}

// For returns the matrix of the given protocols of repo, in their order.
func For(repo *spec.Repo, protocols []*spec.Protocol) Matrix {
	m := Matrix{Include: []Entry{}}
	for _, p := range protocols {
		var manifest []string
		for _, e := range p.Manifest {
			manifest = append(manifest, e.Path)
		}
		pkg := "//" + p.Dir
		for _, t := range p.Targets {
			suffix := ""
			if t.Named {
				suffix = "_" + t.Variant.Name
			}
			for _, runner := range p.Runners {
				m.Include = append(m.Include, Entry{
					Protocol: p.Name,
					Target:   t.Variant.Name,
					Version:  p.Version,
					Tag:      p.ImageTag(t),
					Runner:   runner,
					Manifest: manifest,
					Build:    []string{pkg + ":image" + suffix, pkg + ":archive" + suffix, pkg + ":deb" + suffix},
					Push:     pkg + ":push" + suffix,
					Publish:  pkg + ":publish" + suffix,
					Archive:  p.ArchiveName(t),
					Deb:      debian.ControlFor(repo, p, t).FileName(),
				})
			}
		}
	}
	return m
}

// JSON renders the matrix on one line, as GitHub Actions' fromJSON reads an
// output.
func (m Matrix) JSON() string {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err) // strings and slices only
	}
	return string(data)
}

// packageProtocol returns the protocol name of a package under protocols/.
func packageProtocol(pkg string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(pkg, "//"), metadata.ProtocolsDir+"/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return path.Base(rest), true
}
