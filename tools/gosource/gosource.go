// Package gosource finds, for each MANIFEST entry that rules_go builds from a
// module pinned in go.mod, the Go package, module version and cgo setting, so
// that plain `go build` can build exactly what Bazel builds and forge can
// tell when VERSION and go.mod drift apart.
package gosource

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bazelbuild/bazel-gazelle/rule"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Binary is one MANIFEST entry built from a pinned Go module.
type Binary struct {
	Protocol *spec.Protocol
	Entry    metadata.Entry
	// Package is the Go import path of the main package.
	Package string
	// Module and Version are the go.mod requirement that provides it.
	Module, Version string
	// Cgo is the CGO_ENABLED setting rules_go builds it with.
	Cgo bool
}

// crossBinaryKind is the rule protocols use to build an upstream binary for a
// fixed platform; the platform's name says whether cgo is on.
const crossBinaryKind = "go_cross_binary"

// Find returns the Go-built binaries of every protocol in repo, with the
// modules pinned in root/go.mod. Entries whose source is not a
// go_cross_binary of a go_deps repository (a file, a hand-written genrule)
// are not Go builds and are skipped.
func Find(repo *spec.Repo) ([]Binary, error) {
	mods, err := requirements(repo.Root)
	if err != nil {
		return nil, err
	}
	var bins []Binary
	for _, p := range repo.Protocols {
		rules, err := buildRules(repo.Root, p.Dir)
		if err != nil {
			return nil, err
		}
		for _, e := range p.Manifest {
			src := p.Source(e)
			if !src.Relative && src.Pkg != p.Dir {
				continue
			}
			r := rules[src.Name]
			if r == nil || r.Kind() != crossBinaryKind {
				continue
			}
			target, err := label.Parse(r.AttrString("target"))
			if err != nil || target.Repo == "" {
				return nil, fmt.Errorf("%s/BUILD.bazel: %s %q: target %q is not a label in a go_deps repository", p.Dir, crossBinaryKind, src.Name, r.AttrString("target"))
			}
			mod, ok := mods[target.Repo]
			if !ok {
				return nil, fmt.Errorf("%s/BUILD.bazel: %s %q: repository @%s is no module required in go.mod", p.Dir, crossBinaryKind, src.Name, target.Repo)
			}
			bins = append(bins, Binary{
				Protocol: p,
				Entry:    e,
				Package:  path.Join(mod.Path, target.Pkg),
				Module:   mod.Path,
				Version:  mod.Version,
				Cgo:      strings.HasSuffix(r.AttrString("platform"), "_cgo"),
			})
		}
	}
	return bins, nil
}

// requirements maps go_deps repository names to the modules go.mod requires.
func requirements(root string) (map[string]module.Version, error) {
	file := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]module.Version{}, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := modfile.ParseLax(file, data, nil)
	if err != nil {
		return nil, err
	}
	mods := map[string]module.Version{}
	for _, r := range f.Require {
		mods[RepoName(r.Mod.Path)] = r.Mod
	}
	return mods, nil
}

// RepoName is the repository name gazelle's go_deps gives a module:
// the host's labels reversed, then the path, joined by "_" with every other
// character but letters and digits turned into "_" and lower-cased
// (github.com/ethereum/go-ethereum is com_github_ethereum_go_ethereum).
func RepoName(modulePath string) string {
	segments := strings.Split(modulePath, "/")
	host := strings.Split(segments[0], ".")
	for i, j := 0, len(host)-1; i < j; i, j = i+1, j-1 {
		host[i], host[j] = host[j], host[i]
	}
	name := strings.Join(append(host, segments[1:]...), "_")
	return strings.Map(func(c rune) rune {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			return c
		case 'A' <= c && c <= 'Z':
			return c - 'A' + 'a'
		default:
			return '_'
		}
	}, name)
}

func buildRules(root, dir string) (map[string]*rule.Rule, error) {
	rules := map[string]*rule.Rule{}
	for _, name := range spec.BuildFileNames {
		f, err := rule.LoadFile(filepath.Join(root, filepath.FromSlash(dir), name), dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, r := range f.Rules {
			rules[r.Name()] = r
		}
		break
	}
	return rules, nil
}

// Drift returns an error for each protocol whose VERSION is not the version
// go.mod pins for the module its service executable is built from.
func Drift(bins []Binary) metadata.ErrorList {
	var errs metadata.ErrorList
	for _, b := range bins {
		p := b.Protocol
		if b.Entry != p.Service || p.Tag == b.Version {
			continue
		}
		errs = append(errs, &metadata.Error{
			Path: path.Join(p.Dir, metadata.VersionFile), Line: 1,
			Msg: fmt.Sprintf("VERSION tags %q but go.mod pins %s %s, the source of %s: bump both together (go get %s@%s)",
				p.Tag, b.Module, b.Version, b.Entry.Path, b.Module, p.Tag),
		})
	}
	return errs
}
