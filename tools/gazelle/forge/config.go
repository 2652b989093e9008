package forge

import (
	"flag"
	"fmt"
	"path"

	"github.com/bazelbuild/bazel-gazelle/config"
	"github.com/bazelbuild/bazel-gazelle/rule"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// forgeConfig is the language's state in config.Config.Exts.
type forgeConfig struct {
	repo *spec.Repo
}

func getConfig(c *config.Config) *forgeConfig {
	fc, _ := c.Exts[languageName].(*forgeConfig)
	return fc
}

func (*forgeLang) RegisterFlags(fs *flag.FlagSet, cmd string, c *config.Config) {}

// CheckFlags loads and checks every protocol before gazelle visits a single
// directory: gazelle writes no file when this fails, so a mistake in any
// protocol leaves every BUILD file as it was, and all mistakes are reported
// at once with their file and line.
func (*forgeLang) CheckFlags(fs *flag.FlagSet, c *config.Config) error {
	r, err := spec.Load(c.RepoRoot)
	if err != nil {
		return err
	}
	if err := checkSourceNames(r); err != nil {
		return err
	}
	c.Exts[languageName] = &forgeConfig{repo: r}
	return nil
}

// checkSourceNames rejects MANIFEST entries that collide with the files
// the .deb installs itself (debian.ManifestConflicts), and entries whose
// default source, the target named after the basename, would be a target
// this language generates (or one that rules_oci's macros derive from
// them): the package would hold two targets of that name, or the layer
// would contain itself.
func checkSourceNames(r *spec.Repo) error {
	var errs metadata.ErrorList
	for _, p := range r.Protocols {
		errs = append(errs, debian.ManifestConflicts(p)...)
		for _, e := range p.Manifest {
			if _, mapped := p.Sources[e.Path]; mapped || !isGeneratedName(e.Base()) {
				continue
			}
			errs = append(errs, &metadata.Error{
				Path: path.Join(p.Dir, metadata.ManifestFile), Line: e.Line,
				Msg: fmt.Sprintf("%s: its source would be the target :%s, a name forge generates; map the entry to its binary with `# gazelle:%s %s LABEL` in the protocol's BUILD.bazel",
					e.Path, e.Base(), spec.SourceDirective, e.Path),
			})
		}
	}
	return errs.Err()
}

func (*forgeLang) KnownDirectives() []string { return spec.Directives }

// Configure has nothing to do per directory: CheckFlags read the directives
// of every protocol already.
func (*forgeLang) Configure(c *config.Config, rel string, f *rule.File) {}
