#!/usr/bin/env bash
# Measures `forge generate` and `forge check` on synthetic repositories of N
# protocols (one per argument; default 1000 5000) against stock gazelle over
# the same tree, and prints medians, peak memory and the ratios the scale
# goals name (README, "Scale"). RUNS rounds (default 5); SCALE_WORK keeps
# the synthetic repositories in that directory instead of a temporary one.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/forge" ./tools/forge
# Stock gazelle as forge links it: the v2 driver with visibility, proto and
# Go, from the module cache.
go build -o "$bin/gazelle" github.com/bazel-contrib/bazel-gazelle/v2/cmd/gazelle
# To show how much of check the external closure check is.
go build -o "$bin/profile" ./bench/profile
work=()
if [[ -n "${SCALE_WORK:-}" ]]; then
  work=(-work "$SCALE_WORK" -keep)
fi
if [[ $# -eq 0 ]]; then
  set -- 1000 5000
fi
go run ./bench/scale -forge "$bin/forge" -gazelle "$bin/gazelle" -profile "$bin/profile" -runs "${RUNS:-5}" "${work[@]}" "$@"
