#!/usr/bin/env bash
# scripts/hub-test.sh — the class hub, started from docker-compose.yml (service hub, profile class) and used by
# simulated students over real HTTP through its proxy (scripts/hub_students.py) and in Chromium.
#
#   scripts/hub-test.sh                     the test (scripts/docker-test.sh runs it after the lab's)
#   scripts/hub-test.sh --load 1,2,4,8      the capacity measurement: N students at once, each running
#                                           Restart Kernel and Run All of notebook 1; writes bench/class-load.json
#                                           and the table of docs/class-capacity.md. Not part of the tests.
#
# The test: the instructor and two students (alice, bob) sign up, the students sign in once approved, start
# their servers, and run notebook 1 at once on the shared read-only fit cache with no error; alice's saved file
# and new fit are hers only; bob gets 403 on her server and files; her work survives a server restart; one
# student runs notebook 1 in the real browser (tests/browser/lab.spec.mjs, signed in through the login page);
# then the hub restarts with a 30 s idle timeout and the culler stops every server.
#
# It needs a Docker engine that answers and the lab image (golecture-lab:cpu): scripts/docker-test.sh provides
# both. It builds the hub image (hub/Dockerfile) and removes what it made (the compose project
# golecture-hub-test: its containers, network and volumes, and the students' containers and volumes), keeping
# the images. Logs go to artifacts/hub/. LECTURE_NO_HUB=1 skips it.
set -euo pipefail

# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { printf 'hub-test: %s\n' "$*"; }
die() {
  printf 'hub-test: %s\n' "$*" >&2
  exit 1
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

LOAD=""
case "${1:-}" in
  "") ;;
  --load) LOAD="${2:?--load needs a list of class sizes, e.g. 1,2,4,8}" ;;
  *) die "usage: scripts/hub-test.sh [--load 1,2,4,8]" ;;
esac
[[ -z "$LOAD" || "$LOAD" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--load takes class sizes like 1,2,4,8"
if [[ -n "$LOAD" ]]; then
  for n in ${LOAD//,/ }; do ((n >= 1 && n <= 16)) || die "--load: class sizes from 1 to 16 on one machine (got $n)"; done
fi
if [[ "${LECTURE_NO_HUB:-0}" == 1 ]]; then
  say "skipped (LECTURE_NO_HUB=1)"
  exit 0
fi
T_ALL=$EPOCHREALTIME
cd "$REPO"
out="$REPO/artifacts/hub"
mkdir -p "$out"

DOCKER=/usr/bin/docker
command -v "$DOCKER" >/dev/null 2>&1 || DOCKER=docker
export DOCKER_BUILDKIT=1
"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers (scripts/docker-test.sh starts one)"
if "$DOCKER" compose version >/dev/null 2>&1; then
  COMPOSE=("$DOCKER" compose)
else
  COMPOSE=(docker-compose)
fi
PROJECT=golecture-hub-test
export HUB_NETWORK=$PROJECT HUB_NAME_PREFIX=$PROJECT
compose() { "${COMPOSE[@]}" --project-name "$PROJECT" --file "$REPO/docker-compose.yml" --profile class "$@"; }
"$DOCKER" image inspect golecture-lab:cpu >/dev/null 2>&1 || die "the lab image golecture-lab:cpu is missing: docker compose build lab"

# ---- cleanup: the students' containers and volumes (made by the hub's spawner), then the compose project ------
cleanup() {
  local rc=$?
  set +e
  compose logs --no-color hub >"$out/hub.log" 2>&1
  local ids
  ids="$("$DOCKER" ps -aq --filter "name=^$PROJECT-")"
  [[ -n "$ids" ]] && "$DOCKER" rm -f $ids >/dev/null
  compose down --volumes --remove-orphans >>"$out/compose.log" 2>&1
  ids="$("$DOCKER" volume ls -q --filter "name=^$PROJECT-")"
  [[ -n "$ids" ]] && "$DOCKER" volume rm $ids >/dev/null
  rm -f "$out/state.json"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the hub image ------------------------------------------------------------------------------------------------
ca="${LECTURE_DOCKER_CA:-${SSL_CERT_FILE:-}}"
[[ -z "$ca" && -r /etc/ssl/certs/ca-certificates.crt ]] && ca=/etc/ssl/certs/ca-certificates.crt
secret=()
[[ -n "$ca" && "$ca" != none ]] && secret=(--secret "id=extra_ca,src=$ca")
t=$EPOCHREALTIME
if ! "$DOCKER" build --progress=plain "${secret[@]}" -t golecture-hub:latest "$REPO/hub" >"$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2
  die "the hub image build failed; see $out/build.log"
fi
"$DOCKER" image prune --force --filter label=org.golecture.image=hub >/dev/null
say "hub image built in $(since "$t")s ($("$DOCKER" image inspect --format '{{.Size}}' golecture-hub:latest | awk '{ printf "%.2f GB", $1 / 1e9 }'));" \
  "lab image $("$DOCKER" image inspect --format '{{.Size}}' golecture-lab:cpu | awk '{ printf "%.2f GB", $1 / 1e9 }')"

# ---- up -----------------------------------------------------------------------------------------------------------
HUB_HOST_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
HUB_STUDENT_PASSWORD="hub-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export HUB_HOST_PORT HUB_STUDENT_PASSWORD
url="http://127.0.0.1:$HUB_HOST_PORT"
if [[ -n "$LOAD" ]]; then
  # Measured without the class limits, to size them: each student may use the whole machine.
  export HUB_CPU_LIMIT="${HUB_CPU_LIMIT:-$(nproc)}" HUB_MEM_LIMIT="${HUB_MEM_LIMIT:-8G}"
fi

up_hub() {
  local t=$EPOCHREALTIME
  compose up --detach --no-build hub >>"$out/compose.log" 2>&1 || die "compose up hub failed; see $out/compose.log"
  for _ in $(seq 120); do
    if curl -fsS -o /dev/null "$url/hub/api" 2>/dev/null; then
      UP_S="$(since "$t")"
      return
    fi
    sleep 0.5
  done
  compose logs --no-color hub | tail -n 30 >&2
  die "the hub did not answer on $url within 60 s"
}
: >"$out/compose.log"
compose down --volumes --remove-orphans >>"$out/compose.log" 2>&1 || true # Leftovers of an interrupted run.
up_hub
say "hub answered in ${UP_S}s on $url ($(curl -fsS "$url/hub/api" | python3 -c 'import json, sys; print("JupyterHub", json.load(sys.stdin)["version"])'));" \
  "the class fit cache volume holds $("$DOCKER" run --rm -v "$PROJECT-fits:/f:ro" --entrypoint sh golecture-lab:cpu -c 'ls /f | grep -c "\.fit$"') fits"

students=("$VENV/bin/python" "$REPO/scripts/hub_students.py")
if [[ -n "$LOAD" ]]; then
  raw="$REPO/bench/class-load.json"
  "${students[@]}" load --hub "$url" --prefix "$PROJECT" --students "$LOAD" --out "$raw" --doc "$REPO/docs/class-capacity.md"
  say "capacity measured in $(since "$T_ALL")s: $raw, docs/class-capacity.md"
  exit 0
fi

# ---- the test -----------------------------------------------------------------------------------------------------
"${students[@]}" check --hub "$url" --prefix "$PROJECT" --state "$out/state.json"

say "alice in Chromium: Restart Kernel and Run All of notebook 1 through the hub (log: artifacts/hub/lab-spec.log)"
token="$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["alice"]["token"])' "$out/state.json")"
if ! LAB_URL="$url/user/alice" LAB_TOKEN="$token" LAB_HUB_LOGIN="alice:$HUB_STUDENT_PASSWORD" ARTIFACTS_DIR="$out" \
  node tests/browser/lab.spec.mjs notebooks/01_regularization.ipynb 8 >"$out/lab-spec.log" 2>&1; then
  cat "$out/lab-spec.log" >&2
  die "the browser test through the hub failed (screenshots in $out)"
fi
grep -E '^# (ran|[0-9]+ SVG|backend|interrupted|pass|fail)' "$out/lab-spec.log" | sed 's/^/  /'

# The culler: the hub restarts with a short idle timeout (its database keeps users and running servers).
export HUB_IDLE_TIMEOUT=30 HUB_CULL_EVERY=10
up_hub
say "hub restarted with HUB_IDLE_TIMEOUT=$HUB_IDLE_TIMEOUT HUB_CULL_EVERY=$HUB_CULL_EVERY in ${UP_S}s"
"${students[@]}" culled --hub "$url" --prefix "$PROJECT" --within 240
compose logs --no-color hub 2>/dev/null | grep -E 'Culling server' | sed 's/^/  /' | head -n 4 || true

say "ok in $(since "$T_ALL")s"
