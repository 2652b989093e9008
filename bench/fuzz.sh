#!/usr/bin/env bash
# Runs every fuzz target for longer than the test run does (which replays
# only their seed corpora): SECONDS per target, default 60. New failing
# inputs land in the package's testdata/fuzz, where `go test` replays them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
targets=(
  ./tools/metadata:FuzzLoad
  ./tools/escape:FuzzRulesPkgString
  ./tools/escape:FuzzSystemdValue
  ./tools/escape:FuzzShellWord
  ./tools/escape:FuzzControlField
)
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  echo "== $name ($pkg, ${seconds}s)"
  go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "${seconds}s" -parallel 1 2>&1 | tail -2
done
