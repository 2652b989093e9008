module github.com/bazel-contrib/bazel-gazelle/v2

go 1.24.12
