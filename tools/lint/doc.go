// Package lint holds the repository-wide checks of our Starlark: every BUILD,
// .bzl and MODULE.bazel file (goldens included) is formatted as buildifier
// formats it and has none of buildifier's default lint warnings.
package lint
