package loadcheck

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"go.starlark.net/syntax"
)

// labelRef is one label written in an attribute, resolved once every
// package is evaluated.
type labelRef struct {
	label   string
	fromPkg string // relative labels resolve against it
	visPkg  string // the package that must see the target ("" for none)
	pos     syntax.Position
	attr    string
	// visibility says the label is a visibility entry: a package group
	// or one of the //visibility: and __pkg__ forms.
	visibility bool
}

func (c *checker) addRef(r *labelRef) {
	c.stats.Labels++
	c.top().refs = append(c.top().refs, r)
}

// resolveAll resolves the labels of the checked packages and of the .bzl
// files they load. Packages the labels name are evaluated as needed; their
// own labels are not resolved unless they are checked too.
func (c *checker) resolveAll() {
	seen := map[string]bool{}
	for i := 0; i < len(c.checked); i++ {
		p := c.checked[i]
		for _, r := range append([]*record{p.rec}, c.modRecords(p.rec, seen, nil)...) {
			for _, ref := range r.refs {
				if msg := c.resolve(ref); msg != "" {
					c.errorf(ref.pos, "%s: %s", ref.attr, msg)
				}
			}
		}
	}
}

// pkgEvaluated returns the package in dir, evaluated, or nil.
func (c *checker) pkgEvaluated(dir string) *pkgInfo {
	p := c.pkgAt(dir)
	if p != nil {
		c.ensure(p)
	}
	return p
}

// resolve returns why r names nothing (or nothing it may use), or "".
func (c *checker) resolve(r *labelRef) string {
	l, err := label.Parse(r.label)
	if err != nil {
		return fmt.Sprintf("%q is not a valid label: %v", r.label, err)
	}
	if l.Relative {
		l.Pkg = r.fromPkg
	}
	if l.Repo == c.module.name {
		l.Repo = ""
	}
	if r.visibility {
		return c.resolveVisibility(l)
	}
	if l.Repo != "" {
		return c.resolveExternal(l)
	}
	p := c.pkgEvaluated(l.Pkg)
	if p == nil {
		return fmt.Sprintf("%s: package //%s does not exist (no BUILD file)", r.label, l.Pkg)
	}
	if p.failed && p.targets[l.Name] == nil {
		return "" // the package's own error is reported
	}
	if t := p.targets[l.Name]; t != nil {
		if r.visPkg != "" && r.visPkg != l.Pkg && !c.visible(p, t, r.visPkg) {
			return fmt.Sprintf("//%s:%s is not visible to package //%s (its visibility is %s)", l.Pkg, l.Name, r.visPkg, describeVis(c.effectiveVis(p, t)))
		}
		return ""
	}
	file := path.Join(l.Pkg, l.Name)
	if c.stat(filepath.Join(c.root, filepath.FromSlash(file))) != "-" {
		if owner, _ := c.owningPackage(file); owner != l.Pkg {
			return fmt.Sprintf("%s: the file %s belongs to package //%s, not //%s", r.label, file, owner, l.Pkg)
		}
		return "" // a source file; Bazel 8 exports them implicitly
	}
	return fmt.Sprintf("%s names nothing: no target %q in %s and no such file%s", r.label, l.Name, c.rel(p.file), nearest(l.Name, sortedNames(p.targets)))
}

// resolveExternal checks a label into another repository as far as the
// facts (or the Go module's source) tell.
func (c *checker) resolveExternal(l label.Label) string {
	repo := c.module.repos[l.Repo]
	if repo == nil {
		return fmt.Sprintf("repository @%s is not created by MODULE.bazel (no bazel_dep or use_repo names it)%s", l.Repo, nearest(l.Repo, sortedNames(c.module.repos)))
	}
	switch {
	case repo.ruleset != nil:
		names, ok := repo.ruleset.Targets[l.Pkg]
		if !ok {
			return fmt.Sprintf("the API facts of %s %s do not list package //%s; add its public targets to %s", repo.ruleset.Name, repo.ruleset.Version, l.Pkg, repo.ruleset.File)
		}
		if !names[l.Name] {
			return fmt.Sprintf("%s %s has no public target //%s:%s%s", repo.ruleset.Name, repo.ruleset.Version, l.Pkg, l.Name, nearest(l.Name, sortedNames(names)))
		}
	case repo.goModule != nil:
		return c.resolveGoPackage(repo.goModule, l)
	case repo.ext != nil && len(repo.ext.RepoTargets) > 0:
		want := fmt.Sprintf("//%s:%s", l.Pkg, l.Name)
		for _, t := range repo.ext.RepoTargets {
			if strings.ReplaceAll(t, "{repo}", repo.name) == want {
				return ""
			}
		}
		return fmt.Sprintf("@%s has no target %s", l.Repo, want)
	}
	return ""
}

// resolveGoPackage checks a label into a go_deps repository against the
// module's source: gazelle generates one package per Go package, its
// library named after the directory (the "import" naming convention), or
// NAME_lib beside the NAME binary of a main package.
func (c *checker) resolveGoPackage(m *goModule, l label.Label) string {
	if m.dir == "" {
		c.stats.GoUnverified++
		return ""
	}
	c.stats.GoPackages++
	dir := filepath.Join(m.dir, filepath.FromSlash(l.Pkg))
	entries, err := os.ReadDir(dir)
	hasGo := false
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") {
			hasGo = true
		}
	}
	if err != nil || !hasGo {
		return fmt.Sprintf("%s %s has no Go package %s", m.path, m.version, path.Join(m.path, l.Pkg))
	}
	base := gazelleLibName(path.Join(m.path, l.Pkg))
	// A file of the package's directory is a source file target of the
	// package gazelle makes there (a prebuilt library a MANIFEST ships).
	if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l.Name))); err == nil && !fi.IsDir() {
		return ""
	}
	if l.Name != base && l.Name != base+"_lib" {
		return fmt.Sprintf("go_deps names the targets of %s %q or %q, not %q, and the module has no such file there", path.Join(m.path, l.Pkg), base, base+"_lib", l.Name)
	}
	return ""
}

// gazelleLibName is the name gazelle's import naming convention gives the
// library of an import path (gazelle 0.53.0 language/go/package.go:197-211):
// its last element, or the one before a /vN major-version suffix, with
// dots as underscores ("gopkg.in/yaml.v2" -> "yaml_v2").
func gazelleLibName(importPath string) string {
	dir, name := path.Split(importPath)
	if majorVersion.MatchString(name) && dir != "" {
		name = path.Base(strings.TrimSuffix(dir, "/"))
	}
	return strings.ReplaceAll(name, ".", "_")
}

var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// resolveVisibility checks one visibility entry.
func (c *checker) resolveVisibility(l label.Label) string {
	if l.Repo == "" && l.Pkg == "visibility" && (l.Name == "public" || l.Name == "private") {
		return ""
	}
	if l.Name == "__pkg__" || l.Name == "__subpackages__" {
		return ""
	}
	if l.Repo != "" {
		return ""
	}
	if p := c.pkgEvaluated(l.Pkg); p != nil {
		if t := p.targets[l.Name]; t != nil && t.kind == "package_group" {
			return ""
		}
	}
	return fmt.Sprintf("//%s:%s is not a package_group, //visibility:public, //visibility:private, __pkg__ or __subpackages__", l.Pkg, l.Name)
}

// effectiveVis is a target's visibility: its own, its rule's for an output
// file, else the package default, else private.
func (c *checker) effectiveVis(p *pkgInfo, t *target) []string {
	if t.rule != nil {
		t = t.rule
	}
	switch {
	case t.hasVis:
		return t.vis
	case p.hasDefault:
		return p.defaultVis
	}
	return []string{"//visibility:private"}
}

func describeVis(vis []string) string {
	return "[" + strings.Join(vis, ", ") + "]"
}

// visible says whether package from may depend on t in p.
func (c *checker) visible(p *pkgInfo, t *target, from string) bool {
	for _, v := range c.effectiveVis(p, t) {
		if c.visAdmits(v, p.path, from, map[string]bool{}) {
			return true
		}
	}
	return false
}

func (c *checker) visAdmits(v, owner, from string, seen map[string]bool) bool {
	l, err := label.Parse(v)
	if err != nil {
		return false
	}
	if l.Relative {
		l.Pkg = owner
	}
	switch {
	case l.Pkg == "visibility" && l.Name == "public":
		return true
	case l.Pkg == "visibility" && l.Name == "private":
		return from == owner
	case l.Name == "__pkg__":
		return from == l.Pkg
	case l.Name == "__subpackages__":
		return l.Pkg == "" || from == l.Pkg || strings.HasPrefix(from, l.Pkg+"/")
	}
	key := l.Pkg + ":" + l.Name
	if seen[key] {
		return false
	}
	seen[key] = true
	gp := c.pkgEvaluated(l.Pkg)
	if gp == nil || gp.targets[l.Name] == nil {
		return false
	}
	g := gp.targets[l.Name]
	// A package group's specs read like a .bzl file's visibility().
	if visibleTo(g.packages, from) {
		return true
	}
	for _, inc := range g.includes {
		if c.visAdmits(inc, l.Pkg, from, seen) {
			return true
		}
	}
	return false
}
