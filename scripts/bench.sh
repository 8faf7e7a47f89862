#!/usr/bin/env bash
# scripts/bench.sh — runs the Go benchmarks (one full-batch Adam epoch of the 5x512 model on 50 points; one
# validation pass of the 5x256 model on 10,000 points) on the pure-Go backend and on XLA CPU, and writes
# the figures to bench/results.txt. Run it on an otherwise idle machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$REPO/scripts/setup.sh"
cd "$REPO"
mkdir -p bench
out=bench/results.txt
{
  echo "# scripts/bench.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(go version | cut -d' ' -f3), GOEXPERIMENT=$GOEXPERIMENT"
  echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
    "AVX-512: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no), AVX2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no)"
  backends=(go)
  plugin="$(ls "$TOOLS"/pjrt/*.so 2>/dev/null | head -n1 || true)"
  [[ -n "$plugin" ]] && backends+=("xla:$plugin")
  for b in "${backends[@]}"; do
    echo
    echo "## GOMLX_BACKEND=${b/#xla:*/xla:<.tools/pjrt plugin>}"
    GOMLX_BACKEND="$b" go test -run '^$' -bench . -benchtime 5s -count 3 ./pkg/mlp/ | grep -E '^Benchmark'
  done
} | tee "$out"
echo "wrote $out"
