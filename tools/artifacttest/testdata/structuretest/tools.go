//go:build tools

// Package structuretest pins container-structure-test, the runner of the
// generated structure tests (its Bazel module downloads this release's
// binary), for the realtools test that runs it here.
package structuretest

import _ "github.com/GoogleContainerTools/container-structure-test/cmd/container-structure-test"
