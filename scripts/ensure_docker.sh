#!/usr/bin/env bash
# Installs Debian's Docker engine (docker.io) for `make image` and `make test-image`, only when no dockerd is
# installed and no engine answers. Runs as root (or through sudo), non-interactively, waiting for the apt lock.
# The container test starts dockerd itself when none runs (tests/container/docker_host.py) and stops it after.
set -euo pipefail
if command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || docker version >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "ensure_docker: no Docker engine and this is not root; run: apt-get install -y docker.io" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker.io
command -v dockerd >/dev/null 2>&1 || test -x /usr/sbin/dockerd
