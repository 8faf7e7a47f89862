#!/usr/bin/env bash
# scripts/setup.sh — installs everything the project needs on a fresh machine, into the repository only
# (.venv/, .tools/, tests/browser/node_modules/), except Chromium, which comes from Debian's apt.
#
#   scripts/setup.sh            lab and handout path: Python venv, Go tools, GoNB kernelspec
#   scripts/setup.sh --browser  the same, plus Chromium and playwright-core for tests/browser
#   scripts/setup.sh --force    ignore the stamps and redo every step
#   LECTURE_CUDA=1 scripts/setup.sh   also NVIDIA's CUDA PJRT plugin (requirements-cuda.txt) for a GPU
#
# Runnable from any directory. Idempotent: each step records a stamp in .tools/stamps/ holding a hash of
# its inputs (requirements.txt, go.mod/go.sum, the toolchain versions, ...), and is skipped while that hash
# is unchanged and its outputs exist, so the second run takes about a second. One line per step says
# "done" or "skipped". Nothing here should ever be done by hand instead: CI runs this same script on a
# clean clone, and the Dockerfile runs it inside the image.
set -euo pipefail

# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

WANT_BROWSER=0
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    --force) FORCE=1 ;;
    -h | --help)
      sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup: unknown argument: $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

PYTHON="${PYTHON:-python3}" # The interpreter the venv is made from (pyenv's 3.11 here, Debian's in Docker).

mkdir -p "$STAMPS"
# Two setups at once (lab.sh and a test run, say) would trample each other's venv: take turns.
exec 9>"$TOOLS/setup.lock"
flock 9

# ---- helpers -------------------------------------------------------------------------------------------

# key_of ARG...: one hash of all arguments; an argument "@FILE" stands for the contents of FILE.
key_of() {
  local a
  for a in "$@"; do
    if [[ "$a" == @* ]]; then
      sha256sum <"${a#@}"
    else
      printf '%s\n' "$a"
    fi
  done | sha256sum | cut -d' ' -f1
}

# fresh NAME KEY: true when step NAME last succeeded with inputs KEY (and --force was not given).
fresh() {
  [[ "$FORCE" == 0 && -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]
}

stamp() { printf '%s\n' "$2" >"$STAMPS/$1"; }

STEP_START=0
begin() { STEP_START=$EPOCHREALTIME; }
say() { printf 'setup: %-12s %s\n' "$1" "$2"; }
done_step() { say "$1" "done ($(awk -v a="$STEP_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s)"; }
skip_step() { say "$1" "skipped (${2:-up to date})"; }

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "setup: '$*' needs root and there is no sudo" >&2
    return 1
  fi
}

# ---- step: Python venv with Jupyter (from the pinned requirements.txt) ---------------------------------
step_venv() {
  local py_version key
  py_version="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
  key="$(key_of "$py_version" @"$REPO/requirements.txt")"
  if fresh venv "$key" && [[ -x "$VENV/bin/jupyter" ]]; then
    skip_step venv
    return
  fi
  begin
  # A venv made by another Python (pyenv upgrade, a copied tree) is broken: make it anew.
  if [[ -d "$VENV" ]] &&
    [[ "$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)" != "$py_version" ]]; then
    rm -rf "$VENV"
  fi
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REPO/requirements.txt"
  stamp venv "$key"
  done_step venv
}

# ---- step: Go tools (gonb, goimports, gopls), at the versions go.mod's `tool` block pins ---------------
# `go install github.com/janpfeifer/gonb@v0.11.5` fails here (the module proxy refuses gonb's version
# list), while `go install tool` builds the versions go.mod/go.sum pin: that is also the reproducible way.
step_go_tools() {
  if [[ -z "$GO_BIN" ]]; then
    echo "setup: no Go toolchain found (looked on PATH and in /usr/local/go/bin)" >&2
    exit 1
  fi
  local key
  # The patched GoNB (go.mod's replace) is built from third_party/gonb: its sources are part of the key.
  key="$(key_of "$(go version)" "$GOEXPERIMENT" @"$REPO/go.mod" @"$REPO/go.sum" \
    "$(cd "$REPO" && find third_party/gonb -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum)")"
  if fresh go-tools "$key" && [[ -x "$TOOLS/bin/gonb" && -x "$TOOLS/bin/goimports" && -x "$TOOLS/bin/gopls" ]]; then
    skip_step go-tools
    return
  fi
  begin
  (cd "$REPO" && GOBIN="$TOOLS/bin" go install tool)
  stamp go-tools "$key"
  done_step go-tools
}

# ---- step: PJRT CPU plugin for GoMLX's XLA backend ----------------------------------------------------
# GoMLX's XLA backend downloads its PJRT plugin from GitHub at first use, which fails offline. The same
# kind of plugin (a shared library exporting the PJRT C API) ships inside a wheel on PyPI; we fetch that
# wheel with pip (pinned version and hash), take the one .so out of it and put it in .tools/pjrt/, where
# pkg/backend finds it and selects it by absolute path (GOMLX_BACKEND=xla:/abs/path.so never downloads).
# go-xla v0.4.4 loads it (PJRT C API v0.115 here; go-xla itself would have fetched v0.114).
# pkg/backend pins the .so's SHA-256 (pluginSHA256 in pkg/backend/plugincheck.go): change both together.
# The stamp also records the .so's size and mtime, so a damaged or replaced copy is reinstalled by a plain
# run of this script, which is what pkg/backend's errors tell the user to do.
# LECTURE_NO_XLA=1 skips this step: everything then runs on the pure-Go backend.
PJRT_WHEEL_REQ="lammps-jax-pjrt-cpu==0.11.2"
PJRT_WHEEL_SHA256="1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1"
PJRT_MEMBER="lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so"
# file_id FILE: its size and mtime, or "none".
file_id() { stat -c '%s %Y' "$1" 2>/dev/null || echo none; }
step_pjrt() {
  local dest="$TOOLS/pjrt" so key tmp
  so="$dest/$(basename "$PJRT_MEMBER")"
  if [[ "${LECTURE_NO_XLA:-0}" == 1 ]]; then
    rm -f "$so" "$so.verified"
    skip_step pjrt "LECTURE_NO_XLA=1: the pure-Go backend will run"
    return
  fi
  key="$(key_of "$PJRT_WHEEL_REQ" "$PJRT_WHEEL_SHA256" "$PJRT_MEMBER")"
  if fresh pjrt "$key $(file_id "$so")" && [[ -f "$so" ]]; then
    skip_step pjrt
    return
  fi
  begin
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064 # Expand now: tmp is local.
  trap "rm -rf '$tmp'" RETURN
  printf '%s --hash=sha256:%s\n' "$PJRT_WHEEL_REQ" "$PJRT_WHEEL_SHA256" >"$tmp/req.txt"
  if ! "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-input --no-deps \
    --only-binary=:all: --require-hashes -r "$tmp/req.txt" -d "$tmp"; then
    say pjrt "FAILED to download $PJRT_WHEEL_REQ from PyPI: the pure-Go backend will run (slower)"
    return
  fi
  mkdir -p "$dest"
  # Extract the one member to a temporary name, then rename: a half-written plugin is never picked up.
  "$VENV/bin/python" - "$tmp"/*.whl "$PJRT_MEMBER" "$so.partial" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  chmod 0755 "$so.partial"
  rm -f "$so.verified" # pkg/backend's record of the old file's hash check.
  mv -f "$so.partial" "$so"
  stamp pjrt "$key $(file_id "$so")"
  done_step pjrt
}

# ---- step: CUDA PJRT plugin (only with LECTURE_CUDA=1) --------------------------------------------------
# For a machine with an NVIDIA GPU (and the Docker image's gpu profile): NVIDIA's CUDA PJRT plugin and the
# libraries it loads, from the pinned, hashed PyPI wheels of requirements-cuda.txt, into .tools/cuda/ with
# the wheels' own layout, so that the plugin's RPATH finds the libraries. Select it with
#   GOMLX_BACKEND=xla:$REPO/.tools/cuda/jax_plugins/xla_cuda13/xla_cuda_plugin.so
# and prove it with scripts/gpu-check.sh. About 2.5 GB; nothing of it is needed without a GPU.
CUDA_PLUGIN_MEMBER="jax_plugins/xla_cuda13/xla_cuda_plugin.so"
step_pjrt_cuda() {
  if [[ "${LECTURE_CUDA:-0}" != 1 ]]; then
    return
  fi
  local dest="$TOOLS/cuda" key
  key="$(key_of @"$REPO/requirements-cuda.txt" "$(file_id "$dest/$CUDA_PLUGIN_MEMBER")")"
  if fresh pjrt-cuda "$key" && [[ -f "$dest/$CUDA_PLUGIN_MEMBER" ]]; then
    skip_step pjrt-cuda
    return
  fi
  begin
  rm -rf "$dest.partial"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps --no-compile \
    --only-binary=:all: --require-hashes --target "$dest.partial" -r "$REPO/requirements-cuda.txt"
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
  stamp pjrt-cuda "$(key_of @"$REPO/requirements-cuda.txt" "$(file_id "$dest/$CUDA_PLUGIN_MEMBER")")"
  done_step pjrt-cuda
}

# ---- step: GoNB kernelspec, installed into the venv (not ~/.local/share/jupyter) -----------------------
# `gonb --install` writes kernel.json under $JUPYTER_DATA_DIR; pointing that at the venv keeps the user's
# own Jupyter untouched and lets the venv's jupyter find it (env.sh puts it first on JUPYTER_PATH).
# --go_work=$REPO is baked into the kernel's argv: every notebook the kernel runs starts with a go.work
# that `use`s this repository, plus the matching `replace` rule (GoNB's %goworkfix), so notebooks import
# github.com/golecture/regularization/pkg/... from the working tree, with no path in the notebook, and a
# saved edit in pkg/ is compiled into the next cell run (GoNB rebuilds the whole program for each cell).
# The env block is then added: GOEXPERIMENT=simd for every cell's build, and a PATH (ahead of the server's
# own ${PATH}, which Jupyter substitutes) with scripts/kernel (a `go` shim that skips GoNB's automatic bare
# `go get`, which would ask the proxy for the latest versions instead of go.mod's: see that file), then
# .tools/bin (goimports and gopls, which GoNB runs) and the Go toolchain.
step_kernelspec() {
  local kernel_dir="$VENV/share/jupyter/kernels/gonb"
  local kernel_path="$REPO/scripts/kernel:$TOOLS/bin:$GO_BIN:\${PATH}"
  local key
  key="$(key_of "$REPO" "$kernel_path" "$GOEXPERIMENT" \
    "$(cat "$STAMPS/go-tools" "$STAMPS/venv")" @"${BASH_SOURCE[0]}")"
  if fresh kernelspec "$key" && [[ -f "$kernel_dir/kernel.json" ]]; then
    skip_step kernelspec
    return
  fi
  begin
  local log
  log="$(JUPYTER_DATA_DIR="$VENV/share/jupyter" "$TOOLS/bin/gonb" --install --go_work="$REPO" 2>&1)" || {
    printf '%s\n' "$log" >&2
    exit 1
  }
  # Linking is most of a warm cell's time (GoNB builds a program per cell), and Go's own linker does it in
  # 0.55-0.6 s where gcc's takes 0.75-0.85 s for a cell importing pkg/lecture. Go links cgo code internally
  # where the platform supports it: a probe shaped like go-xla's cgo (C calling dlopen, -ldl; no module
  # needed, so it also runs in the Docker build's setup layer) is linked and run that way, else gcc links.
  local goflags='"-ldflags=-w -linkmode=internal"' probe
  probe="$(mktemp -d)"
  printf 'module probe\n' >"$probe/go.mod"
  cat >"$probe/main.go" <<'GO'
package main

// #cgo LDFLAGS: -ldl
// #include <dlfcn.h>
// #include <stdlib.h>
// static int probe(void) { void *h = dlopen(NULL, RTLD_LAZY); void *p = malloc(16); free(p); return h != NULL; }
import "C"

func main() {
	if C.probe() != 1 {
		panic("dlopen failed")
	}
}
GO
  if ! (cd "$probe" && go build -ldflags='-w -linkmode=internal' -o probe . && ./probe) >"$probe/log" 2>&1; then
    goflags='-ldflags=-w'
    say kernelspec "Go's internal linker cannot link cgo code here (see below): cells are linked by gcc, ~0.2 s slower"
    tail -n 3 "$probe/log" >&2
  fi
  rm -rf "$probe"
  KERNEL_JSON="$kernel_dir/kernel.json" KERNEL_PATH="$kernel_path" KERNEL_GOFLAGS="$goflags" \
    "$VENV/bin/python" - <<'EOF'
import json, os
path = os.environ["KERNEL_JSON"]
with open(path) as f:
    spec = json.load(f)
# GOFLAGS: -ldflags=-w, cell programs are never debugged, and linking them without DWARF halves the time of a
# cell run (measured 2.9 s -> 1.5 s for a cell importing GoMLX); -linkmode=internal, see above.
# GOMLX_BACKEND is deliberately absent: the kernel inherits it from the Jupyter server's environment (so
# `GOMLX_BACKEND=go scripts/lab.sh` affects that lab only), and pkg/backend picks one by itself otherwise.
# GOGC=400: the go command, the linker and the cell's program (which reads every declared fit again) are
# short-lived and allocate far more than they keep; collecting less often took a cell's build from 1.7-2.0 s
# to 1.4-1.5 s and its loading of notebook 1's fits from about 0.3 s to 0.15-0.19 s, for 7% more peak memory.
# GOMEMLIMIT bounds what that may cost: near 768 MiB the collector runs as often as it must. The gopls shim
# takes both back out (gopls lives as long as the kernel).
env = {"GOEXPERIMENT": os.environ["GOEXPERIMENT"], "GOFLAGS": os.environ["KERNEL_GOFLAGS"],
       "GOGC": "400", "GOMEMLIMIT": "768MiB", "PATH": os.environ["KERNEL_PATH"]}
spec["env"] = env
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
    f.write("\n")
EOF
  # Check that the venv's Jupyter resolves "gonb" to this kernelspec, not to some other one.
  "$VENV/bin/jupyter" kernelspec list --json | KERNEL_DIR="$kernel_dir" "$VENV/bin/python" -c '
import json, os, sys
specs = json.load(sys.stdin)["kernelspecs"]
got = specs.get("gonb", {}).get("resource_dir")
if got is None or os.path.realpath(got) != os.path.realpath(os.environ["KERNEL_DIR"]):
    sys.exit(f"setup: jupyter kernelspec list resolves gonb to {got!r}, expected {os.environ['"'"'KERNEL_DIR'"'"']!r}")
'
  stamp kernelspec "$key"
  done_step kernelspec
}

# write_fixed STEP FILE CONTENT: a step that keeps FILE holding exactly CONTENT.
write_fixed() {
  local step="$1" file="$2" want="$3"
  if [[ -f "$file" && "$(cat "$file")" == "$want" ]]; then
    skip_step "$step"
    return
  fi
  begin
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$want" >"$file"
  done_step "$step"
}

# ---- step: JupyterLab defaults for this venv -----------------------------------------------------------
# overrides.json sets defaults (a user's own settings still win): never fetch the Jupyter news feed nor
# check for updates, so the lab makes no call outside this machine and shows no toast asking about it.
step_lab_settings() {
  write_fixed lab-settings "$VENV/share/jupyter/lab/settings/overrides.json" \
    '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}'
}

# ---- step: Jupyter server defaults for this venv -------------------------------------------------------
# In the venv's own config path, so that every server started from the venv has them, whatever starts it:
# scripts/lab.sh, the class hub's spawner (jupyterhub-singleuser), Binder (jupyter notebook), Kubernetes.
# New notebooks get the GoNB kernel; the lab neither fetches news nor checks for updates. (The server reads
# only the extension switches from jupyter_server_config.d/, so this is the main file, which no package writes.)
step_server_config() {
  write_fixed server-config "$VENV/etc/jupyter/jupyter_server_config.json" \
    '{"MappingKernelManager": {"default_kernel_name": "gonb"}, "LabApp": {"news_url": null, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}'
}

# ---- step: the lab's own exports (File > Save and Export Notebook As) ---------------------------------
# scripts/labexport/golecture_labexport.py goes on the venv's path (a .pth file) and is registered with nbconvert
# as an installed distribution would be (a dist-info with its entry point), so that every server started from
# the venv uses it: the sanitized HTML export keeps headings, paragraphs and tables as HTML (nbconvert's own
# sanitizer escapes them into text), and "PDF_handout" prints the handout with Chromium (the menu labels a
# format by its name, and nbconvert matches "PDF" to its own "pdf"). nbconvert's LaTeX "pdf", its "webpdf"
# (playwright) and the Qt exporters, none of which can run here, are disabled in the server's config, so the
# menu lists only formats that work. custom.css makes figures take the width they get (Presentation Mode).
# The files are rewritten whenever they differ from what this step would write.
step_lab_exports() {
  local site dist conf_server
  site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  dist="$site/golecture_labexport-0.dist-info"
  # A Python config file beside server-config's JSON one (the server reads both; it reads only extension
  # switches from jupyter_server_config.d/).
  conf_server="$VENV/etc/jupyter/jupyter_server_config.py"
  local -A want=(
    ["$site/golecture_labexport.pth"]="$REPO/scripts/labexport"
    ["$dist/METADATA"]=$'Metadata-Version: 2.1\nName: golecture-labexport\nVersion: 0\nSummary: the lecture\'s lab exports (scripts/labexport), registered by scripts/setup.sh'
    ["$dist/entry_points.txt"]=$'[nbconvert.exporters]\nPDF_handout = golecture_labexport:ChromiumPDFExporter'
    ["$dist/INSTALLER"]="scripts/setup.sh"
    ["$conf_server"]="# Written by scripts/setup.sh (step lab-exports).
c.HTMLExporter.filters = {\"clean_html\": \"golecture_labexport.clean_html\"}
for exporter in (\"PDFExporter\", \"WebPDFExporter\", \"QtPDFExporter\", \"QtPNGExporter\"):
    c[exporter].enabled = False
# The lab's and Notebook 7's pages load custom/custom.css (figures scale to the width they get).
c.LabApp.custom_css = True
c.JupyterNotebookApp.custom_css = True"
  )
  # The server serves /custom/ from ~/.jupyter/custom (a user's own, first) and then from its package's
  # static/custom, which is not configurable: the copy goes there, in the venv. (A Docker layer that copies
  # setup.sh alone has no scripts/labexport yet; the run after the full copy writes it.)
  local css="$REPO/scripts/labexport/custom/custom.css"
  if [[ -f "$css" ]]; then
    want["$site/jupyter_server/static/custom/custom.css"]="$(cat "$css")"
  fi
  local file stale=0
  for file in "${!want[@]}"; do
    [[ -f "$file" && "$(cat "$file")" == "${want[$file]}" ]] || stale=1
  done
  if [[ "$stale" == 0 ]]; then
    skip_step lab-exports
    return
  fi
  begin
  for file in "${!want[@]}"; do
    mkdir -p "$(dirname "$file")"
    printf '%s\n' "${want[$file]}" >"$file"
  done
  done_step lab-exports
}

# ---- step: reveal.js for the slide handouts ------------------------------------------------------------
# scripts/handouts.py inlines reveal.js into each <notebook>.slides.html, so the slides open from disk with no
# network. The version is pinned by scripts/reveal/package-lock.json (with its integrity hash) and installed by
# npm ci into .tools/reveal. Without npm the step says so and the handouts are made without slides.
step_reveal() {
  local dir="$TOOLS/reveal" key
  if ! command -v npm >/dev/null 2>&1; then
    skip_step reveal "no npm: the slide handouts (<notebook>.slides.html) will not be made"
    return
  fi
  if [[ ! -f "$REPO/scripts/reveal/package-lock.json" ]]; then
    skip_step reveal "no scripts/reveal/ in this copy (a Docker layer that copies setup.sh alone)"
    return
  fi
  key="$(key_of "$(node --version)" @"$REPO/scripts/reveal/package-lock.json")"
  if fresh reveal "$key" && [[ -f "$dir/node_modules/reveal.js/dist/reveal.js" ]]; then
    skip_step reveal
    return
  fi
  begin
  mkdir -p "$dir"
  cp "$REPO/scripts/reveal/package.json" "$REPO/scripts/reveal/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  stamp reveal "$key"
  done_step reveal
}

# ---- browser test bits: Chromium (Debian) and playwright-core (npm) ------------------------------------
# Only tests/browser needs these, so the lab and handout path never pulls Chromium in.
# ---- step: strip notebook outputs on commit ------------------------------------------------------------
# Teaching from the lab autosaves outputs into the notebooks; nbstripout (pinned in requirements.txt),
# installed as this clone's git filter, keeps them out of commits and out of `git status`.
step_git_filter() {
  if ! git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    skip_step git-filter "not a git clone"
    return
  fi
  # Cell ids stay as committed; the kernel's language_info (which carries the Go version of the GoNB binary) is
  # dropped, so a notebook saved by the lab on another toolchain is unchanged in git.
  local want="\"$VENV/bin/python\" -m nbstripout --keep-id --extra-keys metadata.language_info"
  if [[ "$(git -C "$REPO" config --get filter.nbstripout.clean || true)" == "$want" ]] &&
    grep -qs nbstripout "$(git -C "$REPO" rev-parse --git-path info/attributes)"; then
    skip_step git-filter
    return
  fi
  begin
  (cd "$REPO" && "$VENV/bin/nbstripout" --install --python "$VENV/bin/python")
  git -C "$REPO" config filter.nbstripout.clean "$want"
  done_step git-filter
}

step_browser() {
  if [[ -x /usr/bin/chromium ]]; then
    skip_step chromium "already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  else
    begin
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    done_step chromium
  fi

  local dir="$REPO/tests/browser" key
  key="$(key_of "$(node --version)" @"$dir/package-lock.json")"
  if fresh npm "$key" && [[ -d "$dir/node_modules/playwright-core" ]]; then
    skip_step npm
    return
  fi
  begin
  # npm ci installs exactly the committed lock; playwright-core downloads no browser of its own.
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  stamp npm "$key"
  done_step npm
}

# ---- main ----------------------------------------------------------------------------------------------
step_venv
step_go_tools
step_pjrt
step_pjrt_cuda
step_kernelspec
step_lab_settings
step_server_config
step_lab_exports
step_reveal
step_git_filter
if [[ "$WANT_BROWSER" == 1 ]]; then
  step_browser
fi
