# Image of the lecture's JupyterLab: Go, Python, the project, and a PJRT plugin for GoMLX's XLA backend.
# The project is installed by the same scripts/setup.sh as on a developer's machine and in CI, so the image
# holds nothing that the repository does not pin. Built and run by docker-compose.yml (service lab, or
# lab-gpu with --profile gpu); by hand:
#   docker build -t golecture-lab . && docker run --rm -p 127.0.0.1:8888:8888 golecture-lab
#
# Go at exactly the version go.mod asks for (the golang images set GOTOOLCHAIN=local: no toolchain switch).
FROM golang:1.26.8-bookworm

# Debian's Python 3.11 with venv (scripts/setup.sh makes .venv from it); tini reaps the processes GoNB
# starts for every cell (PID 1 in the container).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /workspace

# PJRT plugins, with go-xla's own installer (github.com/gomlx/go-xla/cmd/pjrt_installer), into the system
# directory go-xla searches. This needs the internet, which an image build has; nothing is downloaded at
# run time (GOMLX_NO_AUTO_INSTALL below). The CPU plugin is the release that the go-xla version pinned in
# go.mod was made for (its DefaultCPUVersion), read from that module's source as go-xla's own CI does.
#   PJRT_PLUGINS            "cpu", or "cpu cuda13" for the gpu profile (names: pjrt_installer -help)
#   PJRT_INSTALLER_VERSION  version of the installer command (a module of its own)
#   PJRT_CUDA_VERSION       Jax release whose CUDA plugin and Nvidia libraries are installed
ARG PJRT_PLUGINS=cpu
ARG PJRT_INSTALLER_VERSION=latest
ARG PJRT_CUDA_VERSION=latest
COPY go.mod go.sum ./
COPY third_party ./third_party
RUN set -eux; \
    go mod download github.com/gomlx/go-xla; \
    cpu_version="$(sed -n 's/.*var DefaultCPUVersion = "\(.*\)".*/\1/p' \
      "$(go list -m -f '{{.Dir}}' github.com/gomlx/go-xla)/internal/utils/utils.go")"; \
    test -n "$cpu_version"; \
    GOBIN=/usr/local/bin go install "github.com/gomlx/go-xla/cmd/pjrt_installer@${PJRT_INSTALLER_VERSION}"; \
    for plugin in $PJRT_PLUGINS; do \
      case "$plugin" in \
        cpu) version="$cpu_version" ;; \
        *) version="$PJRT_CUDA_VERSION" ;; \
      esac; \
      pjrt_installer -plugin "$plugin" -version "$version" -path /usr/local/lib/go-xla -verbosity 1; \
    done; \
    ls -lR /usr/local/lib/go-xla | head -50

# The project, then everything it needs: .venv (Jupyter), .tools/bin (gonb, goimports, gopls), the GoNB
# kernelspec (with /workspace baked in as the go.work path of every notebook).
COPY . .
# The image has go-xla's own plugins (above), so setup skips the PyPI plugin (LECTURE_NO_XLA=1) and the
# backend is named explicitly.
RUN LECTURE_NO_XLA=1 scripts/setup.sh

# GoMLX must use the preinstalled plugin and never try to fetch one when a notebook starts.
ENV GOMLX_NO_AUTO_INSTALL=1 \
    GOMLX_BACKEND=xla:cpu \
    LAB_HOST=0.0.0.0 \
    LAB_PORT=8888
EXPOSE 8888
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["scripts/lab.sh"]
