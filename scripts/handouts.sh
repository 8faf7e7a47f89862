#!/usr/bin/env bash
# scripts/handouts.sh — the main job: set up (idempotently), execute every notebook through the GoNB kernel and
# write self-contained HTML handouts, with code and without (student version), and reveal.js slides, into
# handouts/ (or $1).
#
#   scripts/handouts.sh [OUT_DIR]
#
# Fits are memoized in the fit cache ($LECTURE_FIT_CACHE, default ~/.cache/golecture/fits): the first run
# trains every model (minutes), later runs reload them (seconds).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$REPO/scripts/setup.sh"
out="${1:-$REPO/handouts}"
exec "$VENV/bin/python" "$REPO/scripts/handouts.py" --out "$out" "$REPO"/notebooks/*.ipynb
