#!/usr/bin/env bash
# The project's whole test run, as CI runs it (.ci/run calls this script):
# installs the Debian packages the real-tool tests need, then runs the Go
# tests, forge check, and the slow tests that drive dpkg, lintian,
# ShellCheck, systemd-analyze, debootstrap and the protocols' go builds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase's heading carries the seconds since the start, so a CI log
# shows where a run's time went.
phase() { echo "== $* (${SECONDS}s)"; }

# Debian packages the real-tool tests need, one list per package of tests.
mapfile -t packages < <(cat tools/*/testdeps.txt 2>/dev/null | sed 's/#.*//' | awk 'NF')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The root go.mod and every protocol's own (protocols/*/go.mod, each read by
# an isolated go_deps usage in MODULE.bazel).
modules=(.)
for gomod in protocols/*/go.mod; do
  if [[ -f "$gomod" ]]; then modules+=("${gomod%/go.mod}"); fi
done

# Forks the module proxy serves but the checksum database does not know
# (404): the go command may only fetch them unverified by it. Once a go.sum
# holds their hash, downloads are checked against go.sum and the database is
# not asked (so Bazel's go_repository, which runs with GOSUMDB=off and the
# go.sum hash, needs nothing); `go mod tidy` and `go get` may still look up
# hashes go.sum lacks. akash replaces Tendermint with its fork, osmosis
# wasmd with its own.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/ovrclk/tendermint,github.com/osmosis-labs/wasmd"

# forge check verifies labels into go_deps repositories against the Go
# modules' source, and the protocol builds need it too: fetch every module
# each go.mod pins (through the module proxy) before anything reads them.
phase "go mod download"
for m in "${modules[@]}"; do
  (cd "$m" && go mod download)
done

# go_deps reads go.mod as it is: a requirement marked indirect that a
# package imports directly is left out of its direct dependencies, and
# `use_repo` of it warns. Every module file must be what go mod tidy writes.
phase "go mod tidy -diff"
for m in "${modules[@]}"; do
  (cd "$m" && go mod tidy -diff)
done

phase "gofmt, go vet"
unformatted=$(gofmt -l tools)
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...

phase "go test ./..."
go test ./...

phase "forge check (metadata, staleness, loading-phase check of every Starlark file)"
go run ./tools/forge check -v

# Only the packages that have realtools tests: the tag changes every
# package's build, so ./tools/... would run all the plain tests again.
phase "real-tool tests (go test -tags realtools)"
# The protocol build test (tools/gosource) runs alone first and builds
# every protocol binary; the acceptance test (tools/assemble) ships the
# same binaries, and run beside it would compile them a second time.
mapfile -t realtools < <(grep -rl --include='*_test.go' '^//go:build realtools' tools | xargs -n1 dirname | sort -u | grep -vx tools/gosource | sed 's|^|./|')
# It leaves the binaries in FORGE_TEST_BINARIES, and the acceptance test
# takes them from there rather than link each one again (minutes).
FORGE_TEST_BINARIES=$(mktemp -d -t forge-test-binaries.XXXXXX)
export FORGE_TEST_BINARIES
trap 'rm -rf "$FORGE_TEST_BINARIES"' EXIT
# Its timeout is for a machine with an empty Go build cache, which compiles
# every protocol's module graph for both architectures: about an hour on
# two cores (README, "Tests"). With a warm cache it takes minutes.
go test -tags realtools -timeout 80m ./tools/gosource
phase "real-tool tests of the artifacts and the rest"
go test -tags realtools -timeout 40m "${realtools[@]}"
phase "done"
