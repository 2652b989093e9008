package closure

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"go.starlark.net/syntax"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// repoRef is a repository as a label names it after repository mapping:
// the main repository, a go_deps usage's repository, or a leaf the walk
// does not enter (a bazel_dep, a repository of another extension).
//
// Leaves are trusted: rules_go, gazelle and the other bazel_deps are
// released and tested with Bazel; only the Go modules' BUILD files, which
// gazelle generates here, are walked.
type repoRef struct {
	main   bool
	usage  *usage
	name   string // in usage
	leaf   string // apparent name
	module string // a leaf's Bazel module, when known
}

func (r repoRef) key() string {
	switch {
	case r.main:
		return ""
	case r.usage != nil:
		return r.usage.name + "\x00" + r.name
	}
	return "leaf\x00" + r.leaf
}

// repoID identifies a repository as key does, without making a string:
// the walk compares repositories and looks packages up on every edge.
type repoID struct {
	main       bool
	usage      *usage
	name, leaf string
}

func (r repoRef) id() repoID {
	switch {
	case r.main:
		return repoID{main: true}
	case r.usage != nil:
		return repoID{usage: r.usage, name: r.name}
	}
	return repoID{leaf: r.leaf}
}

// pkgID identifies a package of a repository.
type pkgID struct {
	repo repoID
	dir  string
}

// node is a target.
type node struct {
	repo      repoRef
	pkg, name string
}

func (n node) key() string { return n.repo.key() + "//" + n.pkg + ":" + n.name }

// reached identifies a target on a platform, for the walk's queue.
type reached struct {
	pkg  pkgID
	name string
	plat platform
}

func (n node) on(plat platform) reached {
	return reached{pkgID{n.repo.id(), n.pkg}, n.name, plat}
}

// gazelleHost is what a go_deps repository sees besides its own usage's
// repositories: the repository mapping of the gazelle module that hosts
// the extension, from gazelle's MODULE.bazel at v0.53.0. Apparent name to
// Bazel module; "go_deps" marks the root usage's repositories that gazelle
// imports with use_repo (:35-50), which isolated usages reach through it.
var gazelleHost = map[string]string{
	"bazel_gazelle":                      "gazelle",          // module(repo_name), :1-6
	"bazel_features":                     "bazel_features",   // :8
	"bazel_skylib":                       "bazel_skylib",     // :9
	"com_google_protobuf":                "protobuf",         // :10
	"rules_cc":                           "rules_cc",         // :11
	"io_bazel_rules_go":                  "rules_go",         // :12
	"rules_license":                      "rules_license",    // :13
	"package_metadata":                   "package_metadata", // :14
	"rules_shell":                        "rules_shell",      // :15
	"go_host_compatible_sdk_label":       "rules_go",         // :20-23
	"bazel_gazelle_go_repository_cache":  "gazelle",          // :26-31
	"bazel_gazelle_go_repository_tools":  "gazelle",
	"bazel_gazelle_is_bazel_module":      "gazelle",
	"bazel_tools":                        "bazel_tools",
	"com_github_bazelbuild_buildtools":   "go_deps", // :35-50
	"com_github_bmatcuk_doublestar_v4":   "go_deps",
	"com_github_fsnotify_fsnotify":       "go_deps",
	"com_github_google_go_cmp":           "go_deps",
	"com_github_pmezard_go_difflib":      "go_deps",
	"org_golang_x_mod":                   "go_deps",
	"org_golang_x_sync":                  "go_deps",
	"org_golang_x_tools_go_vcs":          "go_deps",
	"bazel_gazelle_go_repository_config": "go_deps",
	"com_github_golang_protobuf":         "go_deps",
	"org_golang_google_protobuf":         "go_deps",
}

// followed are the attributes the walk follows, by rule kind: what a Go
// target compiles with. srcs is followed only into rules (generated
// sources), never into files.
var followed = map[string][]string{
	"go_library":      {"deps", "embed", "srcs", "cdeps"},
	"go_binary":       {"deps", "embed", "srcs", "cdeps"},
	"go_test":         {"deps", "embed", "srcs", "cdeps"},
	"go_source":       {"deps", "embed", "srcs", "cdeps"},
	"go_cross_binary": {"target"},
	"alias":           {"actual"},
	// Followed only where a C/C++ toolchain is registered (ccKinds).
	"cc_library": {"deps", "srcs", "hdrs", "implementation_deps"},
	"cc_binary":  {"deps", "srcs"},
	"cc_import":  {"deps", "shared_library", "static_library", "interface_library"},
	// Ours (rules/private/platform_files.bzl): a MANIFEST entry's source
	// built for one platform, upstream's go_binary for most protocols.
	"platform_files": {"src"},
}

// roots are the rule kinds the walk starts from in our BUILD files.
var roots = map[string]bool{"go_library": true, "go_binary": true, "go_test": true, "go_cross_binary": true, "platform_files": true}

// codegen are rule kinds that need more than the Go toolchain to build: a
// proto compiler built from C++ sources, a C toolchain, or a generator run
// at build time where the module ships the generated Go code.
var codegen = map[string]string{
	"proto_library":     "needs protoc, which Bazel compiles from protobuf's C++ sources (a C++ toolchain, minutes of compiling)",
	"go_proto_library":  "needs protoc, which Bazel compiles from protobuf's C++ sources (a C++ toolchain, minutes of compiling)",
	"go_grpc_library":   "needs protoc, which Bazel compiles from protobuf's C++ sources (a C++ toolchain, minutes of compiling)",
	"go_proto_compiler": "needs protoc, which Bazel compiles from protobuf's C++ sources (a C++ toolchain, minutes of compiling)",
	"go_yacc":           "runs goyacc at build time to regenerate a parser the module ships as Go code",
	"genrule":           "runs a genrule's command at build time",
	"cc_library":        "needs a C/C++ toolchain",
	"cc_binary":         "needs a C/C++ toolchain",
	"cc_import":         "needs a C/C++ toolchain to link",
	"cc_proto_library":  "needs a C/C++ toolchain",
}

// fileAttrs are the followed attributes that take source files as well
// as rules: a file there must exist, a rule there is walked.
var fileAttrs = map[string]bool{"srcs": true, "src": true, "hdrs": true, "shared_library": true, "static_library": true, "interface_library": true}

// ccKinds are the cc rules that need a C/C++ toolchain and nothing else:
// where MODULE.bazel registers one from the registry for the platform
// walked (module.ccToolchains),
// the walk follows them as it follows Go targets instead of reporting them.
var ccKinds = map[string]bool{"cc_library": true, "cc_binary": true, "cc_import": true}

// pkgInfo is one loaded package.
type pkgInfo struct {
	repo    repoRef
	path    string
	file    string // the BUILD file, as messages name it
	missing bool   // no BUILD file
	rules   map[string]*ruleInfo
	outputs map[string]*ruleInfo // declared output files, by name
	vars    map[string]syntax.Expr
	// defaultVisibility is package()'s, else REPO.bazel's; nil for none.
	defaultVisibility []string
	isFile            func(name string) bool
	prepared          *prepared // for go_deps repositories
}

type ruleInfo struct {
	kind, name string
	line       int
	attrs      map[string]syntax.Expr
}

// item is a target reached on a platform, with the way it was reached.
type item struct {
	node   node
	plat   platform
	parent *item
	// The repository-relative BUILD file and line of the root's label that
	// starts this path.
	file string
	line int
}

// problem is one finding, reported once with the first (shortest) chain.
type problem struct {
	file  string
	line  int
	chain string
	msg   string
	plats map[string]bool
	// more counts further targets of the same codegen kind in a repository.
	more int
}

type walker struct {
	root     string
	mod      *module
	repos    *repositories
	ours     *mainRepo
	pkgs     map[pkgID]*pkgInfo
	pkgErrs  map[pkgID]error // packages that could not be loaded
	problems map[string]*problem
	order    []string
	stats    Stats
	reached  map[*goRepo]bool
	seen     map[string]bool // codegen targets already counted
	// repoVisibility memoizes each repository's REPO.bazel default
	// visibility, by the directory it is in.
	repoVisibility map[string][]string
}

func newWalker(root string, mod *module, repos *repositories, ours *mainRepo) *walker {
	return &walker{root: root, mod: mod, repos: repos, ours: ours, pkgs: map[pkgID]*pkgInfo{}, pkgErrs: map[pkgID]error{},
		problems: map[string]*problem{}, reached: map[*goRepo]bool{}, seen: map[string]bool{}, repoVisibility: map[string][]string{}}
}

// run walks from every Go target of the packages it starts from (every
// package under protocols/, one level, and tools/, or Options.Packages),
// breadth first, so that each problem is reported with a shortest chain.
func (w *walker) run() error {
	starts, err := w.roots()
	if err != nil {
		return err
	}
	var queue []*item
	seen := map[reached]bool{}
	for _, n := range starts {
		p := w.pkgs[pkgID{n.repo.id(), n.pkg}]
		for _, plat := range platforms {
			queue = append(queue, &item{node: n, plat: plat, file: p.file, line: p.rules[n.name].line})
			seen[n.on(plat)] = true
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, next := range w.visit(it) {
			k := next.node.on(next.plat)
			if !seen[k] {
				seen[k] = true
				queue = append(queue, next)
			}
		}
	}
	w.stats.Repositories = len(w.reached)
	w.stats.Generated, w.stats.Gazelle, w.stats.Cached = w.repos.generated, w.repos.gazelle, w.repos.cached
	return nil
}

// roots loads the packages of ours the walk starts from (mainRepo.starts)
// and returns their Go targets, in the order of the packages and, in each,
// of the lines.
func (w *walker) roots() ([]node, error) {
	dirs, err := w.ours.starts()
	if err != nil {
		return nil, err
	}
	var out []node
	for _, dir := range dirs {
		file, f, err := w.ours.buildFile(dir, false)
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue // no BUILD file, or one with no rule to start from
		}
		p := w.newPkg(repoRef{main: true}, dir, file, f)
		var names []string
		for name, r := range p.rules {
			if roots[r.kind] {
				names = append(names, name)
			}
		}
		sort.Slice(names, func(i, j int) bool { return p.rules[names[i]].line < p.rules[names[j]].line })
		for _, name := range names {
			out = append(out, node{repoRef{main: true}, dir, name})
		}
	}
	return out, nil
}

// visit follows one target's edges and returns the targets it reaches.
func (w *walker) visit(it *item) []*item {
	w.stats.Targets++
	p, err := w.pkg(it.node.repo, it.node.pkg)
	if err != nil {
		w.report(it, "", 0, "error", err.Error())
		return nil
	}
	r := p.rules[it.node.name]
	if _, ok := codegen[r.kind]; ok && !(ccKinds[r.kind] && w.mod.ccToolchains[it.plat.String()]) {
		w.reportCodegen(it.parent, it, w.display(it.node), p, r)
		return nil
	}
	var next []*item
	for _, attr := range followed[r.kind] {
		e, ok := r.attrs[attr]
		if !ok {
			continue
		}
		labels, err := w.labels(p, e, it.plat)
		if err != nil {
			var ee *evalError
			line := r.line
			if errors.As(err, &ee) {
				line = ee.line
			}
			w.report(it, "", 0, "eval:"+it.node.key()+":"+attr, fmt.Sprintf("%s of %s (%s:%d): %v", attr, w.display(it.node), p.file, line, err))
			continue
		}
		for _, l := range labels {
			if n := w.edge(it, p, attr, l); n != nil {
				next = append(next, n)
			}
		}
	}
	return next
}

// edge checks one label of an attribute and returns the target to walk,
// or nil.
func (w *walker) edge(it *item, p *pkgInfo, attr string, at labelAt) *item {
	l, err := label.Parse(at.value)
	if err != nil {
		w.report(it, at.value, at.line, "label:"+at.value, fmt.Sprintf("%s: %v", attr, err))
		return nil
	}
	ref, ok := w.resolveRepo(p.repo, l)
	if !ok {
		w.report(it, "@"+l.Repo+"//"+l.Pkg+":"+l.Name, at.line, "repo:"+p.repo.key()+":"+l.Repo, w.notVisible(p.repo, l.Repo))
		return nil
	}
	pkg := l.Pkg
	if l.Relative {
		pkg = p.path
	}
	target := node{ref, pkg, l.Name}
	shown := w.display(target)
	w.stats.Edges++
	if ref.leaf != "" {
		return nil
	}
	if ref.usage != nil && ref.usage.repos[ref.name] == nil {
		w.report(it, shown, at.line, "repo:"+ref.key(), fmt.Sprintf("%s is not a repository that %s creates", "@"+ref.name, ref.usage.describe()))
		return nil
	}
	tp, err := w.pkg(ref, pkg)
	if err != nil {
		w.report(it, shown, at.line, "prepare:"+ref.key(), err.Error())
		return nil
	}
	if tp.missing {
		w.report(it, shown, at.line, "pkg:"+ref.key()+"//"+pkg, fmt.Sprintf("no package %q in %s: it has no BUILD file there%s", pkg, w.repoDisplay(ref), w.hint(tp)))
		return nil
	}
	tr := tp.rules[l.Name]
	if tr == nil {
		switch {
		case tp.outputs[l.Name] != nil:
			w.reportCodegen(it, nil, shown, tp, tp.outputs[l.Name])
		case tp.isFile(l.Name) && !fileAttrs[attr]:
			w.report(it, shown, at.line, "file:"+target.key(), fmt.Sprintf("%s is a source file, not a rule, so it cannot be in %s", shown, attr))
		case !tp.isFile(l.Name):
			w.report(it, shown, at.line, "target:"+target.key(), fmt.Sprintf("no target %q in %s%s", l.Name, tp.file, w.hint(tp)))
		}
		return nil
	}
	if fileAttrs[attr] && attr != "src" && codegen[tr.kind] == "" {
		return nil
	}
	if msg := w.checkVisibility(tp, tr, it.node); msg != "" {
		w.report(it, shown, at.line, "vis:"+target.key()+":"+it.node.key(), msg)
	}
	line := it.line
	if it.parent == nil {
		line = at.line
	}
	return &item{node: target, plat: it.plat, parent: it, file: it.file, line: line}
}

// resolveRepo maps a label's repository, as written in a BUILD file of
// from, to the repository it names.
func (w *walker) resolveRepo(from repoRef, l label.Label) (repoRef, bool) {
	switch {
	case l.Repo == "":
		return from, true
	case l.Repo == "@":
		return repoRef{main: true}, true
	case l.Canonical:
		// A canonical name bypasses repository mapping; the walk knows the
		// main repository's ("@@") and treats any other as a leaf.
		return repoRef{leaf: "@" + l.Repo, module: strings.TrimSuffix(l.Repo, "+")}, true
	case from.main:
		r, ok := w.mod.visible[l.Repo]
		return r, ok
	case from.usage != nil:
		if l.Repo == from.name || from.usage.repos[l.Repo] != nil {
			return repoRef{usage: from.usage, name: l.Repo}, true
		}
		if extensionLeaves[l.Repo] {
			return repoRef{leaf: l.Repo, module: "gazelle"}, true
		}
		switch m, ok := gazelleHost[l.Repo]; {
		case !ok:
			return repoRef{}, false
		case m == "go_deps":
			if len(w.mod.usages) > 0 && !w.mod.usages[0].isolated {
				return repoRef{usage: w.mod.usages[0], name: l.Repo}, true
			}
			return repoRef{}, false
		default:
			return repoRef{leaf: l.Repo, module: m}, true
		}
	}
	// A leaf's labels are not walked.
	return repoRef{leaf: l.Repo}, true
}

func (w *walker) notVisible(from repoRef, name string) string {
	if from.main {
		return fmt.Sprintf("no repository visible as @%s from the main repository: MODULE.bazel has no bazel_dep or use_repo of that name", name)
	}
	return fmt.Sprintf("no repository visible as @%s from %s: a go_deps repository sees the repositories of its usage (%s) and gazelle's own dependencies", name, w.repoDisplay(from), from.usage.name)
}

// pkg loads a package of the main repository or of a go_deps repository,
// preparing the repository on first use.
func (w *walker) pkg(ref repoRef, dir string) (*pkgInfo, error) {
	k := pkgID{ref.id(), dir}
	if p, ok := w.pkgs[k]; ok {
		return p, nil
	}
	if err, ok := w.pkgErrs[k]; ok {
		return nil, err
	}
	p, err := w.loadPkg(ref, dir)
	if err != nil {
		w.pkgErrs[k] = err
	}
	return p, err
}

func (w *walker) loadPkg(ref repoRef, dir string) (*pkgInfo, error) {
	switch {
	case ref.main:
		file, f, err := w.ours.buildFile(dir, true)
		if err != nil {
			return nil, err
		}
		return w.newPkg(ref, dir, file, f), nil
	case ref.usage != nil:
		r := ref.usage.repos[ref.name]
		w.reached[r] = true
		prep := w.repos.get(r)
		if prep.err != nil {
			return nil, fmt.Errorf("%s: %v", w.repoDisplay(ref), prep.err)
		}
		if r.localPath != "" {
			w.ours.noteTree(r.localPath)
		}
		base := filepath.Join(prep.dir, "tree")
		for _, name := range buildFileNames {
			data, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(dir), name))
			if missing(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			f, err := parseFile(w.display(node{ref, dir, name}), data)
			if err != nil {
				return nil, err // it names the file
			}
			return w.newPkg(ref, dir, name, f), nil
		}
		return w.newPkg(ref, dir, "", nil), nil
	}
	return nil, fmt.Errorf("the walk does not enter @%s", ref.leaf)
}

// newPkg makes package dir of repository ref from its BUILD file (name in
// dir; "" and f nil when there is none) and registers it.
func (w *walker) newPkg(ref repoRef, dir, name string, f *syntax.File) *pkgInfo {
	p := &pkgInfo{repo: ref, path: dir, rules: map[string]*ruleInfo{}, outputs: map[string]*ruleInfo{}, vars: map[string]syntax.Expr{}}
	w.pkgs[pkgID{ref.id(), dir}] = p
	var base string
	if ref.main {
		base = w.root
		p.isFile = func(file string) bool { return w.ours.isFile(path.Join(dir, file)) }
	} else {
		prep := w.repos.get(ref.usage.repos[ref.name])
		base = filepath.Join(prep.dir, "tree")
		p.prepared = prep
		p.isFile = func(file string) bool { return prep.isFile(path.Join(dir, file)) }
	}
	if f == nil {
		p.missing = true
		return p
	}
	p.file = path.Join(dir, name)
	if !ref.main {
		p.file = w.display(node{ref, dir, name})
	}
	w.stats.Packages++
	p.defaultVisibility = w.repoDefaultVisibility(base, ref.main)
	for _, stmt := range f.Stmts {
		switch s := stmt.(type) {
		case *syntax.AssignStmt:
			id, ok := s.LHS.(*syntax.Ident)
			if !ok {
				continue
			}
			switch s.Op {
			case syntax.EQ:
				p.vars[id.Name] = s.RHS
			case syntax.PLUS_EQ:
				if prev, ok := p.vars[id.Name]; ok {
					p.vars[id.Name] = &syntax.BinaryExpr{X: prev, OpPos: s.OpPos, Op: syntax.PLUS, Y: s.RHS}
				}
			}
		case *syntax.ExprStmt:
			call, ok := s.X.(*syntax.CallExpr)
			if !ok {
				continue
			}
			kind := callee(call)
			attrs := keywords(call)
			if kind == "package" {
				if v, ok := stringList(attrs["default_visibility"]); ok {
					p.defaultVisibility = v
				}
				continue
			}
			r := &ruleInfo{kind: kind, line: lineOf(call), attrs: attrs}
			if name, ok := stringLit(attrs["name"]); ok {
				r.name = name
				p.rules[r.name] = r
			}
			// Output files a rule declares (genrule's outs, go_yacc's out)
			// are targets of the package too.
			// A macro without a name (buildtools' go_yacc) is known by them.
			if out, ok := stringLit(attrs["out"]); ok {
				p.outputs[out] = r
				if r.name == "" {
					r.name = out
				}
			}
			outs, _ := stringList(attrs["outs"])
			for _, o := range outs {
				p.outputs[o] = r
			}
		}
	}
	return p
}

// repoDefaultVisibility is the default_visibility of the repo() call in
// dir/REPO.bazel, nil for none; main says dir is the main repository's.
func (w *walker) repoDefaultVisibility(dir string, main bool) []string {
	if v, ok := w.repoVisibility[dir]; ok {
		return v
	}
	var data []byte
	var err error
	if main {
		data, err = w.ours.read("REPO.bazel")
	} else {
		data, err = os.ReadFile(filepath.Join(dir, "REPO.bazel"))
	}
	var vis []string
	if err == nil {
		vis = repoCallVisibility(filepath.Join(dir, "REPO.bazel"), data)
	}
	w.repoVisibility[dir] = vis
	return vis
}

func repoCallVisibility(file string, data []byte) []string {
	f, err := parseFile(file, data)
	if err != nil {
		return nil
	}
	for _, stmt := range f.Stmts {
		if s, ok := stmt.(*syntax.ExprStmt); ok {
			if call, ok := s.X.(*syntax.CallExpr); ok && callee(call) == "repo" {
				if e, ok := keywords(call)["default_visibility"]; ok {
					v, _ := stringList(e)
					return v
				}
			}
		}
	}
	return nil
}

// hint says where a go_deps repository's BUILD files came from.
func (w *walker) hint(p *pkgInfo) string {
	if p.prepared == nil {
		return ""
	}
	info := p.prepared.info
	switch {
	case info.Generation == "off":
		return ` (build_file_generation "off" keeps the module's own BUILD files)`
	case !info.Gazelle:
		return ` (the module ships its own BUILD file; build_file_generation "auto" keeps it)`
	case info.Generation == "auto":
		return ` (generated by gazelle: the module ships no BUILD file and build_file_generation is "auto")`
	}
	return fmt.Sprintf(` (generated by gazelle: build_file_generation %q)`, info.Generation)
}

// checkVisibility returns why target (rule r of package tp) is not visible
// from n, or "". Visibility labels are read in the target's repository.
func (w *walker) checkVisibility(tp *pkgInfo, r *ruleInfo, n node) string {
	if n.repo.id() == tp.repo.id() && n.pkg == tp.path {
		return ""
	}
	vis := tp.defaultVisibility
	if e, ok := r.attrs["visibility"]; ok {
		l, ok := stringList(e)
		if !ok {
			return ""
		}
		vis = l
	}
	if vis == nil {
		vis = []string{"//visibility:private"}
	}
	for _, v := range vis {
		if w.grants(tp, v, n, 0) {
			return ""
		}
	}
	msg := fmt.Sprintf("not visible from %s: its visibility is %s", w.display(n), quoteList(vis))
	if !tp.repo.main && n.repo.main {
		for _, v := range vis {
			l, err := label.Parse(v)
			if err != nil || l.Repo != "" || l.Relative {
				continue
			}
			if w.grants(&pkgInfo{repo: repoRef{main: true}, path: tp.path}, v, n, 0) {
				msg += fmt.Sprintf(", and %q, read in %s's BUILD file, names that repository's package %q, not ours: write %q", v, w.repoDisplay(tp.repo), l.Pkg, "@@"+v)
				break
			}
		}
	}
	return msg
}

// grants says whether visibility label v, written in package p, admits n.
func (w *walker) grants(p *pkgInfo, v string, n node, depth int) bool {
	l, err := label.Parse(v)
	if err != nil || depth > 8 {
		return false
	}
	if l.Pkg == "visibility" && !l.Relative && (l.Repo == "" || l.Repo == "@") {
		return l.Name == "public"
	}
	ref, ok := w.resolveRepo(p.repo, l)
	if !ok {
		return false
	}
	pkg := l.Pkg
	if l.Relative {
		pkg = p.path
	}
	switch l.Name {
	case "__pkg__":
		return ref.id() == n.repo.id() && pkg == n.pkg
	case "__subpackages__":
		return ref.id() == n.repo.id() && hasPrefixPath(n.pkg, pkg)
	}
	if ref.leaf != "" {
		return false
	}
	gp, err := w.pkg(ref, pkg)
	if err != nil || gp.missing {
		return false
	}
	g := gp.rules[l.Name]
	if g == nil || g.kind != "package_group" {
		return false
	}
	specs, _ := stringList(g.attrs["packages"])
	allowed := false
	for _, s := range specs {
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		if w.specMatches(gp, s, n) {
			if neg {
				return false
			}
			allowed = true
		}
	}
	if allowed {
		return true
	}
	includes, _ := stringList(g.attrs["includes"])
	for _, inc := range includes {
		if w.grants(gp, inc, n, depth+1) {
			return true
		}
	}
	return false
}

// specMatches evaluates one package_group package specification.
func (w *walker) specMatches(p *pkgInfo, spec string, n node) bool {
	switch spec {
	case "public", "//...":
		return true
	case "private":
		return false
	}
	sub := strings.HasSuffix(spec, "/...")
	spec = strings.TrimSuffix(spec, "/...")
	l, err := label.Parse(spec + ":x")
	if err != nil {
		return false
	}
	ref, ok := w.resolveRepo(p.repo, l)
	if !ok || ref.id() != n.repo.id() {
		return false
	}
	if sub {
		return hasPrefixPath(n.pkg, l.Pkg)
	}
	return n.pkg == l.Pkg
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// display shows a target as a user would write it in the main repository,
// or, for an isolated usage's repository that use_repo does not name, with
// the usage's variable.
func (w *walker) display(n node) string {
	if n.repo.main {
		return "//" + n.pkg + ":" + n.name
	}
	s := w.repoDisplay(n.repo)
	suffix := ""
	if i := strings.Index(s, " "); i >= 0 {
		s, suffix = s[:i], s[i:]
	}
	return s + "//" + n.pkg + ":" + n.name + suffix
}

func (w *walker) repoDisplay(r repoRef) string {
	switch {
	case r.main:
		return "the main repository"
	case r.usage != nil:
		if a := r.usage.aliases[r.name]; a != "" {
			return "@" + a
		}
		if r.usage.isolated {
			return "@" + r.name + " [" + r.usage.name + "]"
		}
		return "@" + r.name
	}
	return "@" + r.leaf
}

// chain lists the targets from the root to it.
func (w *walker) chain(it *item) []string {
	var out []string
	for ; it != nil; it = it.parent {
		out = append([]string{w.display(it.node)}, out...)
	}
	return out
}

// report records a problem found at it, reaching shown (the failing
// target, "" when the problem is it itself) through a label on line at of
// it's BUILD file, unless key was reported already.
func (w *walker) report(it *item, shown string, at int, key, msg string) {
	if p, ok := w.problems[key]; ok {
		p.plats[it.plat.String()] = true
		return
	}
	chain := w.chain(it)
	if shown != "" {
		chain = append(chain, shown)
	}
	line := it.line
	if it.parent == nil && at > 0 {
		line = at
	}
	w.problems[key] = &problem{file: it.file, line: line, chain: strings.Join(chain, " -> "), msg: msg, plats: map[string]bool{it.plat.String(): true}}
	w.order = append(w.order, key)
}

// reportCodegen reports a target that generates code at build time (rule
// r of package p, reached from it; target is the codegen rule's item when
// it was walked to, nil for an output file): once per repository and kind,
// counting the others.
func (w *walker) reportCodegen(from, target *item, shown string, p *pkgInfo, r *ruleInfo) {
	what := codegen[r.kind]
	if what == "" {
		what = "generates Go sources at build time"
	}
	key := "codegen:" + p.repo.key() + ":" + r.kind
	at := target
	if at == nil {
		at = from
	}
	plat := at.plat
	seen := "codegen-target:" + p.repo.key() + "//" + p.path + ":" + r.name
	if prev, ok := w.problems[key]; ok {
		if !w.seen[seen] {
			prev.more++
		}
		w.seen[seen] = true
		prev.plats[plat.String()] = true
		return
	}
	w.seen[seen] = true
	var fix string
	switch {
	case p.prepared == nil:
	case ccKinds[r.kind]:
		fix = ", and MODULE.bazel registers none from the registry for the platform (hermetic_cc_toolchain's @zig_sdk//toolchain:...): Bazel would fall back to the host's compiler, or find none where .bazelrc turns its detection off"
	case strings.Contains(r.kind, "proto") && p.prepared.info.Gazelle:
		fix = "; gazelle generated it from the module's .proto files, and a \"gazelle:proto disable\" directive in the module's gazelle_override keeps the module's checked-in Go code instead"
	case strings.Contains(r.kind, "proto") && !p.prepared.info.Gazelle:
		fix = "; the module ships it in its own BUILD file, and build_file_generation \"clean\" with a \"gazelle:proto disable\" directive generates BUILD files from the checked-in Go code instead"
	case !p.prepared.info.Gazelle:
		fix = "; the module ships it in its own BUILD file, and build_file_generation \"clean\" generates BUILD files from the checked-in Go code instead"
	default:
		fix = "; gazelle generated it"
	}
	msg := fmt.Sprintf("%s is a %s: it %s%s", shown, r.kind, what, fix)
	if target != nil {
		w.report(target, "", 0, key, msg)
	} else {
		w.report(from, shown, 0, key, msg)
	}
	w.problems[key].plats[plat.String()] = true
}

// errors returns the problems as errors at our BUILD files, a chain each.
func (w *walker) errors() metadata.ErrorList {
	var errs metadata.ErrorList
	for _, k := range w.order {
		p := w.problems[k]
		msg := p.chain + ": " + p.msg
		if p.more > 0 {
			msg += fmt.Sprintf(" (and %d more such targets in this repository)", p.more)
		}
		if len(p.plats) < len(platforms) {
			msg += " (only for " + strings.Join(sortedSet(p.plats), ", ") + ")"
		}
		errs = append(errs, &metadata.Error{Path: p.file, Line: p.line, Msg: msg})
	}
	return errs
}
