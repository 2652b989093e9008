package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func init() {
	commands["render"] = command{
		summary: "write what a protocol's pkg_deb packages: control, scripts, conffiles, unit, default file, layout.txt",
		run:     runRender,
	}
}

func runRender(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", stderr)
	rootFlag := repoRootFlag(fs)
	name := fs.String("protocol", "", "the protocol to render (a directory name under protocols/)")
	variantName := fs.String("target", "", "the variant (a TARGETS line); default: the protocol's first")
	arch := fs.String("arch", "", "the Debian architecture of the package (amd64, arm64); default: "+platform.Default().Debian)
	out := fs.String("out", "", "directory to write into")
	root, err := parseRoot(fs, rootFlag, args)
	if err != nil {
		return err
	}
	if *name == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("-protocol and -out are required")
	}
	if !metadata.ValidName(*name) {
		return fmt.Errorf("-protocol %q is not a protocol name (a directory name under protocols/)", *name)
	}
	// Only the named protocol: Bazel's render action declares its files
	// alone, and without a sandbox the others would be read (and a mistake
	// in one would fail every render) untracked. In a sandbox each input is
	// a symlink to the source tree, which is fine here.
	repo, err := spec.LoadActionProtocol(root, *name)
	if err = reported(stderr, err); err != nil {
		return err
	}
	p, t, err := protocolTarget(repo, *name, *variantName)
	if err != nil {
		return err
	}
	if err := reported(stderr, debian.ManifestConflicts(p).Err()); err != nil {
		return err
	}
	pl, ok := platform.ByDebian(*arch)
	if !ok || !slices.Contains(p.Platforms, pl) {
		return fmt.Errorf("-arch %q: %s is built for %s", *arch, p.Name, debianArchs(p))
	}
	opts, err := debian.LoadOptions(repo, p)
	if err != nil {
		return err
	}
	return debian.Render(repo, p, t, pl, opts).Write(*out)
}

// debianArchs lists the Debian architectures of p's platforms.
func debianArchs(p *spec.Protocol) string {
	var archs []string
	for _, pl := range p.Platforms {
		archs = append(archs, pl.Debian)
	}
	return strings.Join(archs, ", ")
}

// protocolTarget finds a protocol and one of its variants, the first when
// variantName is empty.
func protocolTarget(repo *spec.Repo, name, variantName string) (*spec.Protocol, metadata.Target, error) {
	p := repo.ByName(name)
	if p == nil {
		return nil, metadata.Target{}, fmt.Errorf("no protocol %q: %s/%s has no %s", name, metadata.ProtocolsDir, name, metadata.ManifestFile)
	}
	if variantName == "" {
		return p, p.DefaultTarget(), nil
	}
	for _, t := range p.Targets {
		if t.Variant.Name == variantName {
			return p, t, nil
		}
	}
	return nil, metadata.Target{}, fmt.Errorf("protocol %s has no variant %q (its TARGETS: %s)", p.Name, variantName, targetNames(p))
}

func targetNames(p *spec.Protocol) string {
	s := ""
	for i, t := range p.Targets {
		if i > 0 {
			s += ", "
		}
		s += t.Variant.Name
	}
	return s
}
