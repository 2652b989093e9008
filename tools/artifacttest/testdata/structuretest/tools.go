//go:build tools

// Package structuretest pins container-structure-test v1.22.1 for the
// realtools test that runs the generated structure tests with it. The Bazel
// module 1.22.1 downloads the v1.22.0 release binary; the two tags differ
// only in repositories.bzl.
package structuretest

import _ "github.com/GoogleContainerTools/container-structure-test/cmd/container-structure-test"
