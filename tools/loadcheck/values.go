package loadcheck

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// opaque stands for a value the loading phase only passes around: a
// provider, a struct of helpers from another ruleset, a function used in a
// rule implementation. Any attribute or call of it is another opaque value.
type opaque struct{ name string }

func (o *opaque) String() string        { return o.name }
func (o *opaque) Type() string          { return "opaque" }
func (o *opaque) Freeze()               {}
func (o *opaque) Truth() starlark.Bool  { return true }
func (o *opaque) Hash() (uint32, error) { return starlark.String(o.name).Hash() }
func (o *opaque) Name() string          { return o.name }
func (o *opaque) Attr(name string) (starlark.Value, error) {
	return &opaque{o.name + "." + name}, nil
}
func (o *opaque) AttrNames() []string { return nil }
func (o *opaque) CallInternal(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return &opaque{o.name + "()"}, nil
}

// selectValue is select({...}), possibly concatenated with plain values or
// other selects: parts holds each operand, a *starlark.Dict for a select.
type selectValue struct {
	parts []starlark.Value
	dicts map[*starlark.Dict]bool
}

func (s *selectValue) String() string        { return "select(...)" }
func (s *selectValue) Type() string          { return "select" }
func (s *selectValue) Freeze()               {}
func (s *selectValue) Truth() starlark.Bool  { return true }
func (s *selectValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: select") }

func (s *selectValue) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	if op != syntax.PLUS && op != syntax.PIPE {
		return nil, nil
	}
	out := &selectValue{dicts: map[*starlark.Dict]bool{}}
	add := func(v starlark.Value) {
		if o, ok := v.(*selectValue); ok {
			out.parts = append(out.parts, o.parts...)
			for d := range o.dicts {
				out.dicts[d] = true
			}
			return
		}
		out.parts = append(out.parts, v)
	}
	if side == starlark.Left {
		add(s)
		add(y)
	} else {
		add(y)
		add(s)
	}
	return out, nil
}

// labelValue is a Label object; its string form is canonical.
type labelValue struct {
	repo, pkg, name string
}

func (l *labelValue) String() string {
	return fmt.Sprintf("@%s//%s:%s", l.repo, l.pkg, l.name)
}
func (l *labelValue) Type() string          { return "Label" }
func (l *labelValue) Freeze()               {}
func (l *labelValue) Truth() starlark.Bool  { return true }
func (l *labelValue) Hash() (uint32, error) { return starlark.String(l.String()).Hash() }
func (l *labelValue) AttrNames() []string {
	return []string{"name", "package", "repo_name", "workspace_name", "workspace_root"}
}
func (l *labelValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(l.name), nil
	case "package":
		return starlark.String(l.pkg), nil
	case "repo_name", "workspace_name":
		return starlark.String(l.repo), nil
	case "workspace_root":
		if l.repo == "" {
			return starlark.String(""), nil
		}
		return starlark.String("external/" + l.repo), nil
	}
	return nil, nil
}

// attrDesc is what attr.TYPE(...) returns in one of our .bzl files.
type attrDesc struct {
	attr Attr
	def  starlark.Value // nil when the attribute has no default
	pos  syntax.Position
}

func (a *attrDesc) String() string        { return "<attr." + a.attr.Type + ">" }
func (a *attrDesc) Type() string          { return "Attribute" }
func (a *attrDesc) Freeze()               {}
func (a *attrDesc) Truth() starlark.Bool  { return true }
func (a *attrDesc) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: attr") }
