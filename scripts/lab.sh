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
log="$TOOLS/logs/lab.log"
: >"$log"
echo "lab: JupyterLab at http://$url_host:$port/lab?token=$token"
echo "lab: its log goes to $log; Ctrl+C stops it"
# New notebooks default to the GoNB kernel. No news feed nor update check: the lab makes no call
# outside this machine.
"$VENV/bin/jupyter" lab \
  --no-browser \
  --ServerApp.ip="$host" \
  --ServerApp.port="$port" \
  --ServerApp.port_retries=0 \
  --IdentityProvider.token="$token" \
  --ServerApp.root_dir="$REPO/notebooks" \
  --MappingKernelManager.default_kernel_name=gonb \
  --LabApp.news_url=None \
  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
  "${extra[@]}" "$@" </dev/null >>"$log" 2>&1 &
server=$!
# SIGTERM shuts the server down at once (SIGINT would make it ask for confirmation).
trap 'kill -TERM "$server" 2>/dev/null; wait "$server"; exit 0' INT TERM
rc=0
wait "$server" || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "lab: JupyterLab stopped with status $rc; the end of its log:" >&2
  tail -n 20 "$log" >&2
fi
exit "$rc"
