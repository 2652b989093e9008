package escape

import (
	"os/exec"
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

// hostile are the strings every escaping function is tried with:
// specifiers, backslashes, quotes, line breaks, non-ASCII and empty.
var hostile = []string{
	"", "plain", "%n", "%%", "a%", `\`, `a\`, `\\`, `a\\\`, "$OPTIONS", "${OPTIONS}", "$$", `"`, `'`, `it's`,
	"a\nb", "a\rb", "\t", "é", "\ufeff", "; rm -rf /", "`id`", "$(id)", "{x}", " lead", "trail ",
}

func TestSystemdValue(t *testing.T) {
	for _, s := range hostile {
		v, err := SystemdValue(s)
		if strings.ContainsAny(s, "\n\r\t") {
			if err == nil {
				t.Errorf("SystemdValue(%q) = %q, want an error for the control character", s, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("SystemdValue(%q): %v", s, err)
			continue
		}
		if got := unescapeSystemd(v); got != s {
			t.Errorf("SystemdValue(%q) = %q, which systemd reads as %q", s, v, got)
		}
		if trailing := len(v) - len(strings.TrimRight(v, `\`)); trailing%2 == 1 {
			t.Errorf("SystemdValue(%q) = %q ends in an odd run of backslashes: it continues the line", s, v)
		}
	}
}

// unescapeSystemd reads a value as systemd does for our settings: "%%" is
// "%", any other "%" a specifier (marked here), "\\" a backslash.
func unescapeSystemd(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '%' && i+1 < len(v) && v[i+1] == '%', v[i] == '\\' && i+1 < len(v) && v[i+1] == '\\':
			b.WriteByte(v[i])
			i++
		case v[i] == '%':
			b.WriteString("<specifier>")
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

func TestSystemdExec(t *testing.T) {
	for _, s := range hostile {
		v, err := SystemdExec(s)
		if strings.ContainsAny(s, "\n\r\t \"'") {
			if err == nil {
				t.Errorf("SystemdExec(%q) = %q, want an error", s, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("SystemdExec(%q): %v", s, err)
			continue
		}
		if strings.Contains(strings.ReplaceAll(v, "$$", ""), "$") {
			t.Errorf("SystemdExec(%q) = %q leaves a variable reference", s, v)
		}
	}
}

// ShellWord's result, given to a real sh, is one argument equal to s.
func TestShellWord(t *testing.T) {
	for _, s := range hostile {
		out, err := exec.Command("sh", "-c", "printf '%s|' "+ShellWord(s)).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(out) != s+"|" {
			t.Errorf("ShellWord(%q) reached sh as %q", s, out)
		}
	}
}

func FuzzShellWord(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			return // no argument of exec can hold a NUL
		}
		out, err := exec.Command("sh", "-c", "printf '%s' "+ShellWord(s)).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(out) != s {
			t.Fatalf("ShellWord(%q) reached sh as %q", s, out)
		}
	})
}

func FuzzSystemdValue(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := SystemdValue(s)
		if err != nil {
			return
		}
		if got := unescapeSystemd(v); got != s {
			t.Fatalf("SystemdValue(%q) = %q, read back as %q", s, v, got)
		}
	})
}

// readControlField reads the value of the first field of a control
// paragraph as dpkg does: continuation lines start with white space, " ."
// is an empty line, and the paragraph ends at an empty line.
func readControlField(paragraph string) (name, value string, rest string) {
	lines := strings.Split(paragraph, "\n")
	name, first, _ := strings.Cut(lines[0], ":")
	values := []string{strings.TrimSpace(first)}
	i := 1
	for ; i < len(lines) && strings.HasPrefix(lines[i], " "); i++ {
		l := strings.TrimPrefix(lines[i], " ")
		if l == "." {
			l = ""
		}
		values = append(values, l)
	}
	return name, strings.Join(values, "\n"), strings.Join(lines[i:], "\n")
}

func TestControlField(t *testing.T) {
	for _, s := range append(hostile, "synopsis\nextended\n\nsecond paragraph", "a\n.\nb", "x\n  indented") {
		for _, multiline := range []bool{false, true} {
			v, err := ControlField(s, multiline)
			bad := strings.ContainsAny(s, "\r\t") || (!multiline && strings.Contains(strings.TrimRight(s, "\n"), "\n"))
			for _, l := range strings.Split(s, "\n")[1:] {
				bad = bad || multiline && strings.HasPrefix(strings.TrimSpace(l), ".")
			}
			if bad {
				if err == nil {
					t.Errorf("ControlField(%q, %v) = %q, want an error", s, multiline, v)
				}
				continue
			}
			if err != nil {
				t.Errorf("ControlField(%q, %v): %v", s, multiline, err)
				continue
			}
			name, got, rest := readControlField("Description: " + v + "\nHomepage: x\n")
			if name != "Description" || !strings.HasPrefix(rest, "Homepage: x") {
				t.Errorf("ControlField(%q, %v) = %q broke the paragraph: rest %q", s, multiline, v, rest)
			}
			want := strings.TrimSpace(s)
			if multiline {
				want = normalizeMultiline(s)
			}
			if got != want {
				t.Errorf("ControlField(%q, %v) = %q, read back as %q, want %q", s, multiline, v, got, want)
			}
		}
	}
}

// normalizeMultiline is what a multi-line field can carry of s: the first
// line trimmed, the others without trailing blanks or one leading space.
func normalizeMultiline(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	lines[0] = strings.TrimSpace(lines[0])
	for i := 1; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " ")
		if strings.TrimSpace(l) == "" {
			l = ""
		}
		lines[i] = strings.TrimPrefix(l, " ")
		if l != "" && !strings.HasPrefix(l, " ") {
			lines[i] = l
		}
	}
	return strings.Join(lines, "\n")
}

func FuzzControlField(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		v, err := ControlField(s, multiline)
		if err != nil {
			return
		}
		// Whatever was accepted stays within its field: the next field
		// is still a field of the same paragraph.
		name, _, rest := readControlField("Description: " + v + "\nHomepage: x\n")
		if name != "Description" || !strings.HasPrefix(rest, "Homepage: x") {
			t.Fatalf("ControlField(%q, %v) = %q broke the paragraph", s, multiline, v)
		}
	})
}
