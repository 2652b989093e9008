package closure

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"go.starlark.net/syntax"

	forgeplatform "github.com/protocol-forge/protocol-forge/tools/platform"
)

// platform is a target platform the walk evaluates select() for: one of
// tools/platform's table, whose CPU is the @platforms//cpu name (rules_go
// platforms.bzl:31-41). Builds are pure (cgo off), as on rules_go's
// cgo_off platforms, which the protocols' go_cross_binary targets use.
type platform struct{ forgeplatform.Platform }

func (p platform) String() string { return p.Name }

var platforms = func() []platform {
	var out []platform
	for _, p := range forgeplatform.All() {
		out = append(out, platform{p})
	}
	return out
}()

// labelAt is a label string as written, with its line.
type labelAt struct {
	value string
	line  int
}

// evalError is an attribute the walk cannot evaluate, or a select() that
// Bazel would reject, with the line that has it.
type evalError struct {
	line int
	msg  string
}

func (e *evalError) Error() string { return e.msg }

// labels evaluates an attribute of a rule in p to its label strings for
// plat: string and list literals, +, parentheses, select() and the file's
// top-level variables. glob() contributes no labels.
func (w *walker) labels(p *pkgInfo, e syntax.Expr, plat platform) ([]labelAt, error) {
	switch v := e.(type) {
	case *syntax.Literal:
		if s, ok := stringLit(v); ok {
			return []labelAt{{s, lineOf(v)}}, nil
		}
	case *syntax.ListExpr:
		var out []labelAt
		for _, x := range v.List {
			l, err := w.labels(p, x, plat)
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	case *syntax.ParenExpr:
		return w.labels(p, v.X, plat)
	case *syntax.BinaryExpr:
		if v.Op != syntax.PLUS {
			break
		}
		x, err := w.labels(p, v.X, plat)
		if err != nil {
			return nil, err
		}
		y, err := w.labels(p, v.Y, plat)
		return append(x, y...), err
	case *syntax.Ident:
		if def, ok := p.vars[v.Name]; ok {
			return w.labels(p, def, plat)
		}
	case *syntax.CallExpr:
		switch callee(v) {
		case "glob":
			return nil, nil
		case "select":
			branch, err := w.selectBranch(p, v, plat)
			if err != nil {
				return nil, err
			}
			return w.labels(p, branch, plat)
		}
	}
	return nil, &evalError{lineOf(e), fmt.Sprintf("cannot evaluate %s", exprText(e))}
}

// selectBranch picks the branch Bazel picks: the matching key whose
// constraints include every other matching key's, else the default.
func (w *walker) selectBranch(p *pkgInfo, call *syntax.CallExpr, plat platform) (syntax.Expr, error) {
	line := lineOf(call)
	if len(call.Args) == 0 {
		return nil, &evalError{line, "select() without a dict"}
	}
	dict, ok := call.Args[0].(*syntax.DictExpr)
	if !ok {
		return nil, &evalError{line, fmt.Sprintf("cannot evaluate %s", exprText(call))}
	}
	type match struct {
		key         string
		constraints map[string]bool
		value       syntax.Expr
	}
	var matches []match
	var def syntax.Expr
	for _, entry := range dict.List {
		kv := entry.(*syntax.DictEntry)
		k, ok := stringLit(kv.Key)
		if !ok {
			return nil, &evalError{lineOf(kv.Key), fmt.Sprintf("cannot evaluate select() key %s", exprText(kv.Key))}
		}
		if k == "//conditions:default" {
			def = kv.Value
			continue
		}
		constraints, matched, err := w.matchKey(p, k, plat)
		if err != nil {
			return nil, &evalError{lineOf(kv.Key), err.Error()}
		}
		if matched {
			matches = append(matches, match{k, constraints, kv.Value})
		}
	}
	for _, m := range matches {
		specializes := true
		for _, o := range matches {
			for c := range o.constraints {
				specializes = specializes && m.constraints[c]
			}
		}
		if specializes {
			return m.value, nil
		}
	}
	if len(matches) > 1 {
		keys := make([]string, len(matches))
		for i, m := range matches {
			keys[i] = m.key
		}
		return nil, &evalError{line, fmt.Sprintf("select() is ambiguous for %s: %s all match and none specializes the others", plat, strings.Join(keys, ", "))}
	}
	if def == nil {
		return nil, &evalError{line, fmt.Sprintf("no select() branch matches %s and there is no //conditions:default", plat)}
	}
	return def, nil
}

// matchKey says whether a select() key holds on plat, and which
// constraints it sets: rules_go's config settings and constraint values
// (go/platform/list.bzl:27-50: one per GOOS, GOARCH and GOOS_GOARCH; cgo_on
// and cgo_off in go/toolchain), @platforms constraint values, and
// config_settings with constraint_values in the walked repositories.
func (w *walker) matchKey(p *pkgInfo, key string, plat platform) (map[string]bool, bool, error) {
	l, err := label.Parse(key)
	if err != nil {
		return nil, false, fmt.Errorf("select() key %q: %v", key, err)
	}
	ref, ok := w.resolveRepo(p.repo, l)
	if !ok {
		return nil, false, fmt.Errorf("select() key %s: no repository visible as @%s", key, l.Repo)
	}
	pkg := l.Pkg
	if l.Relative {
		pkg = p.path
	}
	unknown := fmt.Errorf("select() key %s: the check evaluates rules_go's platform settings, @platforms constraints and config_settings with constraint_values only", key)
	switch {
	case ref.leaf != "" && ref.module == "rules_go" && (pkg == "go/platform" || pkg == "go/toolchain"):
		switch l.Name {
		case plat.GOOS:
			return map[string]bool{"os": true}, true, nil
		case plat.GOARCH:
			return map[string]bool{"cpu": true}, true, nil
		case plat.GOOS + "_" + plat.GOARCH:
			return map[string]bool{"os": true, "cpu": true}, true, nil
		case "cgo_off":
			return map[string]bool{"cgo": true}, pkg == "go/toolchain", nil
		}
		return nil, false, nil
	case ref.leaf != "" && ref.module == "platforms" && pkg == "os":
		return map[string]bool{"os": true}, l.Name == plat.GOOS, nil
	case ref.leaf != "" && ref.module == "platforms" && pkg == "cpu":
		return map[string]bool{"cpu": true}, l.Name == plat.CPU || plat.CPU == "aarch64" && l.Name == "arm64", nil
	case ref.leaf != "":
		return nil, false, unknown
	}
	target, err := w.pkg(ref, pkg)
	if err != nil || target.missing || target.rules[l.Name] == nil || target.rules[l.Name].kind != "config_setting" {
		return nil, false, unknown
	}
	r := target.rules[l.Name]
	for attr := range r.attrs {
		if attr != "constraint_values" && attr != "name" && attr != "visibility" {
			return nil, false, unknown
		}
	}
	values, err := w.labels(target, r.attrs["constraint_values"], plat)
	if err != nil {
		return nil, false, err
	}
	all := map[string]bool{}
	for _, v := range values {
		c, ok, err := w.matchKey(target, v.value, plat)
		if err != nil || !ok {
			return nil, false, err
		}
		for k := range c {
			all[k] = true
		}
	}
	return all, true, nil
}

// stringList evaluates a list of plain strings, such as visibility.
func stringList(e syntax.Expr) ([]string, bool) {
	v, ok := literal(e)
	l, isList := v.([]string)
	return l, ok && isList
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
