package loadcheck

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/protocol-forge/protocol-forge/tools/internal/cache"
)

// bazelDialect is Starlark as Bazel accepts it: no top-level if/for, no
// while, no recursion, no reassigned globals, no set.
func bazelDialect() *syntax.FileOptions {
	return &syntax.FileOptions{}
}

// pkgInfo is one package: its BUILD file and the targets it declares.
type pkgInfo struct {
	path, file string
	targets    map[string]*target
	defaultVis []string
	hasDefault bool
	ruleSeen   bool
	// failed says evaluation stopped at an error, so labels into the
	// package are not reported again.
	failed bool
	// done says the package was evaluated (or taken from the cache), into
	// rec; checkedSet that its labels are resolved.
	done, checkedSet bool
	rec              *record
	key              string // for the cache, when computed ahead
}

func newPackage(dir, file string) *pkgInfo {
	return &pkgInfo{path: dir, file: file, targets: map[string]*target{}}
}

// target is a rule, a file a rule declares, an exported source file or a
// package group.
type target struct {
	name, kind string
	pos        syntax.Position
	vis        []string
	hasVis     bool
	rule       *target  // the rule that declares an output file
	packages   []string // a package_group's package specs
	includes   []string // and the groups it includes
}

// bzlModule is one .bzl file of ours, evaluated once.
type bzlModule struct {
	label      string
	pkg        string
	file       string
	hash       string // of its content, for the cache
	rec        *record
	globals    starlark.StringDict
	visibility []string // nil: loadable from anywhere
	visPos     syntax.Position
	failed     bool
	loading    bool
}

// loadStmts records, per module string, the load statements of a file, so
// that a failed load can be reported where it is written and evaluation
// can go on with placeholders.
type loadStmts map[string][]*syntax.LoadStmt

func (c *checker) indexCalls(file string, f *syntax.File) loadStmts {
	idx := map[[2]int32]*syntax.CallExpr{}
	args := map[[2]int32]syntax.Expr{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if call, ok := n.(*syntax.CallExpr); ok {
			idx[[2]int32{call.Lparen.Line, call.Lparen.Col}] = call
			for _, arg := range call.Args {
				if b, ok := arg.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
					if id, ok := b.X.(*syntax.Ident); ok {
						args[[2]int32{id.NamePos.Line, id.NamePos.Col}] = b.Y
					}
				}
			}
		}
		return true
	})
	c.calls[file] = idx
	c.args[file] = args
	loads := loadStmts{}
	for _, stmt := range f.Stmts {
		if l, ok := stmt.(*syntax.LoadStmt); ok {
			loads[l.ModuleName()] = append(loads[l.ModuleName()], l)
		}
	}
	return loads
}

// argPos returns the position of the keyword argument name of the call at
// pos, or pos when the call is not in a parsed file.
func (c *checker) argPos(pos syntax.Position, name string) syntax.Position {
	call := c.calls[pos.Filename()][[2]int32{pos.Line, pos.Col}]
	if call == nil {
		return pos
	}
	for _, arg := range call.Args {
		if b, ok := arg.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
			if id, ok := b.X.(*syntax.Ident); ok && id.Name == name {
				return id.NamePos
			}
		}
	}
	return pos
}

// literalInCall returns the position of the string literal s among the
// arguments of the call at pos (a use_repo name on a line of its own), or
// pos when there is none.
func (c *checker) literalInCall(pos syntax.Position, s string) syntax.Position {
	call := c.calls[pos.Filename()][[2]int32{pos.Line, pos.Col}]
	if call == nil {
		return pos
	}
	found := pos
	syntax.Walk(call, func(n syntax.Node) bool {
		if lit, ok := n.(*syntax.Literal); ok && lit.Value == s && found == pos {
			found = lit.TokenPos
		}
		return found == pos
	})
	return found
}

// kwargPos is argPos for the rule call being made on thread: when the
// innermost call passes name on through **kwargs, the position is that of
// the outer call (a macro's caller) that writes it.
func (c *checker) kwargPos(thread *starlark.Thread, name string) syntax.Position {
	inner := thread.CallFrame(1).Pos
	for depth := 1; depth < thread.CallStackDepth(); depth++ {
		pos := thread.CallFrame(depth).Pos
		if p := c.argPos(pos, name); p != pos {
			return p
		}
	}
	return inner
}

// labelPos finds where the label string s is written: in the attribute at
// argPos, or else in an outer call on thread that passed it to a macro.
func (c *checker) labelPos(thread *starlark.Thread, argPos syntax.Position, s string) syntax.Position {
	if p := c.literalPos(argPos, s); p != argPos || thread == nil {
		return p
	}
	for depth := 2; depth < thread.CallStackDepth(); depth++ {
		pos := thread.CallFrame(depth).Pos
		call := c.calls[pos.Filename()][[2]int32{pos.Line, pos.Col}]
		if call == nil {
			continue
		}
		found := pos
		syntax.Walk(call, func(n syntax.Node) bool {
			if lit, ok := n.(*syntax.Literal); ok && lit.Value == s && found == pos {
				found = lit.TokenPos
			}
			return found == pos
		})
		if found != pos {
			return found
		}
	}
	return argPos
}

// literalPos returns the position of the string literal s inside the
// keyword argument at argPos, so that one bad label in a long list is
// reported on its own line; argPos when there is none.
func (c *checker) literalPos(argPos syntax.Position, s string) syntax.Position {
	expr := c.args[argPos.Filename()][[2]int32{argPos.Line, argPos.Col}]
	if expr == nil {
		return argPos
	}
	found := argPos
	syntax.Walk(expr, func(n syntax.Node) bool {
		if lit, ok := n.(*syntax.Literal); ok && lit.Value == s && found == argPos {
			found = lit.TokenPos
		}
		return found == argPos
	})
	return found
}

// reportEvalError reports a Starlark error at the innermost position in
// one of our files.
func (c *checker) reportEvalError(err error) {
	var evalErr *starlark.EvalError
	var syntaxErr syntax.Error
	var resolveErrs interface{ Unwrap() []error }
	var resolveList resolve.ErrorList
	switch {
	case errors.As(err, &evalErr):
		stack := evalErr.CallStack
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].Pos.Filename() != "<builtin>" && stack[i].Pos.Line > 0 {
				c.errorf(stack[i].Pos, "%s", evalErr.Msg)
				return
			}
		}
		c.errorf(syntax.Position{}, "%s", evalErr.Msg)
	case errors.As(err, &syntaxErr):
		c.errorf(syntaxErr.Pos, "%s", syntaxErr.Msg)
	case errors.As(err, &resolveList):
		for _, e := range resolveList {
			c.errorf(e.Pos, "%s", e.Msg)
		}
	case errors.As(err, &resolveErrs):
		for _, e := range resolveErrs.Unwrap() {
			c.reportEvalError(e)
		}
	default:
		if list, ok := err.(interface{ Errors() []error }); ok {
			for _, e := range list.Errors() {
				c.reportEvalError(e)
			}
			return
		}
		c.errorf(syntax.Position{}, "%v", err)
	}
}

// parse parses one of our files, reporting syntax errors and what Bazel
// forbids beyond the Starlark spec. The syntax tree is what the file is
// then executed from: each file is parsed once.
func (c *checker) parse(file string, src []byte, isBuild bool) (*syntax.File, loadStmts, bool) {
	c.stats.Files++
	f, err := bazelDialect().Parse(file, src, 0)
	if err != nil {
		c.reportEvalError(err)
		return nil, nil, false
	}
	ok := true
	seenOther := false
	for _, stmt := range f.Stmts {
		if _, isLoad := stmt.(*syntax.LoadStmt); isLoad {
			// --incompatible_bzl_disallow_load_after_statement covers
			// .bzl files; in BUILD files it is buildifier's style rule.
			if seenOther && !isBuild {
				start, _ := stmt.Span()
				c.errorf(start, "load() must come before any other statement")
				ok = false
			}
			continue
		}
		if e, isExpr := stmt.(*syntax.ExprStmt); isExpr {
			if _, isDoc := e.X.(*syntax.Literal); isDoc {
				continue
			}
		}
		seenOther = true
	}
	if isBuild {
		syntax.Walk(f, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.DefStmt:
				c.errorf(n.Def, "functions may not be defined in BUILD files; move %s to a .bzl file", n.Name.Name)
				ok = false
			case *syntax.CallExpr:
				for _, arg := range n.Args {
					if u, isUnary := arg.(*syntax.UnaryExpr); isUnary && (u.Op == syntax.STAR || u.Op == syntax.STARSTAR) {
						c.errorf(u.OpPos, "*args and **kwargs are not allowed in BUILD files")
						ok = false
					}
				}
			}
			return true
		})
	}
	loads := c.indexCalls(file, f)
	return f, loads, ok
}

// exec runs a parsed file with predeclared, as starlark.ExecFileOptions
// does without parsing the source a second time.
func exec(thread *starlark.Thread, f *syntax.File, predeclared starlark.StringDict) (starlark.StringDict, error) {
	prog, err := starlark.FileProgram(f, predeclared.Has)
	if err != nil {
		return nil, err
	}
	g, err := prog.Init(thread, predeclared)
	g.Freeze()
	return g, err
}

// evalPackage evaluates one BUILD file, into a new record of p.
func (c *checker) evalPackage(p *pkgInfo, src []byte) {
	p.rec = &record{}
	c.push(p.rec)
	defer c.pop()
	file := *c.intern(p.file)
	// The indexes of a BUILD file serve only its own evaluation.
	defer func() {
		delete(c.calls, file)
		delete(c.args, file)
	}()
	f, loads, ok := c.parse(file, src, true)
	if f != nil && c.parsed != nil {
		c.parsed(p.path, file, src, f)
	}
	if !ok {
		p.failed = true
		return
	}
	thread, ok := c.newThread(file, p.path, loads)
	if !ok {
		p.failed = true
		return
	}
	thread.SetLocal("pkg", p)
	if _, err := exec(thread, f, c.buildGlobals()); err != nil {
		c.reportEvalError(err)
		p.failed = true
	}
}

// newThread resolves a file's loads, reporting every problem, and returns
// a thread that hands their results to the file; ok is false when a load
// failed, as Bazel then does not evaluate the file.
func (c *checker) newThread(file, pkg string, loads loadStmts) (*starlark.Thread, bool) {
	resolved := map[string]starlark.StringDict{}
	ok := true
	for _, module := range sortedNames(loads) {
		exports, good := c.load(file, pkg, module, loads[module])
		resolved[module] = exports
		ok = ok && good
	}
	thread := &starlark.Thread{Name: file}
	thread.Load = func(thread *starlark.Thread, module string) (starlark.StringDict, error) {
		return resolved[module], nil
	}
	return thread, ok
}

// load resolves one load statement's module and returns its exports; on
// any problem it reports it at the statement and returns placeholders, so
// that the rest of the file is still checked.
func (c *checker) load(file, fromPkg, module string, stmts []*syntax.LoadStmt) (starlark.StringDict, bool) {
	pos := syntax.MakePosition(&file, 1, 1)
	if len(stmts) > 0 {
		pos = stmts[0].Load
	}
	c.stats.Labels++
	exports, where := c.resolveLoad(pos, fromPkg, module)
	ok := exports != nil
	out := starlark.StringDict{}
	for _, stmt := range stmts {
		for _, from := range stmt.From {
			name := from.Name
			v, found := exports[name]
			if exports != nil && (!found || strings.HasPrefix(name, "_")) {
				c.errorf(from.NamePos, "%s does not export %q%s", where, name, nearest(name, publicNames(exports)))
				ok = false
			}
			if !found {
				v = &opaque{name}
			}
			out[name] = v
		}
	}
	return out, ok
}

func publicNames(d starlark.StringDict) []string {
	var out []string
	for k := range d {
		if !strings.HasPrefix(k, "_") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// resolveLoad returns the exports of the .bzl module names, and how to
// name it in messages; nil exports after reporting why.
func (c *checker) resolveLoad(pos syntax.Position, fromPkg, module string) (starlark.StringDict, string) {
	l, err := label.Parse(module)
	if err != nil || !strings.HasSuffix(l.Name, ".bzl") {
		c.errorf(pos, "load(%q): not a label of a .bzl file", module)
		return nil, ""
	}
	if l.Relative {
		l.Pkg = fromPkg
	}
	if l.Repo != "" && l.Repo != c.module.name {
		repo := c.module.repos[l.Repo]
		switch {
		case repo == nil:
			c.errorf(pos, "load(%q): repository @%s is not created by MODULE.bazel (no bazel_dep or use_repo names it)", module, l.Repo)
			return nil, ""
		case repo.ruleset == nil:
			c.errorf(pos, "load(%q): no API facts for @%s, so its .bzl files cannot be checked", module, l.Repo)
			return nil, ""
		}
		key := "//" + l.Pkg + ":" + l.Name
		syms, ok := repo.ruleset.Bzl[key]
		if !ok {
			c.errorf(pos, "load(%q): %s %s has no public file %s", module, repo.ruleset.Name, repo.ruleset.Version, key)
			return nil, ""
		}
		exports := starlark.StringDict{}
		for name, sym := range syms {
			exports[name] = c.factSymbol(repo.ruleset, name, sym)
		}
		return exports, fmt.Sprintf("@%s//%s:%s (%s %s)", l.Repo, l.Pkg, l.Name, repo.ruleset.Name, repo.ruleset.Version)
	}
	where := fmt.Sprintf("//%s:%s", l.Pkg, l.Name)
	m := c.loadBzl(pos, l.Pkg, l.Name)
	if m == nil {
		return nil, where
	}
	if m.visibility != nil && !visibleTo(m.visibility, fromPkg) {
		c.errorf(pos, "load(%q): %s is not visible to package //%s (its visibility() allows %s)", module, where, fromPkg, strings.Join(m.visibility, ", "))
	}
	if m.failed {
		// Its own errors are reported; do not pile up missing names.
		out := starlark.StringDict{}
		for k, v := range m.globals {
			out[k] = v
		}
		return nil, where
	}
	return m.globals, where
}

// loadBzl evaluates one of our .bzl files once. Where the file is and
// whether it exists are checked at every load, so that each loader's
// record holds what it saw.
func (c *checker) loadBzl(pos syntax.Position, pkg, name string) *bzlModule {
	key := "//" + pkg + ":" + name
	file := filepath.Join(c.root, filepath.FromSlash(pkg), filepath.FromSlash(name))
	if c.stat(file) != "f" {
		c.errorf(pos, "load(%q): file %s does not exist", key, c.rel(file))
		return nil
	}
	if !c.isPackage(pkg) {
		c.errorf(pos, "load(%q): %s is not a package (it has no BUILD file)", key, pkg)
	} else if owner, _ := c.owningPackage(path.Join(pkg, name)); owner != pkg {
		c.errorf(pos, "load(%q): %s belongs to package //%s", key, name, owner)
	}
	if top := c.top(); !slices.Contains(top.mods, key) {
		top.mods = append(top.mods, key)
	}
	if m, ok := c.bzls[key]; ok {
		if m.loading {
			c.errorf(pos, "load cycle through %s", key)
			return nil
		}
		return m
	}
	src, err := os.ReadFile(file)
	if err != nil {
		c.errorf(pos, "load(%q): %v", key, err)
		return nil
	}
	m := &bzlModule{label: key, pkg: pkg, file: *c.intern(file), hash: cache.Hash(src), rec: &record{}, loading: true}
	c.bzls[key] = m
	c.modHashes[key] = m.hash
	c.modRecs[key] = m.rec
	c.push(m.rec)
	defer func() {
		m.loading = false
		c.pop()
	}()
	f, loads, ok := c.parse(m.file, src, false)
	if !ok {
		m.failed = true
		return m
	}
	thread, ok := c.newThread(m.file, pkg, loads)
	if !ok {
		m.failed = true
		return m
	}
	thread.SetLocal("bzl", m)
	globals, err := exec(thread, f, c.bzlGlobals())
	if err != nil {
		c.reportEvalError(err)
		m.failed = true
	}
	m.globals = globals
	// A rule is named after the global it is assigned to.
	for name, v := range globals {
		if r, ok := v.(*ourRuleCall); ok && r.name == "" {
			r.name = name
			// Bazel's own rule: a rule class is a test rule exactly
			// when its name ends in "_test".
			if r.test != strings.HasSuffix(name, "_test") {
				c.errorf(r.pos, "rule %s: test = %v, but a rule's name ends in _test exactly when it is a test rule", name, r.test)
			}
		}
	}
	return m
}

// visibleTo says whether package specifications ("public", "private",
// "//pkg", "//pkg/...") admit package pkg: a .bzl file's visibility() or a
// package_group's packages.
func visibleTo(specs []string, pkg string) bool {
	for _, s := range specs {
		switch {
		case s == "public":
			return true
		case s == "private":
		case strings.HasSuffix(s, "/..."):
			base := strings.TrimPrefix(strings.TrimSuffix(s, "/..."), "//")
			if base == "" || pkg == base || strings.HasPrefix(pkg, base+"/") {
				return true
			}
		case strings.TrimPrefix(s, "//") == pkg:
			return true
		}
	}
	return false
}

// buildGlobals is what a BUILD file sees without a load.
func (c *checker) buildGlobals() starlark.StringDict {
	g := starlark.StringDict{}
	for name, v := range c.nativeFuncs() {
		g[name] = v
	}
	g["native"] = nil
	delete(g, "native")
	g["Label"] = starlark.NewBuiltin("Label", c.labelBuiltin)
	g["depset"] = &opaque{"depset"}
	return g
}

// bzlGlobals is what a .bzl file sees without a load.
func (c *checker) bzlGlobals() starlark.StringDict {
	g := starlark.StringDict{}
	for _, name := range c.bazel.BzlGlobals {
		g[name] = &opaque{name}
	}
	g["native"] = structOf("native", c.nativeFuncs())
	g["rule"] = starlark.NewBuiltin("rule", c.ruleBuiltin)
	g["attr"] = attrModule()
	g["provider"] = starlark.NewBuiltin("provider", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return &opaque{"provider"}, nil
	})
	g["struct"] = starlark.NewBuiltin("struct", starlarkstruct.Make)
	g["depset"] = &opaque{"depset"}
	g["select"] = starlark.NewBuiltin("select", c.selectBuiltin)
	g["Label"] = starlark.NewBuiltin("Label", c.labelBuiltin)
	g["config"] = &opaque{"config"}
	g["visibility"] = starlark.NewBuiltin("visibility", c.visibilityBuiltin)
	return g
}

// nativeFuncs are Bazel's rules and functions for BUILD files (and
// native.* in a .bzl).
func (c *checker) nativeFuncs() starlark.StringDict {
	g := starlark.StringDict{}
	for name, sym := range c.bazel.Native {
		switch name {
		case "package", "exports_files", "licenses":
			continue
		}
		g[name] = &ruleValue{c: c, kind: name, sym: sym, from: "Bazel " + c.bazel.Version, native: true}
	}
	g["package"] = starlark.NewBuiltin("package", c.packageBuiltin)
	g["exports_files"] = starlark.NewBuiltin("exports_files", c.exportsFilesBuiltin)
	g["licenses"] = starlark.NewBuiltin("licenses", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.None, nil
	})
	g["glob"] = starlark.NewBuiltin("glob", c.globBuiltin)
	g["select"] = starlark.NewBuiltin("select", c.selectBuiltin)
	g["package_name"] = starlark.NewBuiltin("package_name", func(thread *starlark.Thread, _ *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPackage(thread, "package_name")
		if err != nil {
			return nil, err
		}
		return starlark.String(p.path), nil
	})
	g["repository_name"] = starlark.NewBuiltin("repository_name", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.String("@"), nil
	})
	g["module_name"] = starlark.NewBuiltin("module_name", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.String(c.module.name), nil
	})
	g["existing_rule"] = starlark.NewBuiltin("existing_rule", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var name string
		if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
			return nil, err
		}
		p, err := currentPackage(thread, "existing_rule")
		if err != nil {
			return nil, err
		}
		if t := p.targets[name]; t != nil && t.rule == nil && t.kind != "source file" {
			return starlarkstruct.FromStringDict(starlark.String("rule"), starlark.StringDict{"name": starlark.String(name), "kind": starlark.String(t.kind)}), nil
		}
		return starlark.None, nil
	})
	return g
}

// currentPackage is the package a BUILD file or macro is declaring.
func currentPackage(thread *starlark.Thread, fn string) (*pkgInfo, error) {
	p, _ := thread.Local("pkg").(*pkgInfo)
	if p == nil {
		return nil, fmt.Errorf("%s can only be called while a BUILD file is evaluated, not when a .bzl file is loaded", fn)
	}
	return p, nil
}

func (c *checker) labelBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	if err := starlark.UnpackPositionalArgs(fn.Name(), args, kwargs, 1, &s); err != nil {
		return nil, err
	}
	l, err := label.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("Label(%q): %v", s, err)
	}
	// Label() resolves against the file that calls it.
	pkg := ""
	if m, ok := thread.Local("bzl").(*bzlModule); ok && m != nil {
		pkg = m.pkg
	} else if p, ok := thread.Local("pkg").(*pkgInfo); ok && p != nil {
		pkg = p.path
	}
	if l.Relative {
		l.Pkg = pkg
	}
	repo := l.Repo
	if repo == c.module.name {
		repo = ""
	}
	return &labelValue{repo: repo, pkg: l.Pkg, name: l.Name}, nil
}

func (c *checker) selectBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var d *starlark.Dict
	var noMatch string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "x", &d, "no_match_error?", &noMatch); err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("select({}) needs at least one condition")
	}
	return &selectValue{parts: []starlark.Value{d}, dicts: map[*starlark.Dict]bool{d: true}}, nil
}

func (c *checker) visibilityBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	m, _ := thread.Local("bzl").(*bzlModule)
	if m == nil || thread.CallStackDepth() > 2 {
		return nil, fmt.Errorf("visibility() may only be called at the top level of a .bzl file")
	}
	if m.visibility != nil {
		return nil, fmt.Errorf("visibility() may be called once per .bzl file")
	}
	var v starlark.Value
	if err := starlark.UnpackPositionalArgs(fn.Name(), args, kwargs, 1, &v); err != nil {
		return nil, err
	}
	specs := []string{}
	add := func(x starlark.Value) error {
		s, ok := starlark.AsString(x)
		if !ok {
			return fmt.Errorf("visibility(): expected package specifications, got %s", x.Type())
		}
		if s != "public" && s != "private" && !strings.HasPrefix(s, "//") {
			return fmt.Errorf("visibility(): %q is not \"public\", \"private\" or a //package specification", s)
		}
		specs = append(specs, s)
		return nil
	}
	if l, ok := v.(*starlark.List); ok {
		for i := 0; i < l.Len(); i++ {
			if err := add(l.Index(i)); err != nil {
				return nil, err
			}
		}
	} else if err := add(v); err != nil {
		return nil, err
	}
	m.visibility = specs
	m.visPos = thread.CallFrame(1).Pos
	return starlark.None, nil
}

func (c *checker) packageBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := currentPackage(thread, "package")
	if err != nil {
		return nil, err
	}
	pos := thread.CallFrame(1).Pos
	if p.ruleSeen {
		c.errorf(pos, "package() must be called before any rule")
	}
	sym := c.bazel.Native["package"]
	c.checkFunctionArgs(thread, pos, "package", sym.Attrs, args, kwargs, p.path)
	for _, kv := range kwargs {
		if string(kv[0].(starlark.String)) == "default_visibility" {
			p.defaultVis = stringsOf(kv[1])
			p.hasDefault = true
			c.recordVisibility(pos, p.path, p.defaultVis)
		}
	}
	return starlark.None, nil
}

func (c *checker) exportsFilesBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := currentPackage(thread, "exports_files")
	if err != nil {
		return nil, err
	}
	pos := thread.CallFrame(1).Pos
	var srcs, vis, licenses starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "srcs", &srcs, "visibility?", &vis, "licenses?", &licenses); err != nil {
		return nil, err
	}
	c.stats.RuleCalls++
	visList := []string{"//visibility:public"}
	if vis != nil && vis != starlark.None {
		visList = stringsOf(vis)
		c.recordVisibility(pos, p.path, visList)
	}
	for _, name := range stringsOf(srcs) {
		c.stats.Attributes++
		file := filepath.Join(c.root, filepath.FromSlash(p.path), filepath.FromSlash(name))
		if c.stat(file) == "-" {
			c.errorf(pos, "exports_files: %s does not exist in package //%s", name, p.path)
		}
		if prev := p.targets[name]; prev != nil {
			c.errorf(pos, "exports_files: %q is already declared at %s:%d", name, c.rel(prev.pos.Filename()), prev.pos.Line)
			continue
		}
		p.targets[name] = &target{name: name, kind: "source file", pos: pos, vis: visList, hasVis: true}
	}
	return starlark.None, nil
}

// globBuiltin lists the package's files like Bazel: ** spans directories,
// subpackages are left out, and an empty result is an error unless
// allow_empty = True.
func (c *checker) globBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := currentPackage(thread, "glob")
	if err != nil {
		return nil, err
	}
	var include, exclude *starlark.List
	excludeDirs := 1
	allowEmpty := false
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "include?", &include, "exclude?", &exclude, "exclude_directories?", &excludeDirs, "allow_empty?", &allowEmpty); err != nil {
		return nil, err
	}
	var includes, excludes []string
	if include != nil {
		includes = stringsOf(include)
	}
	if exclude != nil {
		excludes = stringsOf(exclude)
	}
	files, err := c.globFiles(p.path, includes, excludes, excludeDirs)
	if err != nil {
		return nil, err
	}
	c.note(depGlob, p.path, encodeGlob(includes, excludes, excludeDirs), hashStrings(files))
	if len(files) == 0 && !allowEmpty {
		// Reported, not raised, so the rest of the package is checked too.
		c.errorf(thread.CallFrame(1).Pos, "glob(%q) matches no files (Bazel 8 disallows empty globs unless allow_empty = True)", includes)
	}
	out := make([]starlark.Value, len(files))
	for i, f := range files {
		out[i] = starlark.String(f)
	}
	return starlark.NewList(out), nil
}

// globFiles lists the files of package pkg that a glob matches, sorted:
// ** spans directories, subpackages are left out, and directories match
// only when excludeDirs is 0.
func (c *checker) globFiles(pkg string, includes, excludes []string, excludeDirs int) ([]string, error) {
	dir := filepath.Join(c.root, filepath.FromSlash(pkg))
	var files []string
	err := filepath.WalkDir(dir, func(f string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, f)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if c.pkgAt(path.Join(pkg, rel)) != nil {
				return filepath.SkipDir
			}
			if excludeDirs != 0 {
				return nil
			}
		}
		if matchAny(includes, rel) && !matchAny(excludes, rel) {
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func matchAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if globMatch(strings.Split(p, "/"), strings.Split(rel, "/")) {
			return true
		}
	}
	return false
}

// globMatch matches path segments against pattern segments, "**" standing
// for any number of segments.
func globMatch(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if globMatch(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && globMatch(pat[1:], segs[1:])
}

// stringsOf returns the strings of a list or tuple value.
func stringsOf(v starlark.Value) []string {
	var out []string
	if it, ok := v.(starlark.Iterable); ok {
		if _, isDict := v.(*starlark.Dict); isDict {
			return nil
		}
		iter := it.Iterate()
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			if s, ok := starlark.AsString(x); ok {
				out = append(out, s)
			} else if l, ok := x.(*labelValue); ok {
				out = append(out, l.String())
			}
		}
	}
	return out
}
