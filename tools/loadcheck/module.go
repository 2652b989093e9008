package loadcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/protocol-forge/protocol-forge/tools/gosource"
)

// moduleInfo is what MODULE.bazel makes visible to the main repository.
type moduleInfo struct {
	name  string
	repos map[string]*repoInfo // by apparent name
}

// repoInfo is one repository the main module sees.
type repoInfo struct {
	ruleset *Ruleset   // a bazel_dep's facts
	ext     *Extension // or the extension that creates it
	// name is the repository's name inside its extension, for templates.
	name string
	// goModule is set for go_deps repositories: the module's source.
	goModule *goModule
}

type goModule struct {
	path, version string
	dir           string // in the module cache, "" when not downloaded
}

// extUsage is one use_extension result: a proxy whose attributes are the
// extension's tags.
type extUsage struct {
	c        *checker
	ext      *Extension
	bzl      string
	name     string
	isolate  bool
	tagCalls []tagCall
}

type tagCall struct {
	tag   string
	attrs map[string]starlark.Value
	pos   syntax.Position
}

func (u *extUsage) String() string        { return "<extension " + u.name + ">" }
func (u *extUsage) Type() string          { return "module_extension_proxy" }
func (u *extUsage) Freeze()               {}
func (u *extUsage) Truth() starlark.Bool  { return true }
func (u *extUsage) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable") }
func (u *extUsage) AttrNames() []string   { return sortedNames(u.ext.Tags) }
func (u *extUsage) Attr(tag string) (starlark.Value, error) {
	attrs, ok := u.ext.Tags[tag]
	if !ok {
		return nil, fmt.Errorf("extension %s of %s has no tag class %q (it has %s)", u.name, u.bzl, tag, strings.Join(u.AttrNames(), ", "))
	}
	return starlark.NewBuiltin(u.name+"."+tag, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		pos := thread.CallFrame(1).Pos
		if len(args) > 0 {
			u.c.errorf(pos, "%s takes keyword arguments only", fn.Name())
		}
		call := tagCall{tag: tag, attrs: map[string]starlark.Value{}, pos: pos}
		u.c.stats.RuleCalls++
		for _, kv := range kwargs {
			name := string(kv[0].(starlark.String))
			call.attrs[name] = kv[1]
			u.c.stats.Attributes++
			a, ok := attrs[name]
			if !ok {
				u.c.errorf(u.c.argPos(pos, name), "%s has no attribute %q", fn.Name(), name)
				continue
			}
			u.c.checkValue(thread, u.c.argPos(pos, name), fn.Name(), name, a.Type, kv[1], "", false)
		}
		for _, name := range sortedNames(attrs) {
			if attrs[name].Mandatory && call.attrs[name] == nil {
				u.c.errorf(pos, "%s: missing mandatory attribute %q", fn.Name(), name)
			}
		}
		u.tagCalls = append(u.tagCalls, call)
		return starlark.None, nil
	}), nil
}

// loadModule evaluates MODULE.bazel.
func (c *checker) loadModule() error {
	file := filepath.Join(c.root, "MODULE.bazel")
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	c.stats.Files++
	// @bazel_tools is Bazel's own repository, visible to every module
	// without a bazel_dep; the Bazel facts list its targets we name.
	c.module = &moduleInfo{repos: map[string]*repoInfo{"bazel_tools": {ruleset: c.bazel, name: "bazel_tools"}}}
	deps := map[string]*Ruleset{} // by module name
	var usages []*extUsage
	// register_toolchains' labels, checked once every use_repo has made
	// its names.
	type registered struct {
		pos   syntax.Position
		label string
	}
	var toolchains []registered
	kw := func(kwargs []starlark.Tuple, name string) (starlark.Value, bool) {
		for _, kv := range kwargs {
			if string(kv[0].(starlark.String)) == name {
				return kv[1], true
			}
		}
		return nil, false
	}
	str := func(kwargs []starlark.Tuple, name string) string {
		v, _ := kw(kwargs, name)
		s, _ := starlark.AsString(v)
		return s
	}
	noop := func(name string) *starlark.Builtin {
		return starlark.NewBuiltin(name, func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.None, nil
		})
	}
	predeclared := starlark.StringDict{
		"module": starlark.NewBuiltin("module", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			c.module.name = str(kwargs, "name")
			if rn := str(kwargs, "repo_name"); rn != "" {
				c.module.name = rn
			}
			return starlark.None, nil
		}),
		"bazel_dep": starlark.NewBuiltin("bazel_dep", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name, version, repoName string
			var dev bool
			var maxCompat int
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "version?", &version, "repo_name?", &repoName, "dev_dependency?", &dev, "max_compatibility_level?", &maxCompat); err != nil {
				return nil, err
			}
			pos := thread.CallFrame(1).Pos
			rs := c.facts[name+"@"+version]
			if rs == nil {
				c.errorf(pos, "no API facts for %s %s: write tools/loadcheck/facts/%s@%s.star from its source at that version", name, version, name, version)
			}
			deps[name] = rs
			if repoName == "" {
				repoName = name
			}
			c.module.repos[repoName] = &repoInfo{ruleset: rs, name: repoName}
			return starlark.None, nil
		}),
		"use_extension": starlark.NewBuiltin("use_extension", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var bzl, name string
			var dev, isolate bool
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "extension_bzl_file", &bzl, "extension_name", &name, "dev_dependency?", &dev, "isolate?", &isolate); err != nil {
				return nil, err
			}
			pos := thread.CallFrame(1).Pos
			l, err := label.Parse(bzl)
			if err != nil {
				return nil, fmt.Errorf("use_extension: %v", err)
			}
			u := &extUsage{c: c, bzl: bzl, name: name, isolate: isolate}
			rs := deps[l.Repo]
			if _, declared := deps[l.Repo]; !declared {
				c.errorf(pos, "use_extension: %s is in @%s, which no bazel_dep before this line declares", bzl, l.Repo)
			}
			if rs != nil {
				u.ext = rs.Extensions["//"+l.Pkg+":"+l.Name][name]
				if u.ext == nil {
					c.errorf(pos, "use_extension: %s %s has no extension %q in %s", rs.Name, rs.Version, name, bzl)
				}
			}
			if u.ext == nil {
				u.ext = &Extension{Tags: map[string]map[string]Attr{}}
			}
			if isolate && !c.bazelrcHas("--experimental_isolated_extension_usages") {
				c.errorf(pos, "use_extension(isolate = True) needs --experimental_isolated_extension_usages, which .bazelrc does not set")
			}
			usages = append(usages, u)
			return u, nil
		}),
		"use_repo": starlark.NewBuiltin("use_repo", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			pos := thread.CallFrame(1).Pos
			if len(args) == 0 {
				return nil, fmt.Errorf("use_repo: missing the extension proxy")
			}
			u, ok := args[0].(*extUsage)
			if !ok {
				return nil, fmt.Errorf("use_repo: the first argument must be a use_extension result, not %s", args[0].Type())
			}
			created, err := c.createdRepos(u)
			if err != nil {
				return nil, err
			}
			use := func(apparent, inner string) {
				c.stats.Labels++
				info := created[inner]
				if info == nil {
					c.errorf(c.literalInCall(pos, inner), "use_repo: extension %s creates no repository %q%s", u.name, inner, nearest(inner, sortedNames(created)))
					info = &repoInfo{ext: u.ext, name: inner}
				}
				if prev, dup := c.module.repos[apparent]; dup && prev != nil {
					c.errorf(pos, "use_repo: repository name %q is already in use", apparent)
				}
				c.module.repos[apparent] = info
			}
			for _, a := range args[1:] {
				s, ok := starlark.AsString(a)
				if !ok {
					return nil, fmt.Errorf("use_repo: repository names are strings, not %s", a.Type())
				}
				use(s, s)
			}
			for _, kv := range kwargs {
				s, ok := starlark.AsString(kv[1])
				if !ok {
					return nil, fmt.Errorf("use_repo: repository names are strings, not %s", kv[1].Type())
				}
				use(string(kv[0].(starlark.String)), s)
			}
			return starlark.None, nil
		}),
		"register_toolchains": starlark.NewBuiltin("register_toolchains", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			pos := thread.CallFrame(1).Pos
			for _, a := range args {
				s, ok := starlark.AsString(a)
				if !ok {
					return nil, fmt.Errorf("register_toolchains: toolchain labels are strings, not %s", a.Type())
				}
				toolchains = append(toolchains, registered{pos, s})
			}
			for _, kv := range kwargs {
				if kv[0] != starlark.String("dev_dependency") {
					return nil, fmt.Errorf("register_toolchains: unexpected keyword argument %s", kv[0])
				}
			}
			return starlark.None, nil
		}),
		"register_execution_platforms": noop("register_execution_platforms"),
		"single_version_override":      noop("single_version_override"),
		"multiple_version_override":    noop("multiple_version_override"),
		"archive_override":             noop("archive_override"),
		"git_override":                 noop("git_override"),
		"local_path_override":          noop("local_path_override"),
		"inject_repo":                  noop("inject_repo"),
		"override_repo":                noop("override_repo"),
	}
	thread := &starlark.Thread{Name: "MODULE.bazel"}
	opts := bazelDialect()
	f, err := opts.Parse(file, src, syntax.RetainComments)
	if err != nil {
		c.reportEvalError(err)
		return nil
	}
	c.indexCalls(file, f)
	if _, err := starlark.ExecFileOptions(opts, thread, file, src, predeclared); err != nil {
		c.reportEvalError(err)
	}
	// A registered toolchain must be a target of a repository MODULE.bazel
	// sees (Bazel fails resolving toolchains otherwise); a pattern
	// (":all", "/...") is checked for its repository only.
	for _, t := range toolchains {
		c.stats.Labels++
		at := c.literalInCall(t.pos, t.label)
		l, err := label.Parse(t.label)
		if err != nil || l.Repo == "" || l.Repo == "@" {
			if err != nil {
				c.errorf(at, "register_toolchains: %v", err)
			}
			continue
		}
		if l.Name == "all" || strings.HasSuffix(l.Pkg, "...") || l.Name == "..." {
			if c.module.repos[l.Repo] == nil {
				c.errorf(at, "register_toolchains: repository @%s is not created by MODULE.bazel (no bazel_dep or use_repo names it)", l.Repo)
			}
			continue
		}
		if msg := c.resolveExternal(l); msg != "" {
			c.errorf(at, "register_toolchains: %s", msg)
		}
	}
	return nil
}

// createdRepos returns the repositories a usage's tags create, by name.
func (c *checker) createdRepos(u *extUsage) (map[string]*repoInfo, error) {
	out := map[string]*repoInfo{}
	if u.ext.GoMod {
		for _, call := range u.tagCalls {
			if call.tag != "from_file" {
				continue
			}
			v, _ := starlark.AsString(call.attrs["go_mod"])
			mods, err := c.goModules(v)
			if err != nil {
				c.errorf(call.pos, "%v", err)
				continue
			}
			for _, m := range mods {
				out[gosource.RepoName(m.path)] = &repoInfo{ext: u.ext, name: gosource.RepoName(m.path), goModule: m}
			}
		}
		return out, nil
	}
	// Repos[""] are made by the extension whatever its tags.
	for _, name := range u.ext.Repos[""] {
		out[name] = &repoInfo{ext: u.ext, name: name}
	}
	for _, call := range u.tagCalls {
		for _, tmpl := range u.ext.Repos[call.tag] {
			for _, name := range expand(tmpl, call.attrs) {
				out[name] = &repoInfo{ext: u.ext, name: name}
			}
		}
	}
	return out, nil
}

// expand fills a repository-name template from a tag's attributes: a
// string attribute once, a list attribute once per element ("/" becomes
// "_"). A template naming an attribute the tag does not set yields nothing.
func expand(tmpl string, attrs map[string]starlark.Value) []string {
	outs := []string{""}
	for len(tmpl) > 0 {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			for k := range outs {
				outs[k] += tmpl
			}
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		lit, key := tmpl[:i], tmpl[i+1:i+j]
		tmpl = tmpl[i+j+1:]
		var vals []string
		switch v := attrs[key].(type) {
		case starlark.String:
			vals = []string{string(v)}
		case *starlark.List:
			for k := 0; k < v.Len(); k++ {
				if s, ok := starlark.AsString(v.Index(k)); ok {
					vals = append(vals, strings.ReplaceAll(s, "/", "_"))
				}
			}
		}
		var next []string
		for _, o := range outs {
			for _, v := range vals {
				if v != "" {
					next = append(next, o+lit+v)
				}
			}
		}
		outs = next
	}
	return outs
}

// goModules reads the go.mod a go_deps from_file tag names and returns its
// requirements, replacements applied, with their place in the module cache.
func (c *checker) goModules(goModLabel string) ([]*goModule, error) {
	l, err := label.Parse(goModLabel)
	if err != nil || (l.Repo != "" && l.Repo != c.module.name) {
		return nil, fmt.Errorf("go_deps.from_file: go_mod %q must be a file of this repository", goModLabel)
	}
	file := filepath.Join(c.root, filepath.FromSlash(l.Pkg), l.Name)
	c.envFiles = append(c.envFiles, c.rel(file))
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("go_deps.from_file: %v", err)
	}
	mf, err := modfile.Parse(file, data, nil)
	if err != nil {
		return nil, err
	}
	replaced := map[string]module.Version{}
	for _, r := range mf.Replace {
		replaced[r.Old.Path] = r.New
	}
	cache := goModCache()
	var out []*goModule
	for _, r := range mf.Require {
		m := &goModule{path: r.Mod.Path, version: r.Mod.Version}
		src := r.Mod
		if n, ok := replaced[r.Mod.Path]; ok && n.Version != "" {
			src = n
		}
		if esc, err := module.EscapePath(src.Path); err == nil && cache != "" {
			dir := filepath.Join(cache, esc+"@"+src.Version)
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				m.dir = dir
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func goModCache() string {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// bazelrcHas says whether .bazelrc mentions flag on a line of its own.
func (c *checker) bazelrcHas(flag string) bool {
	data, err := os.ReadFile(filepath.Join(c.root, ".bazelrc"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if f == flag || strings.HasPrefix(f, flag+"=") {
				return true
			}
		}
	}
	return false
}

// nearest suggests the closest of names to s, for "did you mean".
func nearest(s string, names []string) string {
	best, bestD := "", len(s)/3+1
	for _, n := range names {
		if d := distance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Pins returns "name@version" for Bazel (.bazelversion) and every
// bazel_dep of root's MODULE.bazel: the versions that need facts.
func Pins(root string) ([]string, error) {
	v, err := os.ReadFile(filepath.Join(root, ".bazelversion"))
	if err != nil {
		return nil, err
	}
	pins := []string{"bazel@" + strings.TrimSpace(string(v))}
	file := filepath.Join(root, "MODULE.bazel")
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	f, err := bazelDialect().Parse(file, src, 0)
	if err != nil {
		return nil, err
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fn.(*syntax.Ident); !ok || id.Name != "bazel_dep" {
			return true
		}
		kw := map[string]string{}
		for _, arg := range call.Args {
			if b, ok := arg.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
				if lit, ok := b.Y.(*syntax.Literal); ok {
					if s, ok := lit.Value.(string); ok {
						kw[b.X.(*syntax.Ident).Name] = s
					}
				}
			}
		}
		pins = append(pins, kw["name"]+"@"+kw["version"])
		return true
	})
	return pins, nil
}
