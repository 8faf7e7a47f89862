#!/usr/bin/env bash
# scripts/with-extra-ca.sh — runs a command trusting extra certificate authorities, for the Docker image
# build on networks that re-sign TLS with their own CA (pip, the Go module proxy and npm then fail to verify
# certificates):
#
#   scripts/with-extra-ca.sh COMMAND [ARG...]
#
# The extra CAs come from the optional BuildKit build secret "extra_ca" (a PEM bundle), which a Dockerfile
# RUN step mounts with --mount=type=secret,id=extra_ca (at /run/secrets/extra_ca; $EXTRA_CA_FILE overrides),
# e.g. `docker build --secret id=extra_ca,src=/etc/ssl/certs/ca-certificates.crt .`. Without it the command
# runs unchanged. With it, the system bundle plus the extra one is written to a temporary file, which the
# usual variables (Go, pip, requests, curl, git, Node) point to while COMMAND runs, and which is deleted
# afterwards: the extra CAs never end up in an image layer.
set -euo pipefail

extra="${EXTRA_CA_FILE:-/run/secrets/extra_ca}"
if [[ ! -s "$extra" ]]; then
  exec "$@"
fi

bundle="$(mktemp /tmp/extra-ca.XXXXXX.pem)"
trap 'rm -f "$bundle"' EXIT
cat /etc/ssl/certs/ca-certificates.crt "$extra" >"$bundle" 2>/dev/null || cat "$extra" >"$bundle"
export SSL_CERT_FILE="$bundle" PIP_CERT="$bundle" REQUESTS_CA_BUNDLE="$bundle" CURL_CA_BUNDLE="$bundle" \
  GIT_SSL_CAINFO="$bundle" NODE_EXTRA_CA_CERTS="$bundle"
echo "with-extra-ca: trusting the extra CA bundle of the build secret for: $*" >&2
"$@"
