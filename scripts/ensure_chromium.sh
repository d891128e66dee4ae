#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/browser), only when /usr/bin/chromium is missing.
# Runs as root (or through sudo), non-interactively. Playwright's own browser download is never used.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "ensure_chromium: /usr/bin/chromium is missing and this is not root; run: apt-get -o DPkg::Lock::Timeout=600 install -y chromium" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Wait (up to 10 minutes) for another apt or dpkg run to let go of its lock instead of failing at once.
APT=(apt-get -o DPkg::Lock::Timeout=600)
$SUDO "${APT[@]}" update -qq
$SUDO "${APT[@]}" install -y -qq --no-install-recommends chromium
test -x /usr/bin/chromium
