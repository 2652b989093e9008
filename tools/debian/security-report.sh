#!/usr/bin/env bash
# Prints systemd-analyze's exposure report for the unit of every protocol
# (or of those named): render each with forge render, then analyse it offline
# in a root that holds the host's units and a stub service executable.
# usage: tools/debian/security-report.sh [PROTOCOL...]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if (($# == 0)); then
  mapfile -t protocols < <(go run ./tools/forge binaries | cut -f1 | sort -u)
else
  protocols=("$@")
fi

for name in "${protocols[@]}"; do
  out="$work/$name"
  root="$work/$name-root"
  go run ./tools/forge render -protocol "$name" -out "$out"
  mkdir -p "$root/usr/lib/systemd"
  cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
  cp -r "$out/root/." "$root/"
  exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$out/root/usr/lib/systemd/system/$name.service")
  mkdir -p "$root$(dirname "$exec_path")"
  cp /bin/true "$root$exec_path"
  echo "== $name"
  systemd-analyze security --offline=true --root="$root" "$root/usr/lib/systemd/system/$name.service" | tail -n 1
done
