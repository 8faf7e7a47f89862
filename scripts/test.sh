#!/usr/bin/env bash
# scripts/test.sh — the test command: sets everything up (idempotently), then runs every check CI runs.
#
#   scripts/test.sh
#
# 1. gofmt and go vet;
# 2. the Go packages' tests on the pure-Go backend, then on XLA CPU (the PJRT plugin scripts/setup.sh
#    installs), including a test that the two backends predict alike;
# 3. docker-compose.yml and the Dockerfile, validated statically (scripts/check-compose.sh), and the Zero to
#    JupyterHub values (k8s/values.yaml) against the chart's schema (scripts/check-k8s-values.py);
# 4. the notebooks, executed headless through the GoNB kernel (tests/notebooks), which also builds the
#    handouts into artifacts/handouts and screenshots one page;
# 5. JupyterLab in headless Chromium: Run All on each notebook, then interrupting a long fit; the lecture room
#    (live curve, slideshow, knobs, exports, Presentation Mode: tests/browser/room.spec.mjs);
# 6. the Docker image, built from the Dockerfile and served by `docker compose up lab`, with the browser test
#    run against the lab in the container, then the class hub (scripts/docker-test.sh and scripts/hub-test.sh;
#    LECTURE_NO_DOCKER=1 skips both, LECTURE_NO_HUB=1 the hub).
#
# Fits are cached in artifacts/fit-cache (a clean clone starts cold; $LECTURE_FIT_CACHE overrides).
# LECTURE_NO_XLA=1 skips the XLA plugin and its test run. Artifacts (screenshots, executed notebooks,
# handouts, timings) are left in artifacts/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$REPO/scripts/setup.sh" --browser
cd "$REPO"
mkdir -p artifacts
export LECTURE_FIT_CACHE="${LECTURE_FIT_CACHE:-$REPO/artifacts/fit-cache}"

section() { printf '\n=== %s\n' "$*"; }

section "gofmt, go vet"
unformatted="$(gofmt -l pkg bench)"
if [[ -n "$unformatted" ]]; then
  echo "not gofmt-ed: $unformatted (run gofmt -w pkg bench)" >&2
  exit 1
fi
go vet ./...

section "go test on the pure-Go backend"
GOMLX_BACKEND=go go test ./...

section "fuzzing the spec and data validation (about 10 s each; longer by hand: see the Fuzz functions)"
# Budgets are counts of inputs, not durations: with a duration, Go 1.26's fuzz coordinator can report
# "context deadline exceeded" as a failure when the time runs out mid-input (golang/go#75804, fixed in 1.27).
GOMLX_BACKEND=go go test -run '^$' -fuzz '^FuzzSpec$' -fuzztime 60000x ./pkg/mlp/
go test -run '^$' -fuzz '^FuzzSpecValidate$' -fuzztime 400000x ./pkg/data/

if [[ "${LECTURE_NO_XLA:-0}" != 1 ]]; then
  section "go test on XLA CPU"
  plugin="$(ls "$TOOLS"/pjrt/*.so 2>/dev/null | head -n1 || true)"
  if [[ -z "$plugin" ]]; then
    echo "no PJRT plugin in $TOOLS/pjrt: scripts/setup.sh failed to install it (see its pjrt line)," \
      "or set LECTURE_NO_XLA=1 to test the pure-Go backend only" >&2
    exit 1
  fi
  GOMLX_BACKEND="xla:$plugin" go test ./pkg/mlp/ ./pkg/kerasadam/ ./pkg/runner/ ./pkg/lecture/
fi

section "benchmark smoke run (tiny epochs; the report checked, in a temporary directory)"
"$REPO/scripts/bench.sh" --smoke
# bench/XLA-VERSION.md must be what its committed raw run gives (scripts/bench.sh --xla-version wrote both).
xla_run="$(ls -d "$REPO"/bench/raw/*-xla-version/ | sort | tail -n1)"
python3 "$REPO/bench/xla_version.py" "$xla_run" --out "$REPO/artifacts/XLA-VERSION.md" >/dev/null
diff -u "$REPO/bench/XLA-VERSION.md" "$REPO/artifacts/XLA-VERSION.md" ||
  { echo "bench/XLA-VERSION.md differs from what $xla_run gives" >&2; exit 1; }

section "docker-compose.yml, Dockerfile and the Kubernetes values (static)"
"$REPO/scripts/check-compose.sh"
# k8s/values.yaml against the z2jh chart's schema and the compose hub (no cluster is reachable from CI).
"$VENV/bin/python" "$REPO/scripts/check-k8s-values.py"

section "notebooks through the GoNB kernel"
"$VENV/bin/python" -m pytest -q tests/notebooks

section "JupyterLab in Chromium"
# Teaching from the lab must leave the clone as it was: the notebooks unchanged (outputs are stripped by the
# git filter setup.sh installs) and JupyterLab's checkpoints ignored.
status_before="$(git status --porcelain)"
# Run All reaches the knob cells, which listen for the slider until LECTURE_KNOB_IDLE passes without a move.
LECTURE_KNOB_IDLE=3s node tests/browser/lab.spec.mjs notebooks/01_regularization.ipynb 11
LECTURE_KNOB_IDLE=3s node tests/browser/lab.spec.mjs notebooks/02_vanishing_gradients.ipynb 9
# The lecture room (issue 20): the live curve, the RISE slideshow, the knobs, Presentation Mode, the menu's
# HTML and PDF exports, the slides handout offline; screenshots in artifacts/ (about 3 minutes).
node tests/browser/room.spec.mjs
status_after="$(git status --porcelain)"
if [[ "$status_before" != "$status_after" ]]; then
  echo "the browser tests changed the clone's git status:" >&2
  diff <(printf '%s\n' "$status_before") <(printf '%s\n' "$status_after") >&2 || true
  exit 1
fi
echo "git status unchanged by the browser tests"

section "Docker: the image built, served by compose, driven in Chromium"
"$REPO/scripts/docker-test.sh"
