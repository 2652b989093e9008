#!/usr/bin/env bash
# Prints, for every Go-built protocol binary, how long a clean `go build` from
# the pinned modules takes and how large the binary is; then, for every
# protocol variant and platform, the bytes of what it ships, assembled as rules_pkg would
# build them from the committed BUILD file (`forge assemble`): its binaries
# together, the image layer, the release archive and the .deb. The module
# cache is kept (downloads are not what we measure); the build cache is not.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export GOCACHE="$out/cache"
# forge itself is built before the clock starts.
go build -o "$out/forge" ./tools/forge
printf '%-10s %-22s %10s %12s\n' protocol binary seconds bytes
"$out/forge" binaries | while IFS=$'\t' read -r protocol path pkg _version cgo ldflags dir; do
  start=$(date +%s.%N)
  CGO_ENABLED=$cgo go -C "$dir" build -trimpath -ldflags "$ldflags" -o "$out/$protocol/$(basename "$path")" "$pkg"
  end=$(date +%s.%N)
  printf '%-10s %-22s %10.1f %12d\n' "$protocol" "$(basename "$path")" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$(stat -c %s "$out/$protocol/$(basename "$path")")"
done

# The binaries come from the build cache filled above.
echo
"$out/forge" assemble -out "$out/artifacts" | awk -F'\t' '
  { key = $1 "\t" $2 "\t" $3; if (!(key in seen)) { seen[key] = 1; order[n++] = key } size[key, $4] += $6 }
  END {
    printf "%-10s %-8s %-12s %12s %12s %12s %12s\n", "protocol", "variant", "platform", "binaries", "layer", "archive", "deb"
    for (i = 0; i < n; i++) {
      split(order[i], k, "\t")
      printf "%-10s %-8s %-12s %12d %12d %12d %12d\n", k[1], k[2], k[3], size[order[i], "binary"], size[order[i], "layer"], size[order[i], "archive"], size[order[i], "deb"]
    }
  }'
