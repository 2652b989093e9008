// Package forge is the Gazelle language that turns each protocols/<name>
// directory into the rules for its images, release archives and Debian
// packages.
package forge

import (
	"github.com/bazelbuild/bazel-gazelle/config"
	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bazelbuild/bazel-gazelle/language"
	"github.com/bazelbuild/bazel-gazelle/repo"
	"github.com/bazelbuild/bazel-gazelle/resolve"
	"github.com/bazelbuild/bazel-gazelle/rule"
)

const languageName = "forge"

type forgeLang struct{}

// NewLanguage returns the forge language; gazelle_binary calls it by name.
func NewLanguage() language.Language { return &forgeLang{} }

func (*forgeLang) Name() string { return languageName }

// Fix drops the content of the structure test configurations this
// language generated before, so that generation writes them anew: gazelle
// merges a list attribute as a set (rule.MergeList: lines in both stay in
// place, new ones go to the end), which put a changed YAML line after the
// others and broke the file. A content marked "# keep" stays.
func (*forgeLang) Fix(c *config.Config, f *rule.File) {
	for _, r := range f.Rules {
		if r.Kind() != "write_file" || !wasGenerated(r) || r.ShouldKeep() {
			continue
		}
		if content := r.Attr("content"); content != nil && !rule.ShouldKeep(content) {
			r.DelAttr("content")
		}
	}
}

// The generated rules take no part in import resolution: their labels come
// from the protocol's metadata, not from source imports.

func (*forgeLang) Imports(c *config.Config, r *rule.Rule, f *rule.File) []resolve.ImportSpec {
	return nil
}

func (*forgeLang) Embeds(r *rule.Rule, from label.Label) []label.Label { return nil }

func (*forgeLang) Resolve(c *config.Config, ix *resolve.RuleIndex, rc *repo.RemoteCache, r *rule.Rule, imports interface{}, from label.Label) {
}
