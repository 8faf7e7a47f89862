#!/usr/bin/env bash
# scripts/memprobe/sweep.sh — measure the peak memory of a set of fits, one process each, one after another,
# then fit formulas to it (scripts/memprobe/fit.py). The table goes to standard output (tab-separated, with a
# header), followed by the fits; pass an output file to keep the table as well:
#
#   scripts/memprobe/sweep.sh [table.tsv]
#
# The largest fit here peaks near 6 GiB; every probe stops itself past 8 GiB (memprobe -limit). It takes about
# five minutes on 2 cores with the XLA CPU plugin (GOMLX_BACKEND unset).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$REPO"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin="$work/memprobe"
go build -o "$bin" ./scripts/memprobe

# Wide networks diverge in one step at the default initial standard deviation (0.05); a smaller one changes
# nothing in memory.
runs=(
  # The lecture's data: 50 training points, 10,000 validation points (used with -history).
  "1000,1000" "2000,2000" "4000,4000" "6000,6000" "8000,8000" "10000,10000" "12000,12000" "512x5" "1024x5"
  "-history 1000,1000" "-history 2000,2000" "-history 4000,4000" "-history 6000,6000" "-history 8000,8000"
  "-history 512x5" "-history 1024x5"
  "-epochs 2 4000,4000" "-epochs 2 8000,8000" "-epochs 2 1024x5" "-epochs 2 -history 4000,4000"
  # Many training points: activations kept for the backward pass.
  "-val 1000 -train 20000 512x5" "-val 1000 -train 100000 512x5" "-val 1000 -train 10000 1024x5"
  "-val 1000 -train 10000 2000,2000" "-val 1000 -train 10000 -history 1024x5"
)
out="${1:-$work/table.tsv}"
{
  "$bin" -header -sd 0.005 100,100
  for r in "${runs[@]}"; do
    # shellcheck disable=SC2086 # each run is a list of words
    "$bin" -sd 0.005 $r
  done
} | tee "$out"
echo
python3 scripts/memprobe/fit.py "$out"
