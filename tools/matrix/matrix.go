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
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Change is one changed file, slash-separated and relative to the root.
type Change struct {
	Path    string
	Deleted bool
}

// Changes reads `git diff --name-status base...HEAD` in root. A rename
// counts as the deletion of the old path and the addition of the new one.
// Paths come NUL-terminated (-z), so that git does not C-quote those with
// non-ASCII bytes, quotes or backslashes; a base that starts with "-" is
// refused, since git would read it as an option.
func Changes(root, base string) ([]Change, error) {
	if base == "" || strings.HasPrefix(base, "-") {
		return nil, fmt.Errorf("base %q is not a revision", base)
	}
	out, err := exec.Command("git", "-C", root, "diff", "-z", "--name-status", "--no-renames", base+"...HEAD", "--").Output()
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("git diff %s...HEAD: %s", base, bytes.TrimSpace(exit.Stderr))
		}
		return nil, err
	}
	return parseNameStatus(out)
}

// parseNameStatus reads `git diff -z --name-status --no-renames`: a status
// and a path per change, each field ending in NUL.
func parseNameStatus(out []byte) ([]Change, error) {
	fields := strings.Split(string(out), "\x00")
	if n := len(fields); n > 0 && fields[n-1] == "" {
		fields = fields[:n-1]
	}
	if len(fields)%2 != 0 {
		return nil, fmt.Errorf("git diff -z --name-status: odd number of fields in %q", out)
	}
	var changes []Change
	for i := 0; i < len(fields); i += 2 {
		changes = append(changes, Change{Path: fields[i+1], Deleted: fields[i] == "D"})
	}
	return changes, nil
}

// SinceDeployed returns the changes between deployed, the commit the last
// successful deployment of the branch built, and HEAD. It reports all when
// that base is unusable, with the reason: no deployment yet (empty, or the
// all-zero SHA GitHub gives for a branch's first push), or a commit outside
// HEAD's history (a force push dropped it, or the clone lacks it). Every
// protocol is then the only safe answer.
func SinceDeployed(root, deployed string) (changes []Change, all bool, reason string, err error) {
	switch {
	case strings.Trim(deployed, "0") == "":
		return nil, true, "no commit was deployed yet", nil
	case !isHex(deployed):
		return nil, false, "", fmt.Errorf("deployed commit %q is not a commit SHA", deployed)
	}
	if exec.Command("git", "-C", root, "cat-file", "-e", deployed+"^{commit}").Run() != nil {
		return nil, true, fmt.Sprintf("deployed commit %s is not in this clone (a force push dropped it?)", deployed), nil
	}
	switch err := exec.Command("git", "-C", root, "merge-base", "--is-ancestor", deployed, "HEAD").Run(); {
	case err == nil:
	case isExit(err, 1):
		return nil, true, fmt.Sprintf("deployed commit %s is not in HEAD's history (a force push?)", deployed), nil
	default:
		return nil, false, "", fmt.Errorf("git merge-base --is-ancestor %s HEAD: %v", deployed, err)
	}
	changes, err = Changes(root, deployed)
	return changes, false, "", err
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return len(s) >= 7
}

func isExit(err error, code int) bool {
	exit, ok := err.(*exec.ExitError)
	return ok && exit.ExitCode() == code
}

// moduleFiles decide Bazel itself, its flags and the external repositories
// (go_deps reads go.mod and go.sum), edges no query of the build graph
// shows: a change to one may change every protocol.
var moduleFiles = []string{"MODULE.bazel", "MODULE.bazel.lock", "go.mod", "go.sum", ".bazelrc", ".bazelversion"}

// rebuildAll adds to moduleFiles the directories of the rules and tools
// every protocol's build uses, which only Bazel's graph can narrow down.
var rebuildAll = append(append([]string(nil), moduleFiles...), "rules/", "tools/")

// RebuildsAll reports whether, judged by its path alone, changing file may
// change every protocol.
func RebuildsAll(file string) bool { return matches(rebuildAll, file) }

// changesModule reports whether file is one of moduleFiles.
func changesModule(file string) bool { return matches(moduleFiles, file) }

func matches(list []string, file string) bool {
	for _, p := range list {
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
	Target  string `json:"target"`
	Version string `json:"version"`
	Tag     string `json:"tag"`
	Runner  string `json:"runner"`
	// Native is the platform the runner is (linux/arm64 for a runner
	// whose label names arm): every entry builds every platform's files,
	// cross-compiling the others, and tests run natively for this one.
	Native string `json:"native"`
	// Primary marks the entry of the variant's first RUNNER line: the one
	// that pushes the image and hands the release files on, since the
	// variant has one image and one release however many runners build it.
	Primary  bool     `json:"primary"`
	Manifest []string `json:"manifest"`
	// Build lists the labels to build; Push and Publish are the ones to run
	// to push the image and to upload the MANIFEST files.
	Build   []string `json:"build"`
	Push    string   `json:"push"`
	Publish string   `json:"publish"`
	// Archive and Deb are the file names of the linux/amd64 release
	// assets, as they were before there were other platforms.
	Archive string `json:"archive"`
	Deb     string `json:"deb"`
	// Platforms are the platforms the protocol ships, and Archives and
	// Debs the file names of each one's release assets, in that order.
	Platforms []string `json:"platforms"`
	Archives  []string `json:"archives"`
	Debs      []string `json:"debs"`
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
			var platforms, archives, debs []string
			for _, pl := range p.Platforms {
				platforms = append(platforms, pl.OCI)
				archives = append(archives, p.PlatformArchiveName(t, pl))
				debs = append(debs, debian.ControlFor(repo, p, t, pl).FileName())
			}
			for i, runner := range p.Runners {
				m.Include = append(m.Include, Entry{
					Protocol: p.Name,
					Target:   t.Variant.Name,
					Version:  p.Version,
					Tag:      p.ImageTag(t),
					Runner:   runner,
					Native:   RunnerPlatform(runner).OCI,
					Primary:  i == 0,
					Manifest: manifest,
					// image is the index of every platform's image;
					// archive and deb are filegroups of every
					// platform's archive and .deb.
					Build:     []string{pkg + ":image" + suffix, pkg + ":archive" + suffix, pkg + ":deb" + suffix},
					Push:      pkg + ":push" + suffix,
					Publish:   pkg + ":publish" + suffix,
					Archive:   p.PlatformArchiveName(t, platform.Default()),
					Deb:       debian.ControlFor(repo, p, t, platform.Default()).FileName(),
					Platforms: platforms,
					Archives:  archives,
					Debs:      debs,
				})
			}
		}
	}
	return m
}

// RunnerPlatform is the platform of the runner a RUNNER line names:
// linux/arm64 when one of its words (split at anything but letters and
// digits) is arm, arm64 or aarch64, as in GitHub's ubuntu-24.04-arm and a
// self-hosted runner's ARM64 label; linux/amd64 otherwise.
func RunnerPlatform(runner string) platform.Platform {
	words := strings.FieldsFunc(strings.ToLower(runner), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	for _, w := range words {
		if w == "arm" || w == "arm64" || w == "aarch64" {
			pl, _ := platform.ByOCI("linux/arm64")
			return pl
		}
	}
	return platform.Default()
}

// PerVariant keeps the primary entries: one per protocol and variant, as
// promotion and release want them.
func (m Matrix) PerVariant() Matrix {
	out := Matrix{Include: []Entry{}}
	for _, e := range m.Include {
		if e.Primary {
			out.Include = append(out.Include, e)
		}
	}
	return out
}

// MaxJobs is the most jobs GitHub Actions runs for one matrix.
const MaxJobs = 256

// Check refuses a matrix GitHub would not run whole.
func (m Matrix) Check() error {
	if n := len(m.Include); n > MaxJobs {
		return fmt.Errorf("the matrix has %d entries, more than the %d jobs GitHub Actions runs for one matrix: "+
			"split the change into smaller ones, or build fewer variants or RUNNER lines", n, MaxJobs)
	}
	return nil
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
