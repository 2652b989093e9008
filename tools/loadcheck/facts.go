package loadcheck

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// The API facts of each ruleset version, one Starlark file each, named
// NAME@VERSION.star. They are read from the rulesets' sources at that
// version; each file says where.
//
//go:embed facts/*.star
var factsFS embed.FS

// Ruleset is what one version of a ruleset (or Bazel itself) offers.
type Ruleset struct {
	Name, Version, Source string
	File                  string // the facts file, for messages
	// Bzl maps a load path ("//oci:defs.bzl") to its exported symbols.
	Bzl map[string]map[string]*Symbol
	// Extensions maps a load path to its module extensions.
	Extensions map[string]map[string]*Extension
	// Targets maps a package ("go/toolchain") to its public target names.
	Targets map[string]map[string]bool

	// Bazel's own facts; empty for rulesets.
	Native      map[string]*Symbol
	CommonAttrs map[string]Attr
	TestAttrs   map[string]Attr
	BinaryAttrs map[string]Attr
	BzlGlobals  []string
}

// Symbol is one exported name: a rule or macro callable from a BUILD file,
// a function (whose keyword arguments are checked when Attrs is set), or a
// value.
type Symbol struct {
	Kind       string // "rule", "function" or "value"
	Attrs      map[string]Attr
	Targets    []string // more targets a macro creates, "{name}" replaced
	Executable bool
	Test       bool
}

// Attr is one attribute of a rule: its type ("label", "string_list", ...;
// alternatives joined with "|") and whether it must be given.
type Attr struct {
	Type      string
	Mandatory bool
	// Values are the only values a string attribute takes (attr.string's
	// values), when the rule restricts them.
	Values []string
}

// Extension is a module extension: its tag classes and the repositories a
// tag creates, as templates over the tag's attributes ("{name}_{platforms}").
type Extension struct {
	Tags  map[string]map[string]Attr
	Repos map[string][]string
	// RepoTargets lists the targets of each created repository, "{repo}"
	// standing for its name; empty when not described.
	RepoTargets []string
	// GoMod says the extension names its repositories after the modules of
	// the go.mod files its from_file tags read (gazelle's go_deps).
	GoMod bool
}

var attrTypes = map[string]bool{
	"any": true, "bool": true, "int": true, "int_list": true, "string": true,
	"string_list": true, "string_dict": true, "string_list_dict": true,
	"label": true, "label_list": true, "label_keyed_string_dict": true,
	"string_keyed_label_dict": true, "output": true, "output_list": true,
}

// LoadFacts reads every embedded facts file, keyed by "name@version".
func LoadFacts() (map[string]*Ruleset, error) {
	files, err := fs.Glob(factsFS, "facts/*.star")
	if err != nil {
		return nil, err
	}
	all := map[string]*Ruleset{}
	for _, file := range files {
		data, err := factsFS.ReadFile(file)
		if err != nil {
			return nil, err
		}
		rs, err := parseFacts(path.Join("tools/loadcheck", file), data)
		if err != nil {
			return nil, err
		}
		key := rs.Name + "@" + rs.Version
		if want := strings.TrimSuffix(path.Base(file), ".star"); key != want {
			return nil, fmt.Errorf("%s: declares %s, but the file name says %s", rs.File, key, want)
		}
		all[key] = rs
	}
	return all, nil
}

// parseFacts evaluates one facts file; its vocabulary is the predeclared
// functions below.
func parseFacts(file string, data []byte) (*Ruleset, error) {
	rs := &Ruleset{
		File:       file,
		Bzl:        map[string]map[string]*Symbol{},
		Extensions: map[string]map[string]*Extension{},
		Targets:    map[string]map[string]bool{},
	}
	parseAttrs := func(fn string, v starlark.Value) (map[string]Attr, error) {
		attrs := map[string]Attr{}
		if v == nil || v == starlark.None {
			return attrs, nil
		}
		d, ok := v.(*starlark.Dict)
		if !ok {
			return nil, fmt.Errorf("%s: attrs must be a dict, not %s", fn, v.Type())
		}
		for _, item := range d.Items() {
			name, ok1 := starlark.AsString(item[0])
			typ, ok2 := starlark.AsString(item[1])
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("%s: attrs maps names to type strings", fn)
			}
			a := Attr{Type: strings.TrimSuffix(typ, "!"), Mandatory: strings.HasSuffix(typ, "!")}
			// "string{a,b}": a string attribute with values = ["a", "b"].
			if base, values, ok := strings.Cut(a.Type, "{"); ok && strings.HasSuffix(values, "}") {
				a.Type, a.Values = base, strings.Split(strings.TrimSuffix(values, "}"), ",")
			}
			for _, alt := range strings.Split(a.Type, "|") {
				if !attrTypes[alt] {
					return nil, fmt.Errorf("%s: attribute %s has unknown type %q", fn, name, alt)
				}
			}
			attrs[name] = a
		}
		return attrs, nil
	}
	strs := stringsOf
	symbol := func(kind string) *starlark.Builtin {
		return starlark.NewBuiltin(kind, func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var attrs, targets starlark.Value
			executable, test := false, false
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "attrs?", &attrs, "targets?", &targets, "executable?", &executable, "test?", &test); err != nil {
				return nil, err
			}
			s := &Symbol{Kind: kind, Executable: executable, Test: test, Targets: strs(targets)}
			// A rule listed without attrs is exported but not described:
			// calling it is reported rather than passed unchecked.
			if attrs != nil && attrs != starlark.None {
				var err error
				if s.Attrs, err = parseAttrs(fn.Name(), attrs); err != nil {
					return nil, err
				}
			}
			return &factValue{s}, nil
		})
	}
	symbols := func(fn string, kwargs []starlark.Tuple) (map[string]*Symbol, error) {
		out := map[string]*Symbol{}
		for _, kv := range kwargs {
			fv, ok := kv[1].(*factValue)
			if !ok {
				return nil, fmt.Errorf("%s: %s must be rule(), function() or value()", fn, kv[0])
			}
			out[string(kv[0].(starlark.String))] = fv.sym
		}
		return out, nil
	}
	predeclared := starlark.StringDict{
		"rule":     symbol("rule"),
		"function": symbol("function"),
		"value":    symbol("value"),
		"ruleset": starlark.NewBuiltin("ruleset", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return starlark.None, starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &rs.Name, "version", &rs.Version, "source", &rs.Source)
		}),
		"bzl": starlark.NewBuiltin("bzl", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			if err := starlark.UnpackPositionalArgs(fn.Name(), args, nil, 1, &p); err != nil {
				return nil, err
			}
			syms, err := symbols(fn.Name(), kwargs)
			if err != nil {
				return nil, err
			}
			if rs.Bzl[p] == nil {
				rs.Bzl[p] = map[string]*Symbol{}
			}
			for k, v := range syms {
				rs.Bzl[p][k] = v
			}
			return starlark.None, nil
		}),
		"extension": starlark.NewBuiltin("extension", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p, name string
			var tags, repos *starlark.Dict
			var repoTargets starlark.Value
			ext := &Extension{Tags: map[string]map[string]Attr{}, Repos: map[string][]string{}}
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "bzl", &p, "name", &name, "tags", &tags, "repos?", &repos, "repo_targets?", &repoTargets, "go_mod?", &ext.GoMod); err != nil {
				return nil, err
			}
			ext.RepoTargets = strs(repoTargets)
			for _, item := range tags.Items() {
				attrs, err := parseAttrs(fn.Name(), item[1])
				if err != nil {
					return nil, err
				}
				tag, _ := starlark.AsString(item[0])
				ext.Tags[tag] = attrs
			}
			if repos != nil {
				for _, item := range repos.Items() {
					tag, _ := starlark.AsString(item[0])
					ext.Repos[tag] = strs(item[1])
				}
			}
			if rs.Extensions[p] == nil {
				rs.Extensions[p] = map[string]*Extension{}
			}
			rs.Extensions[p][name] = ext
			return starlark.None, nil
		}),
		"targets": starlark.NewBuiltin("targets", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var pkg string
			var names *starlark.List
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "package", &pkg, "names", &names); err != nil {
				return nil, err
			}
			if rs.Targets[pkg] == nil {
				rs.Targets[pkg] = map[string]bool{}
			}
			for _, n := range strs(names) {
				rs.Targets[pkg][n] = true
			}
			return starlark.None, nil
		}),
		"bazel": starlark.NewBuiltin("bazel", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var native *starlark.Dict
			var common, test, binary starlark.Value
			var globals *starlark.List
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "native", &native, "common_attrs", &common, "test_attrs", &test, "binary_attrs", &binary, "bzl_globals", &globals); err != nil {
				return nil, err
			}
			var err error
			if rs.CommonAttrs, err = parseAttrs("common_attrs", common); err != nil {
				return nil, err
			}
			if rs.TestAttrs, err = parseAttrs("test_attrs", test); err != nil {
				return nil, err
			}
			if rs.BinaryAttrs, err = parseAttrs("binary_attrs", binary); err != nil {
				return nil, err
			}
			rs.Native = map[string]*Symbol{}
			for _, item := range native.Items() {
				name, _ := starlark.AsString(item[0])
				fv, ok := item[1].(*factValue)
				if !ok {
					return nil, fmt.Errorf("native: %s must be rule() or function()", name)
				}
				rs.Native[name] = fv.sym
			}
			rs.BzlGlobals = strs(globals)
			return starlark.None, nil
		}),
	}
	thread := &starlark.Thread{Name: file}
	if _, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, file, data, predeclared); err != nil {
		return nil, err
	}
	if rs.Name == "" || rs.Version == "" {
		return nil, fmt.Errorf("%s: no ruleset(name, version, source) call", file)
	}
	return rs, nil
}

// factValue carries a Symbol through a facts file's evaluation.
type factValue struct{ sym *Symbol }

func (v *factValue) String() string        { return "<" + v.sym.Kind + ">" }
func (v *factValue) Type() string          { return "fact" }
func (v *factValue) Freeze()               {}
func (v *factValue) Truth() starlark.Bool  { return true }
func (v *factValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable") }

// sortedNames returns m's keys in order, for messages.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
