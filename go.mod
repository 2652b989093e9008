module github.com/protocol-forge/protocol-forge

go 1.26.8

require github.com/bazelbuild/bazel-gazelle v0.54.0

require (
	github.com/bazel-contrib/bazel-gazelle/v2 v2.0.0-3 // indirect
	github.com/bazelbuild/buildtools v0.0.0-20250930140053-2eb4fccefb52 // indirect
)
