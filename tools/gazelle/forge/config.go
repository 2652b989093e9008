package forge

import (
	"flag"

	"github.com/bazelbuild/bazel-gazelle/config"
	"github.com/bazelbuild/bazel-gazelle/rule"

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
	c.Exts[languageName] = &forgeConfig{repo: r}
	return nil
}

func (*forgeLang) KnownDirectives() []string { return spec.Directives }

// Configure has nothing to do per directory: CheckFlags read the directives
// of every protocol already.
func (*forgeLang) Configure(c *config.Config, rel string, f *rule.File) {}
