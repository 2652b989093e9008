package closure

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

const moduleFile = "MODULE.bazel"

// module is what MODULE.bazel says about repositories: the bazel_deps, the
// go_deps usages and the names the main repository sees.
type module struct {
	name, repoName string
	deps           map[string]*bazelDep // by apparent name
	usages         []*usage             // root usage first, then isolated ones
	// visible maps an apparent name of the main repository to what it
	// names: a go_deps repository, or a leaf (a bazel_dep, another
	// extension's repository).
	visible map[string]repoRef
	errs    metadata.ErrorList
}

type bazelDep struct {
	name, version string
	line          int
}

// usage is one go_deps extension usage: the root module's non-isolated
// proxies together (Bazel merges their tags), or one isolated proxy.
type usage struct {
	name     string // the variable MODULE.bazel binds the (first) proxy to
	isolated bool
	line     int
	fromFile []tagCall
	tags     []tagCall // gazelle_override, module, module_override, ...
	// Filled by resolve (godeps.go).
	repos      map[string]*goRepo // declared go_repository rules, by name
	repoConfig string             // the WORKSPACE go_repository_config writes
	// aliases maps a repository name of the usage to the apparent name
	// use_repo gives it in the main repository, for messages.
	aliases map[string]string
}

// tagCall is one tag of a usage, with its keyword arguments as Go values
// (string, []string, bool, int).
type tagCall struct {
	tag   string
	attrs map[string]any
	line  int
}

func (t tagCall) str(name string) string {
	s, _ := t.attrs[name].(string)
	return s
}

func (t tagCall) list(name string) []string {
	l, _ := t.attrs[name].([]string)
	return l
}

// readModule parses root/MODULE.bazel and resolves every go_deps usage.
// Problems that Bazel would report while evaluating the module file or the
// extension are collected in module.errs; an error means the file could
// not be read at all.
func readModule(root string) (*module, error) {
	file := filepath.Join(root, moduleFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	f, err := build.ParseModule(file, data)
	if err != nil {
		return nil, err
	}
	m := &module{deps: map[string]*bazelDep{}, visible: map[string]repoRef{}}
	proxies := map[string]*usage{} // by variable
	var rootUsage *usage
	var useRepos []*build.CallExpr
	for _, stmt := range f.Stmt {
		var target string
		call, ok := stmt.(*build.CallExpr)
		if assign, isAssign := stmt.(*build.AssignExpr); isAssign {
			call, ok = assign.RHS.(*build.CallExpr)
			if id, isIdent := assign.LHS.(*build.Ident); isIdent {
				target = id.Name
			}
		}
		if !ok {
			continue
		}
		line := lineOf(call)
		kw := m.kwargs(call)
		switch fn := build.FormatString(call.X); fn {
		case "module":
			m.name, m.repoName = str(kw["name"]), str(kw["repo_name"])
		case "bazel_dep":
			name := str(kw["name"])
			apparent := name
			if rn := str(kw["repo_name"]); rn != "" {
				apparent = rn
			}
			m.deps[apparent] = &bazelDep{name: name, version: str(kw["version"]), line: line}
		case "use_extension":
			if !m.isGoDeps(call) || target == "" {
				continue
			}
			if b, _ := kw["isolate"].(bool); b {
				u := &usage{name: target, isolated: true, line: line}
				m.usages = append(m.usages, u)
				proxies[target] = u
				continue
			}
			if rootUsage == nil {
				rootUsage = &usage{name: target, line: line}
				m.usages = append([]*usage{rootUsage}, m.usages...)
			}
			proxies[target] = rootUsage
		case "use_repo":
			useRepos = append(useRepos, call)
		default:
			dot, isDot := call.X.(*build.DotExpr)
			if !isDot {
				continue
			}
			id, isIdent := dot.X.(*build.Ident)
			if !isIdent || proxies[id.Name] == nil {
				continue
			}
			u := proxies[id.Name]
			t := tagCall{tag: dot.Name, attrs: kw, line: line}
			if dot.Name == "from_file" {
				u.fromFile = append(u.fromFile, t)
			} else {
				u.tags = append(u.tags, t)
			}
		}
	}
	for name, d := range m.deps {
		m.visible[name] = repoRef{leaf: name, module: d.name}
	}
	for _, name := range []string{m.name, m.repoName} {
		if name != "" {
			m.visible[name] = repoRef{main: true}
		}
	}
	// Every module sees Bazel's own repository.
	m.visible["bazel_tools"] = repoRef{leaf: "bazel_tools", module: "bazel_tools"}
	for _, u := range m.usages {
		u.aliases = map[string]string{}
		m.resolve(root, u)
	}
	for _, call := range useRepos {
		m.useRepo(call, proxies)
	}
	return m, nil
}

// isGoDeps says whether a use_extension call names gazelle's go_deps.
func (m *module) isGoDeps(call *build.CallExpr) bool {
	if len(call.List) < 2 {
		return false
	}
	bzl, ok1 := call.List[0].(*build.StringExpr)
	name, ok2 := call.List[1].(*build.StringExpr)
	if !ok1 || !ok2 || name.Value != "go_deps" {
		return false
	}
	l, err := label.Parse(bzl.Value)
	if err != nil || l.Pkg != "" || l.Name != "extensions.bzl" {
		return false
	}
	d := m.deps[l.Repo]
	return d != nil && d.name == "gazelle"
}

// useRepo records the names a use_repo call makes visible: the usage's
// repositories for a go_deps proxy, leaves for any other extension.
func (m *module) useRepo(call *build.CallExpr, proxies map[string]*usage) {
	if len(call.List) == 0 {
		return
	}
	var u *usage
	if id, ok := call.List[0].(*build.Ident); ok {
		u = proxies[id.Name]
	}
	for _, arg := range call.List[1:] {
		apparent, name := "", ""
		switch a := arg.(type) {
		case *build.StringExpr:
			apparent, name = a.Value, a.Value
		case *build.AssignExpr:
			s, ok := a.RHS.(*build.StringExpr)
			if !ok {
				continue
			}
			apparent, name = build.FormatString(a.LHS), s.Value
		default:
			continue
		}
		switch {
		case u == nil:
			m.visible[apparent] = repoRef{leaf: apparent}
			continue
		case extensionLeaves[name]:
			m.visible[apparent] = repoRef{leaf: apparent, module: "gazelle"}
			continue
		}
		// A name the usage does not create is loadcheck's to report; the
		// walk says so only when a label reaches it.
		m.visible[apparent] = repoRef{usage: u, name: name}
		if apparent != name || u.aliases[name] == "" {
			u.aliases[name] = apparent
		}
	}
}

// kwargs reads a call's keyword arguments whose values are literals.
func (m *module) kwargs(call *build.CallExpr) map[string]any {
	out := map[string]any{}
	for _, arg := range call.List {
		a, ok := arg.(*build.AssignExpr)
		if !ok {
			continue
		}
		if v, ok := literal(a.RHS); ok {
			out[build.FormatString(a.LHS)] = v
		}
	}
	return out
}

// literal converts a Starlark literal to a Go value.
func literal(e build.Expr) (any, bool) {
	switch v := e.(type) {
	case *build.StringExpr:
		return v.Value, true
	case *build.Ident:
		switch v.Name {
		case "True":
			return true, true
		case "False":
			return false, true
		}
	case *build.LiteralExpr:
		var n int
		if _, err := fmt.Sscan(v.Token, &n); err == nil {
			return n, true
		}
	case *build.ListExpr:
		l := []string{}
		for _, x := range v.List {
			s, ok := x.(*build.StringExpr)
			if !ok {
				return nil, false
			}
			l = append(l, s.Value)
		}
		return l, true
	}
	return nil, false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func lineOf(e build.Expr) int {
	start, _ := e.Span()
	return start.Line
}

func (u *usage) describe() string {
	if u.isolated {
		return fmt.Sprintf("the isolated usage %s", u.name)
	}
	return fmt.Sprintf("the usage %s", u.name)
}

// goModPath turns a from_file label ("//protocols/op-geth:go.mod") into a
// path relative to the repository root.
func goModPath(l string) (string, error) {
	lb, err := label.Parse(l)
	if err != nil {
		return "", err
	}
	if lb.Repo != "" && lb.Repo != "@" {
		return "", fmt.Errorf("go_deps.from_file: %s is not in the main repository, which this check does not follow", l)
	}
	return path.Join(lb.Pkg, lb.Name), nil
}

func hasPrefixPath(p, prefix string) bool {
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}
