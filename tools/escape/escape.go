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
	return strings.NewReplacer("{", "{{", "}", "}}").Replace(s), nil
}
