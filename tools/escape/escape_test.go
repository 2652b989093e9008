package escape

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// format runs Starlark's str.format (go.starlark.net, the dialect Bazel
// follows) with keyword arguments, as substitute_package_variables calls it
// with ctx.var; ok is false where format fails, as analysis would.
func format(s string, vars map[string]string) (string, bool) {
	kwargs := make([]starlark.Tuple, 0, len(vars))
	for k, v := range vars {
		kwargs = append(kwargs, starlark.Tuple{starlark.String(k), starlark.String(v)})
	}
	method, err := starlark.String(s).Attr("format")
	if err != nil {
		panic(err)
	}
	out, err := starlark.Call(&starlark.Thread{}, method, nil, kwargs)
	if err != nil {
		return "", false
	}
	return string(out.(starlark.String)), true
}

func TestRulesPkgStringSurvivesFormat(t *testing.T) {
	vars := map[string]string{"TARGET_CPU": "k8", "COMPILATION_MODE": "fastbuild"}
	for _, s := range []string{
		"", "plain", "{", "}", "{}", "{TARGET_CPU}", "}{", "a {{b}} c", "{0}", "{!r}",
		"Mäintainer <m@example.org>", "https://example.org/a?b={c}", "line\nbreak", `back\slash`, `"quoted"`,
	} {
		escaped, err := RulesPkgString(s)
		if err != nil {
			t.Errorf("RulesPkgString(%q): %v", s, err)
			continue
		}
		if got, ok := format(escaped, vars); !ok || got != s {
			t.Errorf("format(RulesPkgString(%q)) = %q, %v; want the value back", s, got, ok)
		}
	}
}

func TestRulesPkgStringRejectsVariableReferences(t *testing.T) {
	for _, s := range []string{"$(", "a $(TARGET_CPU) b", "$(("} {
		if _, err := RulesPkgString(s); err == nil || !strings.Contains(err.Error(), "$(") {
			t.Errorf("RulesPkgString(%q) = %v, want an error naming $(", s, err)
		}
	}
}

func FuzzRulesPkgString(f *testing.F) {
	for _, s := range []string{"", "{", "}}", "{x}", "$(", "ünï"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		escaped, err := RulesPkgString(s)
		if err != nil {
			if !strings.Contains(s, "$(") {
				t.Fatalf("RulesPkgString(%q) failed without $(: %v", s, err)
			}
			return
		}
		if got, ok := format(escaped, nil); !ok || got != s {
			t.Fatalf("format(RulesPkgString(%q)) = %q, %v", s, got, ok)
		}
	})
}
