#!/usr/bin/env bash
# The project's whole test run, as CI runs it (.ci/run calls this script):
# installs the Debian packages the real-tool tests need, then runs the Go
# tests, forge check, and the slow tests that drive dpkg, lintian,
# ShellCheck, systemd-analyze, debootstrap and the protocols' go builds.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# forge check verifies labels into go_deps repositories against the Go
# modules' source, and the protocol builds need it too: fetch every module
# go.mod pins (through the module proxy) before anything reads them.
echo "== go mod download"
go mod download
(cd protocols/op-geth && go mod download)

# go_deps reads go.mod as it is: a requirement marked indirect that a
# package imports directly is left out of its direct dependencies, and
# `use_repo` of it warns. Both module files must be what go mod tidy writes.
echo "== go mod tidy -diff"
go mod tidy -diff
(cd protocols/op-geth && go mod tidy -diff)

echo "== gofmt, go vet"
unformatted=$(gofmt -l tools)
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...

echo "== go test ./..."
go test ./...

echo "== forge check (metadata, staleness, loading-phase check of every Starlark file)"
go run ./tools/forge check -v

# Only the packages that have realtools tests: the tag changes every
# package's build, so ./tools/... would run all the plain tests again.
echo "== real-tool tests (go test -tags realtools)"
# The protocol build test (tools/gosource) runs alone first and fills the Go
# build cache with every protocol binary; the acceptance test
# (tools/assemble) builds the same binaries and would otherwise compile them
# a second time beside it.
mapfile -t realtools < <(grep -rl --include='*_test.go' '^//go:build realtools' tools | xargs -n1 dirname | sort -u | grep -vx tools/gosource | sed 's|^|./|')
go test -tags realtools -timeout 40m ./tools/gosource
go test -tags realtools -timeout 40m "${realtools[@]}"
