package closure

import (
	"fmt"

	"go.starlark.net/syntax"
)

// parseFile parses a BUILD, REPO.bazel or MODULE.bazel file as loadcheck
// parses ours (go.starlark.net, default options, no comments), so that a
// syntax tree loadcheck made is the one this package would make.
func parseFile(name string, src []byte) (*syntax.File, error) {
	return (&syntax.FileOptions{}).Parse(name, src, 0)
}

// calls returns a file's top-level calls, each with the variable a
// statement `x = call(...)` assigns it to ("" for none).
func calls(f *syntax.File) (out []*syntax.CallExpr, targets []string) {
	for _, stmt := range f.Stmts {
		switch s := stmt.(type) {
		case *syntax.ExprStmt:
			if call, ok := s.X.(*syntax.CallExpr); ok {
				out, targets = append(out, call), append(targets, "")
			}
		case *syntax.AssignStmt:
			call, ok := s.RHS.(*syntax.CallExpr)
			if !ok || s.Op != syntax.EQ {
				continue
			}
			target := ""
			if id, ok := s.LHS.(*syntax.Ident); ok {
				target = id.Name
			}
			out, targets = append(out, call), append(targets, target)
		}
	}
	return out, targets
}

// callee is the name a call is written with ("go_binary",
// "go_deps.from_file"), or "" when it calls something else.
func callee(call *syntax.CallExpr) string {
	return dotted(call.Fn)
}

func dotted(e syntax.Expr) string {
	switch v := e.(type) {
	case *syntax.Ident:
		return v.Name
	case *syntax.DotExpr:
		if x := dotted(v.X); x != "" {
			return x + "." + v.Name.Name
		}
	}
	return ""
}

// keywords returns a call's keyword arguments by name.
func keywords(call *syntax.CallExpr) map[string]syntax.Expr {
	out := map[string]syntax.Expr{}
	for _, arg := range call.Args {
		if b, ok := arg.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
			if id, ok := b.X.(*syntax.Ident); ok {
				out[id.Name] = b.Y
			}
		}
	}
	return out
}

// stringLit is the value of a string literal.
func stringLit(e syntax.Expr) (string, bool) {
	l, ok := e.(*syntax.Literal)
	if !ok || l.Token != syntax.STRING {
		return "", false
	}
	s, ok := l.Value.(string)
	return s, ok
}

// literal converts a Starlark literal to a Go value: string, bool, int or
// []string.
func literal(e syntax.Expr) (any, bool) {
	switch v := e.(type) {
	case *syntax.Literal:
		switch x := v.Value.(type) {
		case string:
			if v.Token == syntax.STRING {
				return x, true
			}
		case int64:
			return int(x), true
		}
	case *syntax.Ident:
		switch v.Name {
		case "True":
			return true, true
		case "False":
			return false, true
		}
	case *syntax.ListExpr:
		l := []string{}
		for _, x := range v.List {
			s, ok := stringLit(x)
			if !ok {
				return nil, false
			}
			l = append(l, s)
		}
		return l, true
	}
	return nil, false
}

func lineOf(n syntax.Node) int {
	start, _ := n.Span()
	return int(start.Line)
}

// exprText shows an expression the walk cannot evaluate, shortened: names,
// literals and operators as written, a call by its function, anything
// else by what it is.
func exprText(e syntax.Expr) string {
	switch v := e.(type) {
	case *syntax.Ident:
		return v.Name
	case *syntax.Literal:
		return v.Raw
	case *syntax.DotExpr:
		return exprText(v.X) + "." + v.Name.Name
	case *syntax.CallExpr:
		return exprText(v.Fn) + "(...)"
	case *syntax.ParenExpr:
		return "(" + exprText(v.X) + ")"
	case *syntax.BinaryExpr:
		return exprText(v.X) + " " + v.Op.String() + " " + exprText(v.Y)
	case *syntax.UnaryExpr:
		switch {
		case v.X == nil:
			return v.Op.String()
		case v.Op == syntax.NOT:
			return "not " + exprText(v.X)
		}
		return v.Op.String() + exprText(v.X)
	case *syntax.ListExpr:
		return "[...]"
	case *syntax.DictExpr:
		return "{...}"
	case *syntax.TupleExpr:
		return "(...)"
	case *syntax.IndexExpr:
		return exprText(v.X) + "[...]"
	case *syntax.SliceExpr:
		return exprText(v.X) + "[...:...]"
	case *syntax.Comprehension:
		return "a comprehension"
	case *syntax.CondExpr:
		return "a conditional expression"
	case *syntax.LambdaExpr:
		return "a lambda"
	}
	return fmt.Sprintf("%T", e)
}
