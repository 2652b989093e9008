#!/usr/bin/env bash
# Prints, for every Go-built protocol binary, how long a clean `go build` from
# the pinned modules takes and how large the binary is. The module cache is
# kept (downloads are not what we measure); the build cache is not.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export GOCACHE="$out/cache"
printf '%-10s %-22s %10s %12s\n' protocol binary seconds bytes
go run ./tools/forge binaries | while IFS=$'\t' read -r protocol path pkg _version cgo ldflags dir; do
  start=$(date +%s.%N)
  CGO_ENABLED=$cgo go -C "$dir" build -trimpath -ldflags "$ldflags" -o "$out/$protocol/$(basename "$path")" "$pkg"
  end=$(date +%s.%N)
  printf '%-10s %-22s %10.1f %12d\n' "$protocol" "$(basename "$path")" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$(stat -c %s "$out/$protocol/$(basename "$path")")"
done
