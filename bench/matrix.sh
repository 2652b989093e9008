#!/usr/bin/env bash
# Prints how long `forge matrix` takes (load, derive, print) for a change
# that touches every one of 1,000 generated protocols.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench BenchmarkMatrix1000 -benchtime 5x ./tools/matrix
