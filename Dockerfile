# Image of the lecture's JupyterLab: Go, Python, the project, the PJRT CPU plugin and a warm fit cache.
# Everything is installed by the same scripts/setup.sh as on a developer's machine and in CI, from the same
# pinned inputs (requirements.txt, go.mod/go.sum, the PJRT wheel pinned by hash in setup.sh's pjrt step), so
# the image holds nothing that the repository does not pin. Built and run by docker-compose.yml (service
# lab, or lab-gpu with --profile gpu); scripts/docker-test.sh builds it and drives the lab in a browser.
#
# Needs BuildKit (RUN --mount): the default of `docker compose` and of `docker build` since Docker 23; with
# Debian's docker.io 20.10 CLI set DOCKER_BUILDKIT=1. By hand:
#   docker build -t golecture-lab:cpu . && docker compose up lab
#
# Build arguments:
#   LECTURE_CUDA=1  also install NVIDIA's CUDA PJRT plugin and libraries (setup.sh, requirements-cuda.txt)
#                   into .tools/cuda/: the gpu profile's lab-gpu sets it.
#   LECTURE_WARM=0  do not execute the notebooks during the build (the fit cache then starts empty); lab-gpu
#                   sets it, since fits are cached per backend and the build has no GPU to warm them on.
# Build secret (optional):
#   extra_ca        a PEM bundle of extra certificate authorities, for networks that re-sign TLS:
#                   docker build --secret id=extra_ca,src=/path/to/ca.pem ...
#                   It is trusted only while a step downloads (scripts/with-extra-ca.sh) and is never
#                   stored in a layer.
#
# Go at exactly the version go.mod asks for (the golang images set GOTOOLCHAIN=local: no toolchain switch).
FROM golang:1.26.8-bookworm
LABEL org.golecture.image=lab

# Debian's Python 3.11 with venv (scripts/setup.sh makes .venv from it); tini reaps the processes GoNB
# starts for every cell (PID 1 in the container); Chromium prints the lab's PDF_handout export.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates tini chromium \
 && rm -rf /var/lib/apt/lists/*

# The user, as in the Jupyter Docker images and as Binder (repo2docker) asks: NB_USER with UID NB_UID (1000)
# in group users (GID 100). Everything below is built by that user, so nothing needs a chown (which would copy
# every file into a layer of its own). What the lab writes at run time (its home, Go's build cache, the fit
# cache) is group-writable, and made with umask 002, so that `docker compose up lab` can also run as the host's
# own UID in group 100 (LAB_UID in docker-compose.yml) and save notebooks that the host user owns.
ARG NB_USER=jovyan
ARG NB_UID=1000
ARG NB_GID=100
RUN useradd --create-home --uid "$NB_UID" --gid "$NB_GID" --shell /bin/bash "$NB_USER" \
 && mkdir -p /workspace /var/cache/golecture/fits \
 && chown "$NB_UID:$NB_GID" /workspace /var/cache/golecture/fits "/home/$NB_USER" \
 && chmod 2775 /workspace /var/cache/golecture/fits "/home/$NB_USER"
USER $NB_UID
WORKDIR /workspace

# Fits are cached here (pkg/fitcache reads $LECTURE_FIT_CACHE): the warm-up below fills it, and
# docker-compose.yml mounts a named volume on it, which Docker seeds with this content when it creates it
# (the class hub mounts it read-only: a student's new fits then go to ~/.cache/golecture/fits-private).
# PATH, GOEXPERIMENT and JUPYTER_PATH are scripts/env.sh's, so that `jupyter` and `jupyterhub-singleuser`
# work when started by another command line than scripts/lab.sh (the hub's spawner, Binder, Kubernetes).
# Go's build cache sits outside $HOME, which the class hub mounts a student's own volume on; so do the cell
# programs GoNB keeps (GONB_CELL_DIR, third_party/gonb/PATCH.md), which the warm-up below builds.
ENV HOME=/home/$NB_USER \
    USER=$NB_USER \
    LECTURE_FIT_CACHE=/var/cache/golecture/fits \
    GOMLX_NO_AUTO_INSTALL=1 \
    GOCACHE=/workspace/.cache/go-build \
    GONB_CELL_DIR=/workspace/.cache/gonb-cells \
    GOEXPERIMENT=simd \
    JUPYTER_PATH=/workspace/.venv/share/jupyter \
    PATH=/workspace/.tools/bin:/workspace/.venv/bin:/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Set-up first, from its inputs only, so that editing the project's sources does not redo it: .venv
# (Jupyter), .tools/bin (gonb, goimports, gopls), .tools/pjrt (the PJRT CPU plugin from its pinned PyPI
# wheel), with LECTURE_CUDA=1 .tools/cuda, the GoNB kernelspec (with /workspace as every notebook's go.work
# path); then the Go modules the project builds with. setup.sh only warns when the plugin download fails
# (a developer can still work on the pure-Go backend): an image without the plugin is an error.
ARG LECTURE_CUDA=0
COPY --chown=$NB_UID:$NB_GID requirements*.txt go.mod go.sum ./
COPY --chown=$NB_UID:$NB_GID third_party ./third_party
COPY --chown=$NB_UID:$NB_GID scripts/env.sh scripts/setup.sh scripts/with-extra-ca.sh ./scripts/
RUN --mount=type=secret,id=extra_ca,mode=0444 \
    umask 002 \
 && LECTURE_CUDA="$LECTURE_CUDA" scripts/with-extra-ca.sh scripts/setup.sh \
 && scripts/with-extra-ca.sh go mod download \
 && test -s .tools/pjrt/pjrt_c_api_cpu_plugin.so

# The project. Then a warm start for the class: the notebooks are executed once through the GoNB kernel
# (scripts/handouts.sh, which also leaves the HTML handouts in /workspace/handouts), which fills the fit
# cache, Go's build cache and GoNB's kept cell programs with their stamps (about 1.2 GB), so that the first
# Run All in a lab or a student's container only loads its fits and runs each cell's kept program without
# `go build`: about 7 CPU-seconds for notebook 1 instead of about 35 (docs/performance.md). A container run as UID 1000 (every way in but a
# LAB_UID of another value) finds them; another UID keeps its own in /tmp. What Jupyter and gopls
# left in $HOME is removed: they make those folders private (0700), which would lock out a lab run as another
# UID (LAB_UID), and they are made again when needed.
COPY --chown=$NB_UID:$NB_GID . .
ARG LECTURE_WARM=1
RUN --mount=type=secret,id=extra_ca,mode=0444 \
    umask 002 \
 && scripts/setup.sh \
 && if [ "$LECTURE_WARM" = 1 ]; then \
      scripts/with-extra-ca.sh scripts/handouts.sh /workspace/handouts; \
    else \
      scripts/with-extra-ca.sh bash -c 'source scripts/env.sh && go build ./...'; \
    fi \
 && if [ -d "$GONB_CELL_DIR" ]; then find "$GONB_CELL_DIR" -mindepth 1 -maxdepth 1 ! -name '*.bin' -exec rm -rf {} +; fi \
 && rm -rf /tmp/* "$HOME/.local/share/jupyter" "$HOME/.cache/gopls" "$HOME/.ipython"

ENV LAB_HOST=0.0.0.0 \
    LAB_PORT=8888
EXPOSE 8888
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["scripts/lab.sh"]
