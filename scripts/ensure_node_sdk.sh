#!/usr/bin/env bash
# Installs the official Unipile SDK pinned in tests/contract (package.json + package-lock.json) for the SDK
# contract test, only when it is missing. Uses npm (Node 20 is on the machine); never skipped: no npm, no test.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)/tests/contract"
if [ -f "$here/node_modules/unipile-node-sdk/package.json" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "ensure_node_sdk: npm is missing; install Node.js 20 (apt-get install nodejs npm)" >&2
    exit 1
fi
npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
test -f "$here/node_modules/unipile-node-sdk/package.json"
