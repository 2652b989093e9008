package packaging

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	bzl "github.com/bazelbuild/buildtools/build"
)

// Package is one BUILD file's rules, read as Bazel would read their
// attributes: what the model below computes rules_pkg's outputs from.
type Package struct {
	// Path names the file in errors; Dir is the package's path from the
	// repository root ("protocols/geth").
	Path, Dir string
	rules     map[string]*bzl.Rule
	order     []*bzl.Rule
	// Sources says what the labels that are not rules of this package
	// provide; a label it does not list is one plain file.
	Sources map[string]Source
}

// Source is what a label outside the package's pkg_* rules provides to
// rules_pkg: its DefaultInfo files.
type Source struct {
	// Tree lists the contents of a directory output (a TreeArtifact) by
	// relative path, directories with a trailing "/"; nil for one file.
	Tree []string
}

// LoadPackage parses the BUILD file at path, the package dir.
func LoadPackage(path, dir string) (*Package, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := bzl.ParseBuild(path, data)
	if err != nil {
		return nil, err
	}
	return NewPackage(f, dir), nil
}

// NewPackage wraps a parsed BUILD file; the model reads its rules as they are
// when it is asked, so a caller may edit f first.
func NewPackage(f *bzl.File, dir string) *Package {
	p := &Package{Path: f.Path, Dir: dir, rules: map[string]*bzl.Rule{}}
	for _, r := range f.Rules("") {
		p.rules[r.Name()] = r
		p.order = append(p.order, r)
	}
	return p
}

// Rule returns the rule called name, or nil.
func (p *Package) Rule(name string) *bzl.Rule { return p.rules[name] }

// RulesOfKind returns the rules of one kind, in file order.
func (p *Package) RulesOfKind(kind string) []*bzl.Rule {
	var out []*bzl.Rule
	for _, r := range p.order {
		if r.Kind() == kind {
			out = append(out, r)
		}
	}
	return out
}

// errorf is an error at r's line in the BUILD file.
func (p *Package) errorf(r *bzl.Rule, format string, args ...any) error {
	start, _ := r.Call.Span()
	return fmt.Errorf("%s:%d: %s %q: %s", p.Path, start.Line, r.Kind(), r.Name(), fmt.Sprintf(format, args...))
}

// local returns the name of the rule of this package that l refers to, if
// it does.
func (p *Package) local(l string) (string, bool) {
	parsed, err := label.Parse(l)
	if err != nil || parsed.Repo != "" {
		return "", false
	}
	if !parsed.Relative && parsed.Pkg != p.Dir {
		return "", false
	}
	if _, ok := p.rules[parsed.Name]; !ok {
		return "", false
	}
	return parsed.Name, true
}

// checkAttrs fails for an attribute the model does not follow, so that a
// generator change it does not know about is reported instead of being
// modelled wrong.
func (p *Package) checkAttrs(r *bzl.Rule, modelled ...string) error {
	known := map[string]bool{"name": true, "visibility": true, "tags": true}
	for _, a := range modelled {
		known[a] = true
	}
	var unknown []string
	for _, a := range r.AttrKeys() {
		if !known[a] {
			unknown = append(unknown, a)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return p.errorf(r, "the packaging model does not follow %s", strings.Join(unknown, ", "))
	}
	return nil
}

// str returns a string attribute, or def when it is not set.
func (p *Package) str(r *bzl.Rule, attr, def string) (string, error) {
	e := r.Attr(attr)
	if e == nil {
		return def, nil
	}
	s, ok := e.(*bzl.StringExpr)
	if !ok {
		return "", p.errorf(r, "%s is not a string literal", attr)
	}
	return s.Value, nil
}

// strs returns a string (or label) list attribute.
func (p *Package) strs(r *bzl.Rule, attr string) ([]string, error) {
	e := r.Attr(attr)
	if e == nil {
		return nil, nil
	}
	l, ok := e.(*bzl.ListExpr)
	if !ok {
		return nil, p.errorf(r, "%s is not a list literal", attr)
	}
	out := make([]string, 0, len(l.List))
	for _, item := range l.List {
		s, ok := item.(*bzl.StringExpr)
		if !ok {
			return nil, p.errorf(r, "%s holds a value that is not a string literal", attr)
		}
		out = append(out, s.Value)
	}
	return out, nil
}

// boolean returns a bool attribute, or def.
func (p *Package) boolean(r *bzl.Rule, attr string, def bool) (bool, error) {
	e := r.Attr(attr)
	if e == nil {
		return def, nil
	}
	if id, ok := e.(*bzl.Ident); ok && (id.Name == "True" || id.Name == "False") {
		return id.Name == "True", nil
	}
	return false, p.errorf(r, "%s is not True or False", attr)
}

// integer returns an int attribute, or def.
func (p *Package) integer(r *bzl.Rule, attr string, def int64) (int64, error) {
	e := r.Attr(attr)
	if e == nil {
		return def, nil
	}
	neg := false
	if u, ok := e.(*bzl.UnaryExpr); ok && u.Op == "-" {
		neg, e = true, u.X
	}
	lit, ok := e.(*bzl.LiteralExpr)
	var n int64
	if ok {
		_, err := fmt.Sscan(lit.Token, &n)
		ok = err == nil
	}
	if !ok {
		return 0, p.errorf(r, "%s is not an integer literal", attr)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// dict returns a string-keyed, string-valued dict attribute, keys in order.
func (p *Package) dict(r *bzl.Rule, attr string) ([][2]string, error) {
	e := r.Attr(attr)
	if e == nil {
		return nil, nil
	}
	d, ok := e.(*bzl.DictExpr)
	if !ok {
		return nil, p.errorf(r, "%s is not a dict literal", attr)
	}
	var out [][2]string
	for _, kv := range d.List {
		k, ok1 := kv.Key.(*bzl.StringExpr)
		v, ok2 := kv.Value.(*bzl.StringExpr)
		if !ok1 || !ok2 {
			return nil, p.errorf(r, "%s holds a key or value that is not a string literal", attr)
		}
		out = append(out, [2]string{k.Value, v.Value})
	}
	return out, nil
}

// attributes returns pkg_files' attributes as the rule sees them: the JSON
// that pkg_attributes() returns (rules_pkg pkg/mappings.bzl:81-139: mode,
// user and group only when given, uid and gid when not None), or a JSON
// string literal.
func (p *Package) attributes(r *bzl.Rule) (map[string]any, error) {
	out := map[string]any{}
	switch e := r.Attr("attributes").(type) {
	case nil:
		// The attribute's default, "{}" (pkg/mappings.bzl:369-381).
	case *bzl.StringExpr:
		if err := json.Unmarshal([]byte(e.Value), &out); err != nil {
			return nil, p.errorf(r, "attributes: %v", err)
		}
	case *bzl.CallExpr:
		if id, ok := e.X.(*bzl.Ident); !ok || id.Name != "pkg_attributes" {
			return nil, p.errorf(r, "attributes is a call of something other than pkg_attributes")
		}
		for _, arg := range e.List {
			a, ok := arg.(*bzl.AssignExpr)
			if !ok {
				return nil, p.errorf(r, "pkg_attributes takes keyword arguments only")
			}
			key := a.LHS.(*bzl.Ident).Name
			switch v := a.RHS.(type) {
			case *bzl.StringExpr:
				if v.Value != "" { // `if mode:` and the like
					out[key] = v.Value
				}
			case *bzl.LiteralExpr:
				var n float64
				if _, err := fmt.Sscan(v.Token, &n); err != nil {
					return nil, p.errorf(r, "pkg_attributes %s = %s", key, v.Token)
				}
				out[key] = n
			default:
				return nil, p.errorf(r, "pkg_attributes %s is not a literal", key)
			}
		}
	default:
		return nil, p.errorf(r, "attributes is neither pkg_attributes(...) nor a string")
	}
	return out, nil
}
