package loadcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// ruleValue is a rule or macro known from facts: Bazel's native rules and
// the exports of the pinned rulesets.
type ruleValue struct {
	c      *checker
	kind   string
	sym    *Symbol
	from   string // "rules_oci 2.3.2", for messages
	native bool
}

func (r *ruleValue) String() string        { return "<rule " + r.kind + ">" }
func (r *ruleValue) Type() string          { return "rule" }
func (r *ruleValue) Freeze()               {}
func (r *ruleValue) Truth() starlark.Bool  { return true }
func (r *ruleValue) Hash() (uint32, error) { return starlark.String(r.kind).Hash() }
func (r *ruleValue) Name() string          { return r.kind }
func (r *ruleValue) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	pos := thread.CallFrame(1).Pos
	if r.sym.Attrs == nil {
		r.c.errorf(pos, "%s: the API facts of %s list it without its attributes; describe them before using it", r.kind, r.from)
		return starlark.None, nil
	}
	return r.c.instantiate(thread, r.kind, r.from, r.sym.Attrs, r.sym.Targets, r.sym.Executable, r.sym.Test, r.kind == "package_group", args, kwargs)
}

// factSymbol turns an exported symbol of a ruleset into a Starlark value.
func (c *checker) factSymbol(rs *Ruleset, name string, sym *Symbol) starlark.Value {
	from := rs.Name + " " + rs.Version
	switch sym.Kind {
	case "rule":
		return &ruleValue{c: c, kind: name, sym: sym, from: from}
	case "function":
		return starlark.NewBuiltin(name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if sym.Attrs != nil {
				c.checkFunctionArgs(thread, thread.CallFrame(1).Pos, name, sym.Attrs, args, kwargs, "")
			}
			return &opaque{name + "()"}, nil
		})
	}
	return &opaque{name}
}

// ourRule is a rule defined by rule() in one of our .bzl files.
type ourRule struct {
	name       string
	attrs      map[string]*attrDesc
	executable bool
	test       bool
	pos        syntax.Position
	bzlPkg     string
}

func (r *ourRule) String() string        { return "<rule " + r.name + ">" }
func (r *ourRule) Type() string          { return "rule" }
func (r *ourRule) Freeze()               {}
func (r *ourRule) Truth() starlark.Bool  { return true }
func (r *ourRule) Hash() (uint32, error) { return starlark.String(r.name).Hash() }
func (r *ourRule) Name() string          { return r.name }

// ruleCallable gives ourRule its checker without storing one in every
// value's String form.
type ourRuleCall struct {
	*ourRule
	c *checker
}

func (r *ourRuleCall) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	attrs := map[string]Attr{}
	for name, d := range r.attrs {
		if !strings.HasPrefix(name, "_") {
			attrs[name] = d.attr
		}
	}
	for _, kv := range kwargs {
		if name := string(kv[0].(starlark.String)); strings.HasPrefix(name, "_") {
			pos := thread.CallFrame(1).Pos
			r.c.errorf(r.c.argPos(pos, name), "%s: attribute %q is private to the rule", r.name, name)
		}
	}
	return r.c.instantiate(thread, r.name, "//"+r.bzlPkg, attrs, nil, r.executable, r.test, false, args, kwargs)
}

// ruleBuiltin is rule(): it records the attributes, and checks the label
// defaults of private attributes against the .bzl file's package.
func (c *checker) ruleBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	m, _ := thread.Local("bzl").(*bzlModule)
	if m == nil {
		return nil, fmt.Errorf("rule() can only be called when a .bzl file is loaded")
	}
	var impl starlark.Value
	var attrs *starlark.Dict
	var executable, test bool
	var buildSetting starlark.Value
	var rest []starlark.Tuple
	for _, kv := range kwargs {
		switch string(kv[0].(starlark.String)) {
		case "attrs":
			d, ok := kv[1].(*starlark.Dict)
			if !ok {
				return nil, fmt.Errorf("rule: attrs must be a dict, not %s", kv[1].Type())
			}
			attrs = d
		case "executable":
			executable = bool(kv[1].Truth())
		case "test":
			test = bool(kv[1].Truth())
		case "build_setting":
			buildSetting = kv[1]
		case "implementation":
			impl = kv[1]
		default:
			rest = append(rest, kv)
		}
	}
	if len(args) == 1 && impl == nil {
		impl = args[0]
	}
	if _, ok := impl.(*starlark.Function); !ok {
		return nil, fmt.Errorf("rule: implementation must be a function")
	}
	for _, kv := range rest {
		switch string(kv[0].(starlark.String)) {
		case "doc", "outputs", "toolchains", "fragments", "host_fragments", "provides", "cfg",
			"exec_compatible_with", "exec_groups", "initializer", "parent", "extendable",
			"subrules", "dependency_resolution_rule", "analysis_test", "_skylark_testable":
		default:
			return nil, fmt.Errorf("rule: unexpected keyword argument %s", kv[0])
		}
	}
	pos := thread.CallFrame(1).Pos
	r := &ourRule{attrs: map[string]*attrDesc{}, executable: executable, test: test, pos: pos, bzlPkg: m.pkg}
	if attrs != nil {
		for _, item := range attrs.Items() {
			name, ok := starlark.AsString(item[0])
			d, isAttr := item[1].(*attrDesc)
			if !ok || !isAttr {
				return nil, fmt.Errorf("rule: attrs maps names to attr.*() values; %s is %s", item[0], item[1].Type())
			}
			if !validAttrName.MatchString(name) {
				return nil, fmt.Errorf("rule: attribute name %q is not an identifier", name)
			}
			if c.bazel.CommonAttrs[name].Type != "" {
				return nil, fmt.Errorf("rule: attribute %q is one of the attributes every rule has", name)
			}
			r.attrs[name] = d
			if d.def != nil && isLabelType(d.attr.Type) {
				// Implicit dependencies resolve against the .bzl file's
				// package and must be visible to it.
				c.checkValue(thread, c.argPos(d.pos, "default"), "rule", name, d.attr.Type, d.def, m.pkg, true)
			}
		}
	}
	if buildSetting != nil {
		r.attrs["build_setting_default"] = &attrDesc{attr: Attr{Type: "any", Mandatory: true}}
	}
	return &ourRuleCall{ourRule: r, c: c}, nil
}

var validAttrName = regexp.MustCompile(`^_?[a-z][a-z0-9_]*$`)

func isLabelType(t string) bool {
	return strings.Contains(t, "label")
}

// attrModule is the attr module of .bzl files.
func attrModule() starlark.Value {
	types := map[string]string{
		"bool": "bool", "int": "int", "int_list": "int_list", "string": "string",
		"string_list": "string_list", "string_dict": "string_dict",
		"string_list_dict": "string_list_dict", "label": "label", "label_list": "label_list",
		"label_keyed_string_dict": "label_keyed_string_dict",
		"string_keyed_label_dict": "string_keyed_label_dict", "output": "output",
		"output_list": "output_list",
	}
	members := starlark.StringDict{}
	for fn, typ := range types {
		members[fn] = starlark.NewBuiltin("attr."+fn, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) > 0 {
				return nil, fmt.Errorf("%s takes keyword arguments only", b.Name())
			}
			d := &attrDesc{attr: Attr{Type: typ}, pos: thread.CallFrame(1).Pos}
			for _, kv := range kwargs {
				switch k := string(kv[0].(starlark.String)); k {
				case "mandatory":
					d.attr.Mandatory = bool(kv[1].Truth())
				case "default":
					d.def = kv[1]
				case "values":
					if typ == "string" {
						d.attr.Values = stringsOf(kv[1])
					}
				case "cfg":
					// A transition object is opaque here; a string must be
					// one Bazel knows ("host" is gone since Bazel 6).
					if cfg, ok := starlark.AsString(kv[1]); ok && cfg != "target" && cfg != "exec" {
						return nil, fmt.Errorf("%s: cfg = %q is neither \"target\" nor \"exec\"", b.Name(), cfg)
					}
				case "doc", "allow_files", "allow_single_file", "allow_empty", "allow_rules", "executable",
					"providers", "aspects", "configurable", "flags", "skip_validations":
				default:
					return nil, fmt.Errorf("%s: unexpected keyword argument %s", b.Name(), k)
				}
			}
			if d.attr.Mandatory && d.def != nil {
				return nil, fmt.Errorf("%s: a mandatory attribute cannot have a default", b.Name())
			}
			return d, nil
		})
	}
	return structOf("attr", members)
}

// instantiate checks one rule call and declares its targets in the
// package being evaluated.
func (c *checker) instantiate(thread *starlark.Thread, kind, from string, attrs map[string]Attr, extra []string, executable, test, noCommon bool, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := currentPackage(thread, kind)
	if err != nil {
		return nil, err
	}
	pos := thread.CallFrame(1).Pos
	c.stats.RuleCalls++
	p.ruleSeen = true
	if len(args) > 0 {
		c.errorf(pos, "%s: rules take keyword arguments only", kind)
	}
	lookup := func(name string) (Attr, bool) {
		if a, ok := attrs[name]; ok {
			return a, true
		}
		if name == "name" {
			return c.bazel.CommonAttrs[name], true
		}
		if noCommon {
			if name == "visibility" {
				return Attr{Type: "label_list"}, true
			}
			return Attr{}, false
		}
		if a, ok := c.bazel.CommonAttrs[name]; ok {
			return a, true
		}
		if a, ok := c.bazel.TestAttrs[name]; ok && test {
			return a, true
		}
		if a, ok := c.bazel.BinaryAttrs[name]; ok && executable {
			return a, true
		}
		return Attr{}, false
	}
	given := map[string]starlark.Value{}
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		given[name] = kv[1]
		if strings.HasPrefix(name, "_") {
			continue // reported by the caller for our rules
		}
		c.stats.Attributes++
		apos := c.kwargPos(thread, name)
		a, ok := lookup(name)
		if !ok {
			c.errorf(apos, "%s (%s) has no attribute %q%s", kind, from, name, nearest(name, c.attrNames(attrs, executable, test)))
			continue
		}
		if name == "visibility" {
			c.recordVisibility(apos, p.path, stringsOf(kv[1]))
			continue
		}
		c.checkValue(thread, apos, kind, name, a.Type, kv[1], p.path, false)
		if v, isString := kv[1].(starlark.String); isString && len(a.Values) > 0 && !slices.Contains(a.Values, string(v)) {
			c.errorf(apos, "%s (%s): %s = %q is not one of %s", kind, from, name, string(v), strings.Join(a.Values, ", "))
		}
	}
	for _, name := range sortedNames(attrs) {
		if v := given[name]; attrs[name].Mandatory && (v == nil || v == starlark.None) {
			c.errorf(pos, "%s (%s): missing mandatory attribute %q", kind, from, name)
		}
	}
	nameV, ok := given["name"].(starlark.String)
	if !ok {
		c.errorf(pos, "%s: missing mandatory attribute \"name\"", kind)
		return starlark.None, nil
	}
	name := string(nameV)
	if !validTargetName(name) {
		c.errorf(c.argPos(pos, "name"), "%s: %q is not a valid target name", kind, name)
		return starlark.None, nil
	}
	t := &target{name: name, kind: kind, pos: pos}
	if v, ok := given["visibility"]; ok && v != starlark.None {
		t.vis, t.hasVis = stringsOf(v), true
	}
	if kind == "package_group" {
		t.packages = stringsOf(given["packages"])
		t.includes = stringsOf(given["includes"])
	}
	c.declare(p, t)
	for _, tmpl := range extra {
		c.declare(p, &target{name: strings.ReplaceAll(tmpl, "{name}", name), kind: kind + " output", pos: pos, rule: t})
	}
	for attrName, a := range attrs {
		v := given[attrName]
		if v == nil {
			continue
		}
		switch a.Type {
		case "output":
			if s, ok := starlark.AsString(v); ok {
				c.declare(p, &target{name: strings.TrimPrefix(s, ":"), kind: kind + " output", pos: c.argPos(pos, attrName), rule: t})
			}
		case "output_list":
			for _, s := range stringsOf(v) {
				c.declare(p, &target{name: strings.TrimPrefix(s, ":"), kind: kind + " output", pos: c.argPos(pos, attrName), rule: t})
			}
		}
	}
	return starlark.None, nil
}

func (c *checker) attrNames(attrs map[string]Attr, executable, test bool) []string {
	names := sortedNames(attrs)
	names = append(names, sortedNames(c.bazel.CommonAttrs)...)
	if executable {
		names = append(names, sortedNames(c.bazel.BinaryAttrs)...)
	}
	if test {
		names = append(names, sortedNames(c.bazel.TestAttrs)...)
	}
	return names
}

// declare adds t to p, reporting a name already taken.
func (c *checker) declare(p *pkgInfo, t *target) {
	if prev := p.targets[t.name]; prev != nil {
		c.errorf(t.pos, "duplicate target name %q in package //%s: also declared at %s:%d", t.name, p.path, c.rel(prev.pos.Filename()), prev.pos.Line)
		return
	}
	p.targets[t.name] = t
}

var badTargetChars = regexp.MustCompile(`[:\x00-\x1f"'\\]|^/|//|/$|(^|/)\.\.?(/|$)`)

func validTargetName(name string) bool {
	return name != "" && !badTargetChars.MatchString(name)
}

// checkFunctionArgs checks the keyword arguments of a function whose
// parameters the facts list.
func (c *checker) checkFunctionArgs(thread *starlark.Thread, pos syntax.Position, fn string, attrs map[string]Attr, args starlark.Tuple, kwargs []starlark.Tuple, pkg string) {
	c.stats.RuleCalls++
	if len(args) > 0 {
		c.errorf(pos, "%s takes keyword arguments only", fn)
	}
	given := map[string]bool{}
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		given[name] = true
		c.stats.Attributes++
		a, ok := attrs[name]
		if !ok {
			c.errorf(c.argPos(pos, name), "%s has no parameter %q%s", fn, name, nearest(name, sortedNames(attrs)))
			continue
		}
		if name == "default_visibility" || name == "visibility" {
			continue
		}
		c.checkValue(thread, c.argPos(pos, name), fn, name, a.Type, kv[1], pkg, false)
	}
	for _, name := range sortedNames(attrs) {
		if attrs[name].Mandatory && !given[name] {
			c.errorf(pos, "%s: missing mandatory parameter %q", fn, name)
		}
	}
}

// checkValue checks v against an attribute type and records the labels in
// it. pkg is the package labels are relative to ("" outside packages);
// fromDefinition says the value is a rule definition's default.
func (c *checker) checkValue(thread *starlark.Thread, pos syntax.Position, kind, attr, typ string, v starlark.Value, pkg string, fromDefinition bool) {
	if v == starlark.None {
		return
	}
	if s, ok := v.(*selectValue); ok {
		for _, part := range s.parts {
			d, isSelect := part.(*starlark.Dict)
			if !isSelect || !s.dicts[d] {
				c.checkValue(thread, pos, kind, attr, typ, part, pkg, fromDefinition)
				continue
			}
			for _, item := range d.Items() {
				key, _ := starlark.AsString(item[0])
				if key != "//conditions:default" {
					c.addRef(&labelRef{label: key, fromPkg: pkg, visPkg: pkg, pos: c.labelPos(thread, pos, key), attr: attr + " (select condition)"})
				}
				c.checkValue(thread, pos, kind, attr, typ, item[1], pkg, fromDefinition)
			}
		}
		return
	}
	if _, ok := v.(*opaque); ok {
		return // a value from a helper whose result the facts do not type
	}
	var problem string
	for _, alt := range strings.Split(typ, "|") {
		refs, msg := typeCheck(alt, v)
		if msg == "" {
			for _, r := range refs {
				if pkg != "" || fromDefinition || strings.HasPrefix(r, "//") || strings.HasPrefix(r, "@") {
					c.addRef(&labelRef{label: r, fromPkg: pkg, visPkg: pkg, pos: c.labelPos(thread, pos, r), attr: attr})
				}
			}
			return
		}
		if problem == "" {
			problem = msg
		}
	}
	c.errorf(pos, "%s: attribute %q must be %s, but %s", kind, attr, describeType(typ), problem)
}

func describeType(typ string) string {
	alts := strings.Split(typ, "|")
	for i, a := range alts {
		alts[i] = strings.ReplaceAll(a, "_", " ")
	}
	return "a " + strings.Join(alts, " or a ")
}

// typeCheck checks v against one attribute type and returns the labels
// in it, or why it does not fit.
func typeCheck(typ string, v starlark.Value) ([]string, string) {
	isLabel := func(x starlark.Value) (string, string) {
		switch x := x.(type) {
		case starlark.String:
			if string(x) == "" {
				return "", "it has an empty label"
			}
			return string(x), ""
		case *labelValue:
			return x.String(), ""
		}
		return "", fmt.Sprintf("it has a %s where a label goes", x.Type())
	}
	elems := func(x starlark.Value) ([]starlark.Value, bool) {
		switch x := x.(type) {
		case *starlark.List:
			out := make([]starlark.Value, x.Len())
			for i := range out {
				out[i] = x.Index(i)
			}
			return out, true
		case starlark.Tuple:
			return x, true
		}
		return nil, false
	}
	switch typ {
	case "any":
		return nil, ""
	case "bool":
		if _, ok := v.(starlark.Bool); ok {
			return nil, ""
		}
		if i, ok := v.(starlark.Int); ok {
			if n, ok := i.Int64(); ok && (n == 0 || n == 1) {
				return nil, ""
			}
		}
	case "int":
		if _, ok := v.(starlark.Int); ok {
			return nil, ""
		}
	case "string", "output":
		if _, ok := v.(starlark.String); ok {
			return nil, ""
		}
	case "label":
		if l, msg := isLabel(v); msg == "" {
			return []string{l}, ""
		} else if _, isStr := v.(starlark.String); isStr {
			return nil, msg
		}
	case "int_list", "string_list", "output_list", "label_list":
		xs, ok := elems(v)
		if !ok {
			break
		}
		var refs []string
		for _, x := range xs {
			switch typ {
			case "int_list":
				if _, ok := x.(starlark.Int); !ok {
					return nil, fmt.Sprintf("it has a %s element", x.Type())
				}
			case "label_list":
				l, msg := isLabel(x)
				if msg != "" {
					return nil, msg
				}
				refs = append(refs, l)
			default:
				if _, ok := x.(starlark.String); !ok {
					return nil, fmt.Sprintf("it has a %s element", x.Type())
				}
			}
		}
		return refs, ""
	case "string_dict", "string_list_dict", "label_keyed_string_dict", "string_keyed_label_dict":
		d, ok := v.(*starlark.Dict)
		if !ok {
			break
		}
		var refs []string
		for _, item := range d.Items() {
			k, val := item[0], item[1]
			if typ == "label_keyed_string_dict" {
				l, msg := isLabel(k)
				if msg != "" {
					return nil, msg
				}
				refs = append(refs, l)
			} else if _, ok := k.(starlark.String); !ok {
				return nil, fmt.Sprintf("it has a %s key", k.Type())
			}
			switch typ {
			case "string_list_dict":
				if _, msg := typeCheck("string_list", val); msg != "" {
					return nil, msg
				}
			case "string_keyed_label_dict":
				l, msg := isLabel(val)
				if msg != "" {
					return nil, msg
				}
				refs = append(refs, l)
			default:
				if _, ok := val.(starlark.String); !ok {
					return nil, fmt.Sprintf("it has a %s value", val.Type())
				}
			}
		}
		return refs, ""
	}
	return nil, fmt.Sprintf("it is a %s", v.Type())
}

// recordVisibility records a visibility list's package groups to resolve.
func (c *checker) recordVisibility(pos syntax.Position, pkg string, vis []string) {
	for _, v := range vis {
		c.addRef(&labelRef{label: v, fromPkg: pkg, pos: pos, attr: "visibility", visibility: true})
	}
}

func structOf(name string, members starlark.StringDict) starlark.Value {
	return &namedStruct{name: name, members: members}
}

// namedStruct is a module-like value (attr, native) with fixed members.
type namedStruct struct {
	name    string
	members starlark.StringDict
}

func (s *namedStruct) String() string        { return "<" + s.name + ">" }
func (s *namedStruct) Type() string          { return s.name }
func (s *namedStruct) Freeze()               {}
func (s *namedStruct) Truth() starlark.Bool  { return true }
func (s *namedStruct) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", s.name) }
func (s *namedStruct) AttrNames() []string   { return s.members.Keys() }
func (s *namedStruct) Attr(name string) (starlark.Value, error) {
	if v, ok := s.members[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s has no member %q", s.name, name)
}
