#!/usr/bin/env bash
# scripts/check-compose.sh — validates docker-compose.yml and the Dockerfile statically, without a Docker engine.
#
#   scripts/check-compose.sh [COMPOSE_FILE]     (default: the repository's docker-compose.yml)
#
# 1. Schema: Debian's docker-compose (v1.29, installed from apt when missing) parses and validates the file
#    against the Compose file schema with `config`, which needs no engine: unknown keys, wrong types and
#    bad interpolation fail. Run once plainly and once with --profile gpu.
# 2. Intent: the normalized `config` output is checked for what the project relies on: service lab
#    published on 127.0.0.1:8888 with ./notebooks mounted and the fit cache on a named volume, at the path
#    the Dockerfile's $LECTURE_FIT_CACHE names; service lab-gpu only in profile gpu, built with
#    LECTURE_CUDA=1, with an NVIDIA device reservation and GOMLX_BACKEND naming the CUDA plugin that
#    `LECTURE_CUDA=1 scripts/setup.sh` installs. The Dockerfile is checked too: its PJRT plugin comes from
#    scripts/setup.sh (no go-xla installer, no `latest`, no LECTURE_NO_XLA), which it runs with
#    LECTURE_CUDA. The image runs as UID 1000 and the lab as a user; service hub (profile class only) publishes
#    127.0.0.1:8000, mounts the Docker socket, spawns the lab's image on its own network, and starts after
#    fits-seed has seeded the read-only class fit cache from that image. (scripts/docker-test.sh builds the
#    images and serves the lab and the hub for real.)
# 3. The checker itself: a copy of the file with an unknown key must be rejected, so a validator that
#    quietly accepts anything (a stub, a changed tool) fails this script instead of passing it.
set -euo pipefail

# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

file="$(realpath "${1:-$REPO/docker-compose.yml}")"

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "check-compose: installing Debian's docker-compose"
  sudo_=()
  [[ $EUID -eq 0 ]] || sudo_=(sudo)
  "${sudo_[@]}" apt-get update -qq
  "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 1. Schema (a variable the file interpolates may be unset: compose's defaults apply).
docker-compose -f "$file" config >"$tmp/config.yml"
docker-compose -f "$file" --profile gpu config -q
docker-compose -f "$file" --profile class config >"$tmp/class.yml"
echo "check-compose: schema ok ($file, also with --profile gpu and --profile class)"

# 2. Intent. docker-compose runs on Debian's python3, which has PyYAML (a dependency of docker-compose).
/usr/bin/python3 - "$tmp/config.yml" "$(dirname "$file")/Dockerfile" "$tmp/class.yml" <<'EOF'
import re, sys, yaml

cfg = yaml.safe_load(open(sys.argv[1]))
dockerfile = open(sys.argv[2]).read()
class_cfg = yaml.safe_load(open(sys.argv[3]))
services = cfg.get("services", {})
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

lab = services.get("lab", {})
need("build" in lab, "service lab is built from the Dockerfile")
need(not lab.get("profiles"), "service lab is in no profile (starts by default)")
need(any(str(p).startswith("127.0.0.1:8888:8888") for p in lab.get("ports", [])),
     "service lab publishes 127.0.0.1:8888:8888")
need(any(str(v).split(":")[1:2] == ["/workspace/notebooks"] and str(v).split(":")[0].endswith("/notebooks")
         for v in lab.get("volumes", [])), "service lab mounts ./notebooks on /workspace/notebooks")
m = re.search(r"^(?:ENV)?\s+LECTURE_FIT_CACHE=(\S+)", dockerfile, re.M)
need(m, "the Dockerfile sets LECTURE_FIT_CACHE (LECTURE_FIT_CACHE=... on a line of its own in an ENV)")
fit_cache = m.group(1) if m else "?"
volumes = cfg.get("volumes") or {}
def named_volume_on(service, target):
    for v in service.get("volumes", []):
        src, _, rest = str(v).partition(":")
        if rest.split(":")[0] == target and src in volumes:
            return src
need(named_volume_on(lab, fit_cache), f"service lab keeps the fit cache ({fit_cache}) on a named volume")
need(not lab.get("environment", {}).get("LECTURE_FIT_CACHE"), "service lab leaves LECTURE_FIT_CACHE to the image")

# The image gets its plugin the way a developer's machine does: from scripts/setup.sh (its pjrt step).
need("pjrt_installer" not in dockerfile, "the Dockerfile does not use go-xla's pjrt_installer")
need(not re.search(r"\blatest\b", dockerfile), "the Dockerfile pins every version (no `latest`)")
need("LECTURE_NO_XLA" not in dockerfile, "the Dockerfile keeps setup.sh's PJRT plugin (no LECTURE_NO_XLA)")
need(re.search(r"^ARG LECTURE_CUDA=0$", dockerfile, re.M), "the Dockerfile has ARG LECTURE_CUDA=0")
need(re.search(r'LECTURE_CUDA="?\$\{?LECTURE_CUDA\b.*scripts/setup\.sh', dockerfile),
     "the Dockerfile runs scripts/setup.sh with LECTURE_CUDA=$LECTURE_CUDA")

gpu = services.get("lab-gpu", {})
need(gpu.get("profiles") == ["gpu"], "service lab-gpu is only in profile gpu")
need(str((gpu.get("build") or {}).get("args", {}).get("LECTURE_CUDA")) == "1", "service lab-gpu builds with LECTURE_CUDA=1")
need(gpu.get("image") and gpu.get("image") != lab.get("image"), "service lab-gpu has an image name of its own")
cuda_plugin = "/workspace/.tools/cuda/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
need(gpu.get("environment", {}).get("GOMLX_BACKEND") == "xla:" + cuda_plugin,
     f"service lab-gpu sets GOMLX_BACKEND=xla:{cuda_plugin}")
need(named_volume_on(gpu, fit_cache) and named_volume_on(gpu, fit_cache) != named_volume_on(lab, fit_cache),
     "service lab-gpu keeps its fit cache on a named volume of its own")
devices = gpu.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
need(any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", [])
         and (d.get("count") == "all" or isinstance(d.get("count"), int)) for d in devices),
     "service lab-gpu reserves Nvidia GPU devices (count: all or a number)")
need(all(str(p).startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", [])),
     "every published port is on the host's loopback")

# Non-root: the image's user is UID 1000 (the Jupyter images' and Binder's), and the lab runs as a user too.
need(re.search(r"^ARG NB_UID=1000$", dockerfile, re.M) and re.search(r"^USER \$NB_UID$", dockerfile, re.M),
     "the Dockerfile runs as ARG NB_UID=1000 (USER $NB_UID)")
need(str(lab.get("user", "")).split(":")[0] not in ("", "0", "root"), "service lab runs as a non-root user")

# The class hub: profile class only, on loopback, spawning containers of the lab's image on its own network,
# with the shared fit cache seeded from that image.
cs = class_cfg.get("services", {})
hub, seed = cs.get("hub", {}), cs.get("fits-seed", {})
henv = hub.get("environment", {})
need(hub.get("profiles") == ["class"], "service hub is only in profile class")
need(any(str(p).startswith("127.0.0.1:8000:8000") for p in hub.get("ports", [])), "service hub publishes 127.0.0.1:8000:8000")
need(any(str(v).startswith("/var/run/docker.sock:") for v in hub.get("volumes", [])), "service hub mounts the Docker socket")
need(henv.get("HUB_IMAGE") == lab.get("image") == seed.get("image"), "the hub spawns, and fits-seed seeds from, the lab's image")
net = (class_cfg.get("networks") or {}).get("class", {}).get("name")
need(net and henv.get("HUB_NETWORK") == net and "class" in (hub.get("networks") or {}),
     "the hub is on the network it spawns students on (HUB_NETWORK)")
cvol = (class_cfg.get("volumes") or {})
seeded = [v for v in seed.get("volumes", []) if str(v).split(":")[1:2] == [fit_cache]]
need(seeded and str(seeded[0]).endswith(":ro") and cvol.get(str(seeded[0]).split(":")[0], {}).get("name") == henv.get("HUB_FITS_VOLUME"),
     "fits-seed mounts the class fit cache volume (HUB_FITS_VOLUME) read-only at the image's fit cache path")
need((hub.get("depends_on") or {}).get("fits-seed", {}).get("condition") == "service_completed_successfully",
     "the hub starts after fits-seed has seeded the class fit cache")

if problems:
    sys.exit("check-compose: the file does not do what the project needs:\n  - " + "\n  - ".join(problems))
print(f"check-compose: intent ok (lab on 127.0.0.1:8888 with ./notebooks and the fit cache {fit_cache} on a volume;"
      " lab-gpu in profile gpu, LECTURE_CUDA=1, the CUDA plugin, an NVIDIA GPU; the Dockerfile's plugin from setup.sh;"
      " the image's user UID 1000; the hub in profile class on loopback, spawning the lab's image, the class fit cache seeded)")
EOF

# 3. The checker must reject a broken copy, for the reason planted in it.
sed 's/^services:$/services:\n  broken:\n    image: x\n    no_such_key: 1/' "$file" >"$tmp/broken.yml"
if docker-compose -f "$tmp/broken.yml" config -q 2>"$tmp/broken.err"; then
  echo "check-compose: docker-compose accepted a file with an unknown key: the check is not working" >&2
  exit 1
fi
if ! grep -q "no_such_key" "$tmp/broken.err"; then
  echo "check-compose: a broken copy was rejected, but not for its unknown key:" >&2
  cat "$tmp/broken.err" >&2
  exit 1
fi
echo "check-compose: a broken copy is rejected ($(grep -m1 "no_such_key" "$tmp/broken.err"))"
echo "check-compose: ok"
