package closure

import (
	"fmt"
	"path"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"go.starlark.net/syntax"

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
	// ccToolchains are the platforms ("linux_arm64") MODULE.bazel
	// registers a registry C/C++ toolchain for: on any other, a cc_* rule
	// in a go_deps repository needs the host's compiler.
	ccToolchains map[string]bool
	// ours reads the main repository's files (and notes what it read).
	ours *mainRepo
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
	// quotedConfig is repoConfig as cacheKey hashes it, made once.
	quotedConfig string
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

// readModule parses MODULE.bazel and resolves every go_deps usage.
// Problems that Bazel would report while evaluating the module file or the
// extension are collected in module.errs; an error means the file could
// not be read at all.
func readModule(ours *mainRepo) (*module, error) {
	m := &module{deps: map[string]*bazelDep{}, visible: map[string]repoRef{}, ours: ours}
	data, err := ours.read(moduleFile)
	if err != nil {
		return nil, err
	}
	f, err := parseFile(moduleFile, data)
	if err != nil {
		return nil, err
	}
	proxies := map[string]*usage{} // by variable
	var rootUsage *usage
	var useRepos []*syntax.CallExpr
	stmts, targets := calls(f)
	for i, call := range stmts {
		target := targets[i]
		line := lineOf(call)
		kw := kwargs(call)
		switch fn := callee(call); fn {
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
		case "register_toolchains":
			for _, a := range call.Args {
				if lit, ok := a.(*syntax.Literal); ok {
					if l, ok := lit.Value.(string); ok && ccToolchainRepos[repoOfLabel(l)] {
						if m.ccToolchains == nil {
							m.ccToolchains = map[string]bool{}
						}
						for _, p := range toolchainPlatforms(l) {
							m.ccToolchains[p.String()] = true
						}
					}
				}
			}
		default:
			dot, isDot := call.Fn.(*syntax.DotExpr)
			if !isDot {
				continue
			}
			id, isIdent := dot.X.(*syntax.Ident)
			if !isIdent || proxies[id.Name] == nil {
				continue
			}
			u := proxies[id.Name]
			t := tagCall{tag: dot.Name.Name, attrs: kw, line: line}
			if dot.Name.Name == "from_file" {
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
		m.resolve(ours.root, u)
	}
	for _, call := range useRepos {
		m.useRepo(call, proxies)
	}
	return m, nil
}

// ccToolchainRepos are the repositories of C/C++ toolchains from the
// registry that the check knows: hermetic_cc_toolchain's zig_sdk
// (toolchain/ext.bzl). Its package toolchain declares each toolchain
// twice, as "<os>_<arch>_<libc>" ("linux_arm64_gnu.2.36") and as
// "<cpu>-<os>-<libc>" ("aarch64-linux-gnu.2.36") (v4.3.0
// toolchain/private/defs.bzl).
var ccToolchainRepos = map[string]bool{"zig_sdk": true}

// toolchainPlatforms are the platforms a registered zig_sdk label gives
// a C toolchain. Only the package toolchain counts: libc_aware/toolchain's
// need a libc constraint that rules_go's platforms do not set, so Bazel
// would not select them there. A wildcard ("all", "...") registers the
// package's toolchains for every platform.
func toolchainPlatforms(l string) []platform {
	_, target, _ := strings.Cut(l, "//")
	pkg, name, _ := strings.Cut(target, ":")
	if pkg == "..." || strings.HasSuffix(pkg, "/...") {
		return platforms
	}
	if pkg != "toolchain" {
		return nil
	}
	if name == "all" || name == "*" || name == "all-targets" {
		return platforms
	}
	var out []platform
	for _, p := range platforms {
		if strings.HasPrefix(name, p.String()+"_") || strings.HasPrefix(name, p.CPU+"-"+p.GOOS+"-") {
			out = append(out, p)
		}
	}
	return out
}

// repoOfLabel is the apparent repository a label names, "" for the main
// repository.
func repoOfLabel(l string) string {
	rest, ok := strings.CutPrefix(l, "@")
	if !ok {
		return ""
	}
	repo, _, _ := strings.Cut(rest, "//")
	return repo
}

// isGoDeps says whether a use_extension call names gazelle's go_deps.
func (m *module) isGoDeps(call *syntax.CallExpr) bool {
	if len(call.Args) < 2 {
		return false
	}
	bzl, ok1 := stringLit(call.Args[0])
	name, ok2 := stringLit(call.Args[1])
	if !ok1 || !ok2 || name != "go_deps" {
		return false
	}
	l, err := label.Parse(bzl)
	if err != nil || l.Pkg != "" || l.Name != "extensions.bzl" {
		return false
	}
	d := m.deps[l.Repo]
	return d != nil && d.name == "gazelle"
}

// useRepo records the names a use_repo call makes visible: the usage's
// repositories for a go_deps proxy, leaves for any other extension.
func (m *module) useRepo(call *syntax.CallExpr, proxies map[string]*usage) {
	if len(call.Args) == 0 {
		return
	}
	var u *usage
	if id, ok := call.Args[0].(*syntax.Ident); ok {
		u = proxies[id.Name]
	}
	for _, arg := range call.Args[1:] {
		apparent, name := "", ""
		if s, ok := stringLit(arg); ok {
			apparent, name = s, s
		} else if kw, ok := arg.(*syntax.BinaryExpr); ok && kw.Op == syntax.EQ {
			id, isIdent := kw.X.(*syntax.Ident)
			s, isString := stringLit(kw.Y)
			if !isIdent || !isString {
				continue
			}
			apparent, name = id.Name, s
		} else {
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
func kwargs(call *syntax.CallExpr) map[string]any {
	out := map[string]any{}
	for name, e := range keywords(call) {
		if v, ok := literal(e); ok {
			out[name] = v
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
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
