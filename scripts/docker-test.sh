#!/usr/bin/env bash
# scripts/docker-test.sh — the Docker image, built and served for real: builds the image from the
# repository's Dockerfile, starts the compose service lab (docker-compose.yml), and drives that lab in
# headless Chromium (tests/browser/lab.spec.mjs with LAB_URL/LAB_TOKEN): Restart Kernel and Run All of
# notebook 01 with no error and its plots, then interrupting a long fit. Then it checks that tini is PID 1
# and left no zombie, that the lab runs as the host user's UID (not root) and saves notebooks the host user
# owns, and that the fit cache volume, seeded from the image, keeps what is written to it across `down` and
# `up`. Last, the class hub (scripts/hub-test.sh). scripts/test.sh runs it as a section of its own.
#
#   scripts/docker-test.sh
#
# It stops and removes what it started (the containers, the network and the test's volumes, under the
# compose project name golecture-docker-test; the Docker engine when none was running), and keeps the
# images (the base images and the lab image, whose layers make the next build faster).
#
# Environment:
#   LECTURE_NO_DOCKER=1   skip it (machines without Docker)
#   LECTURE_DOCKER_CA     a PEM bundle of extra CAs for the build's downloads, passed as the build secret
#                         extra_ca (see the Dockerfile): default $SSL_CERT_FILE, else this machine's
#                         /etc/ssl/certs/ca-certificates.crt (which holds the CA of a network that re-signs
#                         TLS, when the machine trusts one); "none" for none
#   LAB_HOST_PORT         the host port of the lab (default 8888, or a free one when 8888 is taken)
#
# Base images. When an image that the Dockerfile starts FROM is missing and cannot be pulled (no registry
# is reachable from the test machines), a stand-in is built under the same name, once per machine:
# debian:SUITE by debootstrap (--variant=minbase) from Debian's archive, `docker import`ed; golang:V-SUITE
# from that plus the packages of the official image and this machine's Go toolchain, which must be go V.
# The Dockerfile itself stays the one users build from the official images.
#
# Docker: a docker CLI with BuildKit (buildx, or Debian's docker.io 20.10 CLI with DOCKER_BUILDKIT=1), and
# `docker compose` (v2) or docker-compose (v1). As root, a Docker engine that is not running is started
# (dockerd) and stopped at the end. Logs go to artifacts/docker/.
set -euo pipefail

# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { printf 'docker-test: %s\n' "$*"; }
die() {
  printf 'docker-test: %s\n' "$*" >&2
  exit 1
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

if [[ "${LECTURE_NO_DOCKER:-0}" == 1 ]]; then
  say "skipped (LECTURE_NO_DOCKER=1)"
  exit 0
fi
T_ALL=$EPOCHREALTIME

"$REPO/scripts/setup.sh" --browser >/dev/null # Chromium and playwright-core for the browser test.
cd "$REPO"
out="$REPO/artifacts/docker"
mkdir -p "$out"
# One run at a time on a machine (it starts and stops the engine, and uses fixed names).
exec 8>"$TOOLS/docker-test.lock"
flock 8

PROJECT=golecture-docker-test
NOTEBOOK=notebooks/01_regularization.ipynb
MIN_SVG=8
FIT_CACHE_VOLUME_PATH=/var/cache/golecture/fits

# ---- the docker CLI (with BuildKit) and compose --------------------------------------------------------
DOCKER=""
for cli in docker /usr/bin/docker; do
  command -v "$cli" >/dev/null 2>&1 || continue
  if "$cli" buildx version >/dev/null 2>&1; then
    DOCKER="$cli"
    break
  fi
  # The 20.10 CLI has BuildKit built in; from 23 on the CLI needs buildx for it.
  major="$("$cli" --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')"
  if [[ -n "$major" ]] && ((major < 23)); then
    DOCKER="$cli"
    break
  fi
done
[[ -n "$DOCKER" ]] || die "no docker CLI with BuildKit (buildx, or a 20.10 CLI): install one, or set LECTURE_NO_DOCKER=1"
export DOCKER_BUILDKIT=1
if "$DOCKER" compose version >/dev/null 2>&1; then
  COMPOSE=("$DOCKER" compose)
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
else
  die "neither 'docker compose' nor docker-compose is installed: install one, or set LECTURE_NO_DOCKER=1"
fi
compose() { "${COMPOSE[@]}" --project-name "$PROJECT" --file "$REPO/docker-compose.yml" "$@"; }

# ---- cleanup: what this run started ---------------------------------------------------------------------
ENGINE_PID=""
COMPOSE_UP=0
TMP_DIRS=()
cleanup() {
  local rc=$?
  set +e
  if [[ "$COMPOSE_UP" == 1 ]]; then
    compose logs --no-color lab >"$out/lab-container.log" 2>&1
    compose down --volumes --remove-orphans >>"$out/compose.log" 2>&1 || say "compose down failed: see $out/compose.log"
  fi
  ((${#TMP_DIRS[@]})) && rm -rf "${TMP_DIRS[@]}"
  if [[ -n "$ENGINE_PID" ]]; then
    kill -TERM "$ENGINE_PID" 2>/dev/null
    wait "$ENGINE_PID" 2>/dev/null
    say "stopped the Docker engine it had started"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the engine -----------------------------------------------------------------------------------------
if ! "$DOCKER" info >/dev/null 2>&1; then
  if [[ $EUID -ne 0 ]] || ! command -v dockerd >/dev/null 2>&1; then
    die "no Docker engine answers: start it, or set LECTURE_NO_DOCKER=1"
  fi
  t=$EPOCHREALTIME
  dockerd >"$out/dockerd.log" 2>&1 &
  ENGINE_PID=$!
  for _ in $(seq 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$ENGINE_PID" 2>/dev/null || die "dockerd exited; see $out/dockerd.log"
    sleep 0.5
  done
  "$DOCKER" info >/dev/null 2>&1 || die "dockerd does not answer after 60 s; see $out/dockerd.log"
  say "started the Docker engine (dockerd $("$DOCKER" info --format '{{.ServerVersion}}')) in $(since "$t")s"
fi
say "using $DOCKER ($("$DOCKER" --version | cut -d, -f1)) and ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?'))"

# ---- base images: present, pulled, or stand-ins ---------------------------------------------------------
have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# standin_debian SUITE: debian:SUITE from Debian's archive (debootstrap), like the official image: minbase,
# apt sources for the suite, its updates and its security archive, no package lists.
standin_debian() {
  local suite="$1" t root
  t=$EPOCHREALTIME
  if ! command -v debootstrap >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || die "debootstrap is needed to build the stand-in debian:$suite (apt-get install debootstrap)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  root="$(mktemp -d /var/tmp/golecture-rootfs.XXXXXX)"
  TMP_DIRS+=("$root")
  debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >"$out/debootstrap.log" 2>&1 ||
    die "debootstrap $suite failed; see $out/debootstrap.log"
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" --numeric-owner -c . |
    "$DOCKER" import --message "stand-in for debian:$suite (debootstrap minbase, scripts/docker-test.sh)" \
      --change 'CMD ["bash"]' - "debian:$suite" >/dev/null
  rm -rf "$root"
  say "built the stand-in base image debian:$suite in $(since "$t")s (debootstrap; log: artifacts/docker/debootstrap.log)"
}

# standin_golang VERSION SUITE: golang:VERSION-SUITE as the official Dockerfile makes it (its build tools,
# Go in /usr/local/go, GOPATH=/go, GOTOOLCHAIN=local), with this machine's Go toolchain.
standin_golang() {
  local version="$1" suite="$2" t ctx goroot
  [[ "$(go env GOVERSION 2>/dev/null)" == "go$version" ]] ||
    die "golang:$version-$suite is missing and this machine's Go is $(go env GOVERSION 2>/dev/null || echo none), not go$version: pull the image, or install go$version"
  have_image "debian:$suite" || standin_debian "$suite"
  t=$EPOCHREALTIME
  goroot="$(go env GOROOT)"
  ctx="$(mktemp -d /var/tmp/golecture-golang.XXXXXX)"
  TMP_DIRS+=("$ctx")
  cp -a "$goroot" "$ctx/go"
  cat >"$ctx/Dockerfile" <<EOF
FROM debian:$suite
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      ca-certificates curl wget gnupg netbase git openssh-client procps \\
      g++ gcc libc6-dev make pkg-config \\
 && rm -rf /var/lib/apt/lists/*
LABEL org.golecture.standin="golang:$version-$suite from this machine's Go (scripts/docker-test.sh)"
ENV GOLANG_VERSION=$version GOTOOLCHAIN=local GOPATH=/go
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY go /usr/local/go
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go
WORKDIR /go
EOF
  "$DOCKER" build --progress=plain -t "golang:$version-$suite" "$ctx" >"$out/golang-standin.log" 2>&1 ||
    die "building the stand-in golang:$version-$suite failed; see $out/golang-standin.log"
  rm -rf "$ctx"
  say "built the stand-in base image golang:$version-$suite in $(since "$t")s (log: artifacts/docker/golang-standin.log)"
}

t=$EPOCHREALTIME
# The lab's base images, and the class hub's (scripts/hub-test.sh builds hub/Dockerfile).
for image in $(awk 'toupper($1) == "FROM" { print $2 }' "$REPO/Dockerfile" "$REPO/hub/Dockerfile" | sort -u); do
  if have_image "$image"; then
    say "base image $image: present"
    continue
  fi
  case "$image" in
    debian:*) standin_debian "${image#debian:}" ;;
    golang:*-*)
      tag="${image#golang:}"
      standin_golang "${tag%%-*}" "${tag#*-}"
      ;;
    *) die "base image $image is missing, and there is no stand-in recipe for it here" ;;
  esac
done
say "base images ready in $(since "$t")s"

# ---- the image ------------------------------------------------------------------------------------------
image="$(compose config | awk '/^  lab:$/ { s = 1; next } /^  [^ ]/ { s = 0 } s && /^    image:/ { print $2 }')"
[[ -n "$image" ]] || die "docker-compose.yml names no image for service lab"
ca="${LECTURE_DOCKER_CA:-${SSL_CERT_FILE:-}}"
if [[ -z "$ca" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  ca=/etc/ssl/certs/ca-certificates.crt
fi
secret=()
if [[ -n "$ca" && "$ca" != none ]]; then
  [[ -r "$ca" ]] || die "LECTURE_DOCKER_CA (or SSL_CERT_FILE) names $ca, which cannot be read (\"none\" for none)"
  secret=(--secret "id=extra_ca,src=$ca")
fi
t=$EPOCHREALTIME
say "building $image from the Dockerfile${secret:+ (extra CAs from $ca as the build secret extra_ca)}; log: artifacts/docker/build.log"
if ! "$DOCKER" build --progress=plain "${secret[@]}" -t "$image" "$REPO" >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log" >&2
  die "the image build failed; see $out/build.log"
fi
cached_steps="$(grep -c '^#[0-9]* CACHED$' "$out/build.log" || true)"
say "image built in $(since "$t")s ($image, $("$DOCKER" image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.1f GB", $1 / 1e9 }'), $cached_steps steps cached)"
# The warm-up keeps each notebook cell's program (GONB_CELL_DIR), so that a student's first Run All reuses them.
kept="$("$DOCKER" run --rm --entrypoint bash "$image" -c 'ls "$GONB_CELL_DIR"/slot0.bin 2>/dev/null | grep -vc "\.stamp$"')"
[[ "$kept" -ge 30 ]] || die "the image keeps $kept cell programs in \$GONB_CELL_DIR/slot0.bin, want both notebooks' (30 or more)"
say "the image keeps $kept cell programs for the first Run All"
# ... and their stamps hold in a new container of the image: notebook 1's first run there needs no `go build`.
first="$("$DOCKER" run --rm --entrypoint bash "$image" -c '.venv/bin/python scripts/cellcost.py --runs 1 --runall 0' 2>&1 |
  grep '^# notebook 1: .* built cells' || true)"
[[ "$first" =~ ([0-9]+)\ of\ ([0-9]+)\ built ]] && ((BASH_REMATCH[1] == BASH_REMATCH[2] && BASH_REMATCH[2] > 0)) ||
  die "in a new container of the image, notebook 1's cells did not all run their kept programs: '${first:-no result}'"
say "in a new container, ${first#\# }"
# The previous build of the image, now untagged, is only disk space.
"$DOCKER" image prune --force --filter label=org.golecture.image=lab >/dev/null

# ---- compose up -----------------------------------------------------------------------------------------
if [[ -z "${LAB_HOST_PORT:-}" ]]; then
  LAB_HOST_PORT=8888
  if ss -Hltn "sport = :8888" 2>/dev/null | grep -q .; then
    LAB_HOST_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    say "port 8888 is taken on this machine: the lab is published on $LAB_HOST_PORT instead"
  fi
fi
LAB_TOKEN="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
# The lab serves a copy of the notebooks owned by a user other than root and other than the image's jovyan (as
# root, UID 4321; otherwise this user), run as that user (LAB_UID), to show that what it saves is the host user's.
LAB_NOTEBOOKS="$(mktemp -d /var/tmp/golecture-notebooks.XXXXXX)"
TMP_DIRS+=("$LAB_NOTEBOOKS")
cp "$REPO"/notebooks/*.ipynb "$LAB_NOTEBOOKS/"
LAB_UID="$(id -u)"
if [[ $EUID -eq 0 ]]; then
  LAB_UID=4321
  chown -R "$LAB_UID:100" "$LAB_NOTEBOOKS"
fi
chmod 775 "$LAB_NOTEBOOKS"
export LAB_HOST_PORT LAB_TOKEN LAB_NOTEBOOKS LAB_UID
url="http://127.0.0.1:$LAB_HOST_PORT"

# up_lab: `compose up lab` (detached), then waits for the lab to answer; sets UP_S to the seconds it took
# and container to the container's id.
UP_S=""
container=""
up_lab() {
  local t=$EPOCHREALTIME
  COMPOSE_UP=1
  compose up --detach --no-build lab >>"$out/compose.log" 2>&1 || die "compose up failed; see $out/compose.log"
  for _ in $(seq 240); do
    if curl -fsS -o /dev/null "$url/api/status?token=$LAB_TOKEN" 2>/dev/null; then
      UP_S="$(since "$t")"
      container="$(compose ps -q lab)"
      return
    fi
    sleep 0.5
  done
  compose logs --no-color lab >"$out/lab-container.log" 2>&1
  tail -n 30 "$out/lab-container.log" >&2
  die "the lab did not answer on $url within 120 s; see $out/lab-container.log"
}
: >"$out/compose.log"
compose down --volumes --remove-orphans >>"$out/compose.log" 2>&1 || true # Leftovers of an interrupted run.
up_lab
say "lab answered in ${UP_S}s on $url (${COMPOSE[*]} up lab)"
dexec() { "$DOCKER" exec "$container" "$@"; }

# Sanity of what the browser test relies on: the host's notebooks and the image's fit cache.
host_nb="$LAB_NOTEBOOKS/$(basename "$NOTEBOOK")"
[[ "$(dexec sha256sum "/workspace/$NOTEBOOK" | cut -d' ' -f1)" == "$(sha256sum "$host_nb" | cut -d' ' -f1)" ]] ||
  die "the container's /workspace/$NOTEBOOK is not the host's file: \$LAB_NOTEBOOKS is not mounted"
[[ "$(dexec id -u)" == "$LAB_UID" ]] || die "the lab runs as UID $(dexec id -u), not LAB_UID=$LAB_UID"
say "the lab runs as UID $LAB_UID (LAB_UID), not root; the image's own user is $("$DOCKER" image inspect --format '{{.Config.User}}' "$image")"
fits_image="$(dexec sh -c "ls $FIT_CACHE_VOLUME_PATH | grep -c '\\.fit\$'" || true)"
((fits_image > 0)) || die "the fit cache volume holds no fit: it was not seeded from the image's warm cache"
say "the fit cache volume holds the image's $fits_image fits"

# ---- the browser test, against the lab in the container -------------------------------------------------
say "browser test of $NOTEBOOK in the container (log: artifacts/docker/lab-spec.log)"
status_before="$(git status --porcelain 2>/dev/null || true)"
if ! LAB_URL="$url" LAB_TOKEN="$LAB_TOKEN" ARTIFACTS_DIR="$out" node tests/browser/lab.spec.mjs "$host_nb" "$MIN_SVG" \
  >"$out/lab-spec.log" 2>&1; then
  cat "$out/lab-spec.log" >&2
  die "the browser test failed in the container (screenshots in $out)"
fi
grep -E '^(# (ran|[0-9]+ SVG|backend|interrupted|trivial|JupyterLab)|# (pass|fail))' "$out/lab-spec.log" | sed 's/^/  /'
cells="$(sed -n 's/^# ran \([0-9]*\) code cells in \([0-9.]*\)s$/\1/p' "$out/lab-spec.log")"
run_all="$(sed -n 's/^# ran \([0-9]*\) code cells in \([0-9.]*\)s$/\2/p' "$out/lab-spec.log")"
plots="$(sed -n 's/^# \([0-9]*\) SVG plot(s) rendered$/\1/p' "$out/lab-spec.log")"
backend="$(sed -n 's/^# \(backend: .*\)$/\1/p' "$out/lab-spec.log")"
[[ "$backend" == "backend: xla "* ]] || die "the notebook in the container did not run on XLA: '$backend'"
say "notebook ran in the container: $cells code cells, $plots plots, no error ($backend)"
say "warm Run All in the container: ${run_all}s (Restart Kernel and Run All, notebook 01, the image's fit cache)"
status_after="$(git status --porcelain 2>/dev/null || true)"
if [[ "$status_before" != "$status_after" ]]; then
  diff <(printf '%s\n' "$status_before") <(printf '%s\n' "$status_after") >&2 || true
  die "the browser test in the container changed the clone's git status"
fi

# A notebook the lab saves is the host user's file.
curl -fsS -o /dev/null -X PUT -H "Authorization: token $LAB_TOKEN" -H 'Content-Type: application/json' \
  -d '{"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}' \
  "$url/api/contents/saved-by-the-lab.ipynb" || die "the lab could not save a notebook into the mounted folder"
owner="$(stat -c %u "$LAB_NOTEBOOKS/saved-by-the-lab.ipynb")"
[[ "$owner" == "$LAB_UID" ]] || die "a notebook the lab saved is owned by UID $owner on the host, not $LAB_UID"
say "a notebook the lab saved is owned on the host by UID $owner, the host user's (LAB_UID)"

# ---- tini and the cell processes ------------------------------------------------------------------------
dexec ps -eo pid,ppid,stat,etime,args >"$out/processes.txt" 2>&1 || true
pid1="$(dexec cat /proc/1/cmdline | tr '\0' ' ')"
[[ "$pid1" == /usr/bin/tini* ]] || die "PID 1 in the container is '$pid1', not tini"
zombies="$(dexec sh -c 'grep -l "^State:[[:space:]]*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')"
((zombies == 0)) || die "$zombies zombie process(es) in the container after the interrupted fit (see $out/processes.txt)"
say "PID 1 is tini; no zombie process after the interrupted fit ($(($(wc -l <"$out/processes.txt") - 1)) processes: artifacts/docker/processes.txt)"

# ---- the fit cache volume across down and up ------------------------------------------------------------
marker="docker-test-$LAB_TOKEN"
dexec sh -c "echo $marker >$FIT_CACHE_VOLUME_PATH/docker-test-marker"
compose down >>"$out/compose.log" 2>&1 # Without --volumes: what a user does at the end of a class.
up_lab
[[ "$(dexec cat "$FIT_CACHE_VOLUME_PATH/docker-test-marker" 2>/dev/null)" == "$marker" ]] ||
  die "a file written to the fit cache did not survive compose down and up"
say "the fit cache volume keeps what is written to it across compose down/up (lab answered again in ${UP_S}s)"

# ---- the class hub, on the same engine and lab image ---------------------------------------------------------
"$REPO/scripts/hub-test.sh"

say "ok in $(since "$T_ALL")s"
