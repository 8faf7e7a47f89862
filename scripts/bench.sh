#!/usr/bin/env bash
# scripts/bench.sh — the lecture's whole cold training workload and four per-epoch rows, on this project (XLA
# CPU through the PJRT plugin in .tools/pjrt, and the pure-Go backend) and on Python peers (JAX jit per epoch,
# JAX lax.scan, PyTorch eager, Keras 3 on TensorFlow), in interleaved rounds; writes bench/RESULTS.md and
# bench/results.svg, and keeps the raw JSON in bench/raw/<date>/. See bench/README.md. Run it on an idle
# machine: a full run takes 1 h 15 min to 1 h 45 min on 2 cores (Keras alone about 9 min a round).
#
#   scripts/bench.sh                      # full run
#   scripts/bench.sh --smoke              # seconds: tiny epochs, one round, report into a temporary directory,
#                                         # checked (scripts/test.sh runs it)
#   scripts/bench.sh --report-only [DIR]  # RESULTS.md and the SVG again from bench/raw/<latest> (or DIR)
#   scripts/bench.sh --xla-version        # ~10 min: the per-epoch rows on this project, JAX 0.12 and JAX 0.11.2
#                                         # (the XLA release of our PJRT plugin); writes bench/XLA-VERSION.md
#   scripts/bench.sh --cells              # ~10 min: a warm cell's parts and warm Run All of both notebooks
#                                         # (scripts/cellcost.py), with GoNB's reuse of cell programs off and
#                                         # on; writes bench/CELLS.md beside the recorded figures from before
#
# Environment: ROUNDS (3); KERAS_ROUNDS (ROUNDS: Keras runs in the first KERAS_ROUNDS rounds only);
# SYSTEMS (comma-separated, default gomlx-xla,gomlx-go,jax-jit,jax-scan,torch,keras); EPOCHS_SCALE (1: every
# epoch count and micro-row length times this, for a short trial); FITS (all: groups of fits, see
# `workload -h`); BENCH_OUT (bench: where RESULTS.md and results.svg go); BENCH_RAW (bench/raw);
# BENCH_PYTHON (a Python >= 3.12 for bench/.venv; default: found).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"

mode=full report_dir=""
case "${1:-}" in
  --smoke) mode=smoke ;;
  --report-only) mode=report; report_dir="${2:-}" ;;
  --xla-version) mode=xla-version ;;
  --cells) mode=cells ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--smoke | --report-only [RUN_DIR] | --xla-version | --cells]" >&2; exit 2 ;;
esac

BVENV="$REPO/bench/.venv"
BPY="$BVENV/bin/python"
raw_root="${BENCH_RAW:-$REPO/bench/raw}"
out_dir="${BENCH_OUT:-$REPO/bench}"

if [[ "$mode" == report ]]; then
  if [[ -z "$report_dir" ]]; then
    report_dir="$(ls -d "$raw_root"/*/ 2>/dev/null | grep -v -- '-xla-version/$' | sort | tail -n1 || true)"
    [[ -n "$report_dir" ]] || { echo "bench: no run in $raw_root" >&2; exit 1; }
  fi
  exec python3 bench/report.py "$report_dir" --out "$out_dir"
fi

# --cells: what a warm notebook cell costs (see scripts/cellcost.py). The figures from before the cell programs
# were reused and the fits' weights stored raw stay in bench/raw/*-cells-before/; each run adds its own.
if [[ "$mode" == cells ]]; then
  "$REPO/scripts/setup.sh"
  run_dir="$raw_root/$(date -u +%Y-%m-%dT%H%MZ)-cells"
  mkdir -p "$run_dir"
  "$VENV/bin/python" scripts/cellcost.py --no-reuse --label "now, reuse of cell programs off" \
    --json "$run_dir/no-reuse.json"
  "$VENV/bin/python" scripts/cellcost.py --no-stamps --label "now, \`go build\` run for every cell" \
    --json "$run_dir/no-stamps.json"
  "$VENV/bin/python" scripts/cellcost.py --label "now" --json "$run_dir/now.json"
  before="$(ls "$raw_root"/*-cells-before/*.json 2>/dev/null | sort | tail -n1 || true)"
  {
    cat bench/cells-intro.md
    "$VENV/bin/python" scripts/cellcost.py --report ${before:+"$before"} "$run_dir/no-reuse.json" \
      "$run_dir/no-stamps.json" "$run_dir/now.json"
  } >"$out_dir/CELLS.md"
  echo "bench: wrote $out_dir/CELLS.md"
  exit 0
fi

# The bench venv is current when its stamp holds the hash of what built it.
venv_hash() { cat bench/requirements.txt bench/peers/torch_cuda_stubs.py | sha256sum | cut -d' ' -f1; }
venv_current() { [[ -x "$BPY" && -f "$BVENV/.stamp" && "$(cat "$BVENV/.stamp")" == "$(venv_hash)" ]]; }

find_python() {
  local c
  for c in ${BENCH_PYTHON:-} python3.12 python3.13 python3 "$(pyenv root 2>/dev/null)"/versions/3.1[23]*/bin/python3; do
    [[ -n "$c" ]] || continue
    if "$c" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' 2>/dev/null; then
      echo "$c"
      return
    fi
  done
  echo "bench: no Python >= 3.12 found (jax 0.12 needs it): set BENCH_PYTHON" >&2
  return 1
}

make_venv() {
  venv_current && return 0
  local py
  py="$(find_python)"
  if [[ -x "$BPY" ]]; then
    echo "bench: updating bench/.venv (bench/requirements.txt or the torch stubs changed)"
  else
    echo "bench: building bench/.venv with $("$py" --version) (about 2 minutes, 3.3 GB; later runs reuse it)"
    "$py" -m venv "$BVENV"
  fi
  "$BPY" -m pip install -q --upgrade pip >/dev/null
  # --no-deps: the file pins the whole environment; torch's nvidia-*/triton requirements stay out (see it).
  "$BPY" -m pip install -q --no-deps -r bench/requirements.txt
  "$BPY" bench/peers/torch_cuda_stubs.py
  "$BPY" -c 'import jax, torch, keras, tensorflow, numpy; assert not torch.cuda.is_available()' 2>/dev/null
  venv_hash >"$BVENV/.stamp"
}

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
go build -o "$build/workload" ./bench/workload

# --xla-version: is the per-epoch gap to JAX the XLA release? JAX 0.11.2 carries the XLA our plugin was built
# from; its venv holds just jax and jaxlib and sees bench/.venv's packages underneath (a .pth file).
if [[ "$mode" == xla-version ]]; then
  "$REPO/scripts/setup.sh"
  make_venv
  alt_req=bench/requirements-jax-0.11.2.txt AVENV="$REPO/bench/.venv-jax-0.11.2"
  alt_hash="$(cat "$alt_req" "$BVENV/.stamp" | sha256sum | cut -d' ' -f1)"
  if [[ "$(cat "$AVENV/.stamp" 2>/dev/null)" != "$alt_hash" ]]; then
    echo "bench: building bench/.venv-jax-0.11.2 (jax and jaxlib 0.11.2 over bench/.venv)"
    rm -rf "$AVENV"
    "$BPY" -m venv "$AVENV"
    "$BPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
      >"$("$AVENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz_bench_venv.pth"
    "$AVENV/bin/python" -m pip install -q --no-deps --require-hashes -r "$alt_req"
    "$AVENV/bin/python" -c 'import jax; assert jax.__version__ == "0.11.2", jax.__version__'
    echo "$alt_hash" >"$AVENV/.stamp"
  fi
  plugin="$(ls "$TOOLS"/pjrt/*.so 2>/dev/null | head -n1 || true)"
  [[ -n "$plugin" ]] || { echo "bench: no PJRT plugin in .tools/pjrt (scripts/setup.sh installs it)" >&2; exit 1; }
  run_dir="$raw_root/$(date -u +%Y-%m-%dT%H%MZ)-xla-version"
  mkdir -p "$run_dir"
  "$build/workload" -dump-data "$build/dump.json"
  {
    printf '{"date": "%s", "cpu": "%s", "cores": %d, "go": "%s", "plugin": "%s", "raw": "%s",\n' \
      "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
      "$(nproc)" "$(go version | cut -d' ' -f3)" "$(basename "$plugin")" "${run_dir#"$REPO"/}"
    printf ' "jax_pinned": %s,\n "jax_alt": %s}\n' "$("$BPY" bench/peers/versions.py)" \
      "$("$AVENV/bin/python" bench/peers/versions.py)"
  } >"$run_dir/machine.json"
  for ((r = 1; r <= ${ROUNDS:-5}; r++)); do
    for s in gomlx-xla jax-scan jax-scan-0.11.2; do
      printf '%s\t%s\t%s\n' "$r" "$s" "$(cut -d' ' -f1 /proc/loadavg)" >>"$run_dir/load.tsv"
      case "$s" in
        gomlx-xla) cmd=("$build/workload" -backend "xla:$plugin" -fits none) ;;
        jax-scan) cmd=("$BPY" jax_peer.py --variant scan --data "$build/dump.json" --fits none) ;;
        *) cmd=("$AVENV/bin/python" jax_peer.py --variant scan --data "$build/dump.json" --fits none --system "$s") ;;
      esac
      (cd bench/peers && "${cmd[@]}") >"$run_dir/r$r-$s.json" 2>"$run_dir/r$r-$s.log"
      echo "bench: round $r/${ROUNDS:-5} $s done"
    done
  done
  exec python3 bench/xla_version.py "$run_dir" --out "$out_dir/XLA-VERSION.md"
fi

if [[ "$mode" == smoke ]]; then
  rounds=1 keras_rounds=1 scale=0.005 fits="${FITS:-5x512,5x256-history,dropout,deep}"
  run_dir="$build/raw" out_dir="$build/report"
  systems="gomlx-xla,gomlx-go"
  if venv_current; then
    systems+=",jax-jit,jax-scan,torch,keras"
  else
    echo "bench: no current bench/.venv: the Python peers are only compiled (scripts/bench.sh builds the venv)"
    python3 -m py_compile bench/peers/*.py bench/report.py
  fi
else
  "$REPO/scripts/setup.sh"
  make_venv
  rounds="${ROUNDS:-3}" keras_rounds="${KERAS_ROUNDS:-${ROUNDS:-3}}" scale="${EPOCHS_SCALE:-1}" fits="${FITS:-all}"
  systems="${SYSTEMS:-gomlx-xla,gomlx-go,jax-jit,jax-scan,torch,keras}"
  run_dir="$raw_root/$(date -u +%Y-%m-%dT%H%MZ)"
fi
plugin="$(ls "$TOOLS"/pjrt/*.so 2>/dev/null | head -n1 || true)"
if [[ -z "$plugin" && ",$systems," == *,gomlx-xla,* ]]; then
  echo "bench: no PJRT plugin in .tools/pjrt (scripts/setup.sh installs it): gomlx-xla left out"
  systems="$(sed 's/\(^\|,\)gomlx-xla//; s/^,//' <<<"$systems")"
fi
mkdir -p "$run_dir"

"$build/workload" -dump-data "$build/dump.json"
python3 - "$build/dump.json" "$run_dir/workload.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
json.dump({"fits": d["fits"], "micro": d["micro"], "n_train": len(d["train_x"]), "n_val": len(d["val_x"]),
           "adam": d["adam"], "init_sd": d["init_sd"]}, open(sys.argv[2], "w"), indent=1)
EOF

avx() { grep -qw "$1" /proc/cpuinfo && echo yes || echo no; }
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" CORES="$(nproc)" AVX512="$(avx avx512f)" \
  AVX2="$(avx avx2)" GOV="$(go version | cut -d' ' -f3)" GOMLX="$(awk '$1 == "github.com/gomlx/gomlx" {print $2}' go.mod)" \
  SCALE="$scale" SMOKE="${mode/#full/}" SYSTEMS_RUN="$systems" ROUNDS_RUN="$rounds" \
  RAW="${run_dir#"$REPO"/}" python3 - "$run_dir/machine.json" <<'EOF'
import datetime, json, os, sys
e = os.environ
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": e["CPU"],
           "cores": int(e["CORES"]), "avx512": e["AVX512"], "avx2": e["AVX2"], "go": e["GOV"], "gomlx": e["GOMLX"],
           "scale": e["SCALE"], "smoke": bool(e["SMOKE"]), "systems": e["SYSTEMS_RUN"], "rounds": int(e["ROUNDS_RUN"]),
           "raw": e["RAW"]}, open(sys.argv[1], "w"), indent=1)
EOF

if [[ -x "$BPY" ]] && [[ ",$systems," =~ ,(jax-jit|jax-scan|torch|keras), ]]; then
  "$BPY" bench/peers/versions.py >"$run_dir/versions.json"
fi
# The matmul peak, with numpy's own OpenBLAS kernel choice (this workplace may pin an older core type).
peak_py="$BPY"
[[ -x "$peak_py" ]] || peak_py=python3
peak_args=()
[[ "$mode" == smoke ]] && peak_args=(--quick)
if "$peak_py" -c 'import numpy' 2>/dev/null; then
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$peak_py" bench/peers/peak.py "${peak_args[@]}" >"$run_dir/peak.json"
fi

size_args=(-scale "$scale" -fits "$fits")
py_args=(--data "$build/dump.json" --scale "$scale" --fits "$fits")
# Each run has a time limit, so that a hang costs one run, not the whole benchmark: GoMLX's pure-Go backend
# (compute v0.1.5) can deadlock its worker pool when concurrent ops each fan a matmul out over the same pool
# on a busy machine. SIGQUIT first: a Go program then writes its goroutines into the run's log.
timeout_s="${BENCH_TIMEOUT:-$([[ $mode == smoke ]] && echo 120 || echo 3600)}"
run_system() { # round system
  local out="$run_dir/r$1-$2" cmd
  case "$2" in
    gomlx-xla) cmd=("$build/workload" -backend "xla:$plugin" "${size_args[@]}") ;;
    gomlx-go) cmd=("$build/workload" -backend go "${size_args[@]}") ;;
    jax-jit) cmd=("$BPY" jax_peer.py --variant jit "${py_args[@]}") ;;
    jax-scan) cmd=("$BPY" jax_peer.py --variant scan "${py_args[@]}") ;;
    torch) cmd=("$BPY" torch_peer.py "${py_args[@]}") ;;
    keras) cmd=("$BPY" keras_peer.py "${py_args[@]}") ;;
    *) echo "unknown system $2" >&2; return 2 ;;
  esac
  (cd bench/peers && timeout --signal=QUIT --kill-after=10 "$timeout_s" "${cmd[@]}") >"$out.json.tmp" 2>"$out.log" &&
    mv "$out.json.tmp" "$out.json"
}

failed=0
IFS=, read -r -a system_list <<<"$systems"
for ((r = 1; r <= rounds; r++)); do
  for s in "${system_list[@]}"; do
    [[ "$s" == keras && $r -gt $keras_rounds ]] && continue
    load="$(cut -d' ' -f1 /proc/loadavg)"
    printf '%s\t%s\t%s\n' "$r" "$s" "$load" >>"$run_dir/load.tsv"
    start=$SECONDS
    ok=0
    run_system "$r" "$s" || ok=$?
    if ((ok == 124 || ok == 131 || ok == 137)) && [[ "$mode" == smoke ]]; then
      # The smoke run guards the code, not the backend: one hang (see above) is retried, and said.
      echo "bench: $s timed out after $timeout_s s (log: a hang?); retrying once" >&2
      mv "$run_dir/r$r-$s.log" "$run_dir/r$r-$s.hung.log"
      ok=0
      run_system "$r" "$s" || ok=$?
    fi
    if ((ok == 0)); then
      printf 'bench: round %d/%d %-9s %4d s (load %s)\n' "$r" "$rounds" "$s" $((SECONDS - start)) "$load"
    else
      failed=1
      echo "bench: round $r $s FAILED; last lines of $run_dir/r$r-$s.log:" >&2
      tail -n 5 "$run_dir/r$r-$s.log" >&2
      rm -f "$run_dir/r$r-$s.json.tmp"
    fi
  done
done

if [[ "$mode" == smoke ]]; then
  python3 bench/report.py "$run_dir" --out "$out_dir" --check
  ((failed == 0)) || { echo "bench: smoke run failed" >&2; exit 1; }
  echo "bench: smoke run passed (report in a temporary directory, removed)"
else
  python3 bench/report.py "$run_dir" --out "$out_dir"
  ((failed == 0)) || { echo "bench: some runs failed (see above); the report leaves them out" >&2; exit 1; }
fi
