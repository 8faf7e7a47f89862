#!/usr/bin/env bash
# scripts/lab.sh — runs scripts/setup.sh, then JupyterLab on notebooks/ with the project's GoNB kernel.
#
#   scripts/lab.sh [extra jupyter lab arguments]
#
# Environment:
#   LAB_HOST   address to bind (default 127.0.0.1: the lab runs code, so it is not offered to the network;
#              the Docker image sets 0.0.0.0 and publishes the port on the host's 127.0.0.1 only)
#   LAB_PORT   port (default 8888); a port in use is an error, not a silent move to another port
#   LAB_TOKEN  access token (default: a new random one, printed in the URL below)
#   LAB_LOG    the server's log file (default .tools/logs/lab.log)
set -euo pipefail

# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$REPO/scripts/setup.sh"

host="${LAB_HOST:-127.0.0.1}"
port="${LAB_PORT:-8888}"
token="${LAB_TOKEN:-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')}"

# The URL to open from this machine: a wildcard bind is reached through loopback.
case "$host" in
  0.0.0.0 | "::" | "[::]") url_host=127.0.0.1 ;;
  *) url_host="$host" ;;
esac

extra=()
# Jupyter refuses to run as root without this; root is the norm in CI and in the container.
[[ $EUID -eq 0 ]] && extra+=(--allow-root)

mkdir -p "$REPO/notebooks" "$TOOLS/logs"
# The server's and the kernels' own log (one line per request, kernel start-up chatter, a goroutine dump
# when a kernel is shut down) goes to a file: the terminal shows our lines only.
log="${LAB_LOG:-$TOOLS/logs/lab.log}"
: >"$log"
chmod 600 "$log" # The kernels' output may be private too.
echo "lab: JupyterLab at http://$url_host:$port/lab?token=$token"
echo "lab: its log goes to $log; Ctrl+C stops it"
# New notebooks default to the GoNB kernel, and the lab makes no call outside this machine (no news feed nor
# update check): scripts/setup.sh's server-config step. The token goes in the environment, which only this user can read
# (/proc/<pid>/environ), never on the command line, which every local user can (/proc/<pid>/cmdline).
# Everything the server starts carries lab_mark in its environment: see leftovers below.
lab_mark="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
GOLECTURE_LAB="$lab_mark" JUPYTER_TOKEN="$token" "$VENV/bin/jupyter" lab \
  --no-browser \
  --ServerApp.ip="$host" \
  --ServerApp.port="$port" \
  --ServerApp.port_retries=0 \
  --ServerApp.root_dir="$REPO/notebooks" \
  "${extra[@]}" "$@" </dev/null >>"$log" 2>&1 &
server=$!

# GoNB often dies while shutting down ("panic: close of closed channel": its reply to Jupyter's
# interrupt request blocks, Jupyter's SIGTERM stops the kernel, then the shutdown request stops it again)
# before it stops its gopls and removes its work directory; gopls runs in a process group of its own,
# which Jupyter's kill does not reach. Once the server, and with it every kernel, is gone: end whatever
# still carries this lab's mark, and remove the GoNB work directory it ran in (a slot, $TMPDIR/gonb-cells-<uid>/
# slot<N>, or a one-off /tmp/gonb_*; a slot's kept programs, slot<N>.bin, stay for the next kernel).
leftovers() {
  local environ pid dir
  for environ in /proc/[0-9]*/environ; do
    grep -qzxF "GOLECTURE_LAB=$lab_mark" "$environ" 2>/dev/null || continue
    pid="${environ#/proc/}"
    pid="${pid%/environ}"
    dir="$(readlink "/proc/$pid/cwd" 2>/dev/null)" || dir=""
    kill -KILL "$pid" 2>/dev/null || continue
    case "${dir##*/}" in gonb_* | slot[0-9]*) rm -rf -- "$dir" ;; esac
  done
}

# SIGTERM shuts the server down at once (SIGINT would make it ask for confirmation).
trap 'kill -TERM "$server" 2>/dev/null; wait "$server" || true; leftovers; exit 0' INT TERM
rc=0
wait "$server" || rc=$?
leftovers
if [[ $rc -ne 0 ]]; then
  echo "lab: JupyterLab stopped with status $rc; the end of its log:" >&2
  tail -n 20 "$log" >&2
fi
exit "$rc"
