// Package escape writes values into the formats forge generates, one
// function per format, so that no value read from a protocol's files can
// change the meaning of the file it lands in.
package escape

import (
	"fmt"
	"strings"
)

// RulesPkgString returns s written for a string attribute of a rules_pkg
// rule that rules_pkg passes through substitute_package_variables
// (pkg/private/util.bzl:65-97 in 1.3.0): pkg_deb's maintainer, homepage,
// version, package and every other control field. That function turns each
// "$(" into "{" and the next ")" into "}", then runs str.format over the
// result, so "{" and "}" are doubled here. "$(" has no literal spelling
// there at all, and is an error.
func RulesPkgString(s string) (string, error) {
	if strings.Contains(s, "$(") {
		return "", fmt.Errorf("%q contains \"$(\", which rules_pkg reads as a variable reference and cannot write literally", s)
	}
	return bracesDoubled.Replace(s), nil
}

// The replacers are built once: generation escapes several control fields
// of every protocol and variant.
var (
	bracesDoubled          = strings.NewReplacer("{", "{{", "}", "}}")
	percentsAndBackslashes = strings.NewReplacer("%", "%%", `\`, `\\`)
)

// SystemdValue returns s written for the value of a systemd unit setting
// that systemd takes as text after expanding specifiers (Description=,
// Documentation=, the executable of ExecStart=): "%" is doubled, as
// systemd.unit(5) "Specifiers" asks, and so is "\", so that no value ends in
// the backslash that continues a line onto the next setting
// (systemd's config_parse treats an odd run of trailing backslashes so). A
// value with a line break or another control character cannot be written
// at all.
func SystemdValue(s string) (string, error) {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("%q has a control character, which a systemd setting cannot hold", s)
		}
	}
	return percentsAndBackslashes.Replace(s), nil
}

// SystemdExec returns a path written as the executable of ExecStart=: as
// SystemdValue, and "$" doubled, since systemd expands $VAR and ${VAR} in
// command lines (systemd.service(5) "Command lines").
func SystemdExec(path string) (string, error) {
	v, err := SystemdValue(path)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(v, " \t\"'") {
		return "", fmt.Errorf("%q has white space or a quote, which would split or quote the command line", path)
	}
	return strings.ReplaceAll(v, "$", "$$"), nil
}

// ShellWord returns s quoted as one word of a POSIX shell command: inside
// single quotes every character stands for itself, and each single quote
// of s closes the quotes, adds an escaped quote and opens them again.
func ShellWord(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ControlField returns a Debian control field's value written for the
// field's line (deb-control(5), Debian policy 5.1): a simple field is one
// line; in a multi-line field (Description) every line after the first is
// continued with a leading space, and an empty one is written " .", since
// a truly empty line would end the paragraph. Control characters, and line
// breaks in a simple field, cannot be written.
func ControlField(value string, multiline bool) (string, error) {
	for _, c := range value {
		if (c < 0x20 && c != '\n') || c == 0x7f {
			return "", fmt.Errorf("%q has a control character, which a control field cannot hold", value)
		}
	}
	lines := strings.Split(strings.TrimRight(value, "\n"), "\n")
	if !multiline && len(lines) > 1 {
		return "", fmt.Errorf("%q has a line break, which a simple control field cannot hold", value)
	}
	for i, l := range lines[1:] {
		l = strings.TrimRight(l, " ")
		if strings.HasPrefix(strings.TrimSpace(l), ".") {
			return "", fmt.Errorf("%q has a line starting with \".\", which Debian policy 5.6.13 reserves in a multi-line field", value)
		}
		if strings.TrimSpace(l) == "" {
			l = "."
		}
		if !strings.HasPrefix(l, " ") {
			l = " " + l
		}
		lines[i+1] = l
	}
	lines[0] = strings.TrimSpace(lines[0])
	return strings.Join(lines, "\n"), nil
}
