# shellcheck shell=bash
# scripts/env.sh — the project's environment, sourced (never executed) by every other script:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
#
# It defines REPO, VENV, TOOLS, STAMPS, GO_BIN and exports what every Go build and every Jupyter process
# of the project needs, so that tests, the GoNB kernel and benchmarks all build the same way:
#   - GOEXPERIMENT gains "simd" (GoMLX's pure-Go backend is built with it; a build without it differs).
#   - PATH starts with .tools/bin (gonb, goimports, gopls), the venv's bin (jupyter) and the Go toolchain.
#   - JUPYTER_PATH starts with the venv's share/jupyter, so the project's GoNB kernelspec (installed there
#     by scripts/setup.sh) wins over any "gonb" kernelspec in the user's own ~/.local/share/jupyter.
# Sourcing it twice is harmless. It installs nothing: scripts/setup.sh does that.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
TOOLS="$REPO/.tools"
STAMPS="$TOOLS/stamps"
export REPO VENV TOOLS STAMPS

# The Go toolchain: the one on PATH, else the usual install location (a fresh shell in CI or Docker
# may not have /usr/local/go/bin on PATH yet).
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:$PATH"
fi
if command -v go >/dev/null 2>&1; then
  GO_BIN="$(go env GOROOT)/bin"
else
  GO_BIN="" # scripts/setup.sh reports the missing toolchain.
fi

# Prepend a directory to PATH once.
_env_prepend_path() {
  [[ -n "$1" ]] || return 0
  case ":$PATH:" in
    *":$1:"*) ;;
    *) PATH="$1:$PATH" ;;
  esac
}
_env_prepend_path "$GO_BIN"
_env_prepend_path "$VENV/bin"
_env_prepend_path "$TOOLS/bin"
export PATH
unset -f _env_prepend_path

# Add "simd" to GOEXPERIMENT, keeping any experiment the caller set.
case ",${GOEXPERIMENT:-}," in
  *,simd,*) ;;
  *) GOEXPERIMENT="${GOEXPERIMENT:+$GOEXPERIMENT,}simd" ;;
esac
export GOEXPERIMENT

case ":${JUPYTER_PATH:-}:" in
  *":$VENV/share/jupyter:"*) ;;
  *) JUPYTER_PATH="$VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" ;;
esac
export JUPYTER_PATH
