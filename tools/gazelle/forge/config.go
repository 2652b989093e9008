package forge

import (
	"flag"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/config"
	"github.com/bazelbuild/bazel-gazelle/rule"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// forgeConfig is the language's state in config.Config.Exts.
type forgeConfig struct {
	repo *spec.Repo
	// only is nil when every protocol is loaded, else the directories of
	// the protocols that are: those under the directories gazelle was
	// asked to update.
	only map[string]bool
}

// covers says whether the language may generate in rel: anywhere but in a
// protocol whose metadata was not loaded.
func (fc *forgeConfig) covers(rel string) bool {
	if fc.only == nil {
		return true
	}
	name, ok := strings.CutPrefix(rel, metadata.ProtocolsDir+"/")
	if !ok {
		return true
	}
	name, _, _ = strings.Cut(name, "/")
	dir := path.Join(metadata.ProtocolsDir, name)
	return fc.only[dir] || !metadata.IsProtocol(fc.repo.Root, dir)
}

func getConfig(c *config.Config) *forgeConfig {
	fc, _ := c.Exts[languageName].(*forgeConfig)
	return fc
}

func (*forgeLang) RegisterFlags(fs *flag.FlagSet, cmd string, c *config.Config) {}

// CheckFlags loads and checks the protocols gazelle will visit before it
// visits a single directory: gazelle writes no file when this fails, so a
// mistake in any of them leaves every BUILD file as it was, and all
// mistakes are reported at once with their file and line. Which protocols
// those are follows from gazelle's directory arguments (fs.Args(), checked
// by its own CheckFlags before this one): every protocol for the
// repository, protocols/ or none given; for protocols/<name>/... only that
// one, so that other protocols' files are not even read.
func (*forgeLang) CheckFlags(fs *flag.FlagSet, c *config.Config) error {
	recursive := true
	if r := fs.Lookup("r"); r != nil {
		recursive = r.Value.String() != "false"
	}
	names, all := protocolsUnder(c, fs.Args(), recursive)
	var r *spec.Repo
	var err error
	if all {
		r, err = spec.Load(c.RepoRoot)
	} else {
		r, err = spec.LoadProtocols(c.RepoRoot, names)
	}
	if err != nil {
		return err
	}
	if err := checkSourceNames(r); err != nil {
		return err
	}
	fc := &forgeConfig{repo: r}
	if !all {
		fc.only = map[string]bool{}
		for _, p := range r.Protocols {
			fc.only[p.Dir] = true
		}
	}
	c.Exts[languageName] = fc
	return nil
}

// protocolsUnder returns the names of the protocols in or under the
// directories gazelle updates (dirs as given to gazelle: absolute, or
// relative to its working directory; with their subdirectories when
// recursive), or all when one of them holds protocols/. A directory in no
// protocol needs none.
func protocolsUnder(c *config.Config, dirs []string, recursive bool) (names []string, all bool) {
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(c.WorkDir, dir)
		}
		if resolved, err := filepath.EvalSymlinks(dir); err == nil {
			dir = resolved
		}
		rel, err := filepath.Rel(c.RepoRoot, dir)
		if err != nil {
			return nil, true
		}
		rel = filepath.ToSlash(rel)
		if recursive && (rel == "." || rel == metadata.ProtocolsDir || strings.HasPrefix(metadata.ProtocolsDir, rel+"/")) {
			return nil, true
		}
		name, ok := strings.CutPrefix(rel, metadata.ProtocolsDir+"/")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "/")
		if metadata.IsProtocol(c.RepoRoot, path.Join(metadata.ProtocolsDir, name)) {
			names = append(names, name)
		}
	}
	return names, false
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
// of every protocol gazelle visits already.
func (*forgeLang) Configure(c *config.Config, rel string, f *rule.File) {}
