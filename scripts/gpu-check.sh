#!/usr/bin/env bash
# scripts/gpu-check.sh — proves the GPU path on a machine with an NVIDIA GPU: the model package's tests on
# XLA CUDA, then one benchmark line (an Adam epoch of the 5x1024 dropout network, GPU against CPU).
#
#   scripts/gpu-check.sh                 test and benchmark (builds the test binaries with the Go toolchain)
#   scripts/gpu-check.sh --build DIR     only build the test binaries into DIR, to run on a GPU machine
#                                        that has no Go toolchain: GPU_CHECK_BIN=DIR scripts/gpu-check.sh
#
# Without a GPU it prints "gpu-check: skipped: no GPU" and exits 0, claiming nothing.
#
# The CUDA PJRT plugin, first found of:
#   1. $LECTURE_CUDA_PLUGIN;
#   2. .tools/cuda/jax_plugins/xla_cuda13/xla_cuda_plugin.so, installed by `LECTURE_CUDA=1 scripts/setup.sh`
#      from the pinned PyPI wheels of requirements-cuda.txt (the Docker image's gpu profile does the same);
#   3. the jax-cuda13-pjrt package of a Python on PATH (python3), with its NVIDIA libraries beside it.
# The plugin finds NVIDIA's libraries through its RPATH ($ORIGIN/../../nvidia/...), the wheels' layout, and
# pkg/backend points XLA at their libdevice and ptxas (XLA_FLAGS=--xla_gpu_cuda_data_dir) when they are there.
# The CPU side of the benchmark is XLA CPU when .tools/pjrt holds the plugin, else the pure-Go backend.
set -euo pipefail

# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { printf 'gpu-check: %s\n' "$*"; }

PACKAGES=(mlp kerasadam)

build() {
  local dir="$1" p
  if [[ -z "$GO_BIN" ]]; then
    say "no Go toolchain to build the test binaries: build them elsewhere with --build DIR and set GPU_CHECK_BIN=DIR" >&2
    exit 1
  fi
  mkdir -p "$dir"
  for p in "${PACKAGES[@]}"; do
    (cd "$REPO" && go test -c -o "$dir/$p.test" "./pkg/$p")
  done
}

if [[ "${1:-}" == --build ]]; then
  [[ -n "${2:-}" ]] || {
    say "--build needs a directory" >&2
    exit 2
  }
  build "$2"
  say "built ${PACKAGES[*]} test binaries in $2"
  exit 0
elif [[ $# -gt 0 ]]; then
  say "unknown argument: $1 (see the comment at the top of this script)" >&2
  exit 2
fi

# ---- a GPU? ------------------------------------------------------------------------------------------
if ! compgen -G '/dev/nvidia[0-9]*' >/dev/null || ! command -v nvidia-smi >/dev/null ||
  ! gpu="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n1)" ||
  [[ -z "$gpu" ]]; then
  say "skipped: no GPU (no /dev/nvidia* device answering nvidia-smi)"
  exit 0
fi
say "GPU: $gpu"

# ---- the CUDA PJRT plugin ----------------------------------------------------------------------------
plugin="${LECTURE_CUDA_PLUGIN:-}"
if [[ -z "$plugin" && -f "$TOOLS/cuda/jax_plugins/xla_cuda13/xla_cuda_plugin.so" ]]; then
  plugin="$TOOLS/cuda/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
fi
if [[ -z "$plugin" ]] && command -v python3 >/dev/null; then
  plugin="$(python3 -c '
import importlib.util, os
spec = importlib.util.find_spec("jax_plugins.xla_cuda13")
print(os.path.join(os.path.dirname(spec.origin), "xla_cuda_plugin.so") if spec else "")
' 2>/dev/null || true)"
fi
if [[ -z "$plugin" || ! -f "$plugin" ]]; then
  say "FAILED: a GPU is here but no CUDA PJRT plugin: run LECTURE_CUDA=1 scripts/setup.sh, or set LECTURE_CUDA_PLUGIN" >&2
  exit 1
fi
say "plugin: $plugin"
export GOMLX_BACKEND="xla:$plugin"

# ---- the test binaries -------------------------------------------------------------------------------
bin="${GPU_CHECK_BIN:-}"
if [[ -z "$bin" ]]; then
  bin="$TOOLS/gpu-check"
  build "$bin"
fi

# ---- the model package's tests on XLA CUDA ------------------------------------------------------------
status=0
for p in "${PACKAGES[@]}"; do
  [[ -x "$bin/$p.test" ]] || {
    say "FAILED: no test binary $bin/$p.test" >&2
    exit 1
  }
  log="$(mktemp)"
  start=$EPOCHREALTIME
  # The tests run from the package's directory, as `go test` runs them.
  if (cd "$REPO/pkg/$p" && "$bin/$p.test" -test.v -test.count=1 -test.timeout=10m) >"$log" 2>&1; then
    result=PASS
  else
    result=FAIL
    status=1
  fi
  secs="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
  say "pkg/$p on XLA CUDA: $result: $(grep -c '^--- PASS' "$log") passed, $(grep -c '^--- FAIL' "$log") failed," \
    "$(grep -c '^--- SKIP' "$log") skipped (${secs}s)"
  if [[ "$result" == FAIL ]]; then
    grep -E -A15 '^--- FAIL|^panic|^FAIL' "$log" | head -n 80 >&2
  fi
  rm -f "$log"
done

# ---- one benchmark line: an epoch of the 5x1024 dropout network, GPU against CPU ----------------------
bench() { # bench BACKEND: ms per epoch
  (cd "$REPO/pkg/mlp" && GOMLX_BACKEND="$1" "$bin/mlp.test" -test.run '^$' \
    -test.bench '^BenchmarkDropoutEpoch5x1024$' -test.benchtime "${2:-20x}") |
    awk '/ms\/epoch/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ms/epoch") print $i }'
}
cpu_backend=go
cpu_name="pure-Go backend"
if cpu_plugin="$(ls "$TOOLS"/pjrt/*.so 2>/dev/null | head -n1)" && [[ -n "$cpu_plugin" ]]; then
  cpu_backend="xla:$cpu_plugin"
  cpu_name="XLA CPU"
fi
gpu_ms="$(bench "xla:$plugin" 10x)"
cpu_ms="$(bench "$cpu_backend" 2x)"
if [[ -z "$gpu_ms" || -z "$cpu_ms" ]]; then
  say "FAILED: the benchmark printed no figure (GPU '$gpu_ms', CPU '$cpu_ms')" >&2
  exit 1
fi
say "$(awk -v g="$gpu_ms" -v c="$cpu_ms" -v n="$cpu_name" -v cores="$(nproc)" 'BEGIN {
  printf "5x1024 dropout epoch (Adam step, 50 points): GPU %.2f ms, CPU (%s, %d cores) %.2f ms: %.1fx", g, n, cores, c, c / g }')"
if [[ "$status" != 0 ]]; then
  say "FAILED: tests failed on XLA CUDA (above)"
  exit 1
fi
say "passed"
