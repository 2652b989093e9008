package packaging

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// MakeVariables stands for ctx.var, the variables substitute_package_variables
// formats with: the configuration's make variables, which every build has
// (a `--define NAME=VALUE` adds more, and rules_pkg's package_variables,
// which we never set, would too). Their values are a fastbuild build on
// x86_64 Linux.
var MakeVariables = map[string]string{
	"BINDIR":           "bazel-out/k8-fastbuild/bin",
	"COMPILATION_MODE": "fastbuild",
	"GENDIR":           "bazel-out/k8-fastbuild/bin",
	"TARGET_CPU":       "k8",
}

// Substitute is rules_pkg 1.3.0's substitute_package_variables
// (pkg/private/util.bzl:65-97), which every formatted attribute goes through
// (FormattedAttrs): once per "$(" in the value it replaces the first "$("
// with "{" and the first ")" of the whole string with "}", failing when no
// ")" is left, then calls Starlark's str.format
// with vars as keyword arguments. str.format here is go.starlark.net's, the
// dialect Bazel's Starlark follows: a lone "{" or "}", or a name that is not
// a key of vars, is an error, as it would be at analysis; "{{" and "}}" are
// literal braces.
func Substitute(value string, vars map[string]string) (string, error) {
	if value == "" { // util.bzl:75-76
		return value, nil
	}
	for range strings.Count(value, "$(") { // util.bzl:90-95
		if !strings.Contains(value, ")") {
			return "", fmt.Errorf("%q: mismatched variable declaration", value)
		}
		value = strings.Replace(value, "$(", "{", 1)
		value = strings.Replace(value, ")", "}", 1)
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kwargs := make([]starlark.Tuple, 0, len(keys))
	for _, k := range keys {
		kwargs = append(kwargs, starlark.Tuple{starlark.String(k), starlark.String(vars[k])})
	}
	format, err := starlark.String(value).Attr("format")
	if err != nil {
		return "", err
	}
	out, err := starlark.Call(&starlark.Thread{Name: "substitute_package_variables"}, format, nil, kwargs)
	if err != nil {
		return "", fmt.Errorf("%q: str.format: %v", value, err)
	}
	return string(out.(starlark.String)), nil
}

// FormattedAttrs are, per rule kind, the string attributes rules_pkg 1.3.0
// passes through substitute_package_variables; for a list attribute each
// item is formatted. Labels, description_file's content, conffiles and the
// file attributes read with "@" are not formatted.
var FormattedAttrs = map[string][]string{
	// pkg/private/deb/deb.bzl:41,49,57,101,112,129,138,141-150,152-162,170,179;
	// package_file_name through setup_output_files, pkg/private/util.bzl:53.
	"pkg_deb": {"package", "maintainer", "architecture", "version", "description", "built_using",
		"depends", "priority", "section", "homepage", "license", "distribution", "urgency",
		"suggests", "enhances", "conflicts", "breaks", "predepends", "recommends", "replaces",
		"provides", "package_file_name"},
	// pkg/private/tar/tar.bzl:74 and util.bzl:53.
	"pkg_tar": {"package_dir", "package_file_name"},
	// pkg/mappings.bzl:226.
	"pkg_files": {"prefix"},
}
