package main

import (
	"fmt"
	"io"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
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
	out := fs.String("out", "", "directory to write into")
	repo, err := loadRepo(fs, rootFlag, args, stderr)
	if err != nil {
		return err
	}
	if *name == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("-protocol and -out are required")
	}
	p := repo.ByName(*name)
	if p == nil {
		return fmt.Errorf("no protocol %q: %s/%s has no %s", *name, metadata.ProtocolsDir, *name, metadata.ManifestFile)
	}
	t := p.DefaultTarget()
	if *variantName != "" {
		found := false
		for _, candidate := range p.Targets {
			if candidate.Variant.Name == *variantName {
				t, found = candidate, true
			}
		}
		if !found {
			return fmt.Errorf("protocol %s has no variant %q (its TARGETS: %s)", p.Name, *variantName, targetNames(p))
		}
	}
	opts, err := debian.LoadOptions(repo, p)
	if err != nil {
		return err
	}
	return debian.Render(repo, p, t, opts).Write(*out)
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
