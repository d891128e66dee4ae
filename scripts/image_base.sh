#!/usr/bin/env bash
# Makes a local base image for deploy/Dockerfile from Debian's own packages, for machines that cannot pull the
# pinned official python image: Debian bookworm (minbase) with Python 3.11, its venv module, CA certificates
# and `python` on the PATH. Reused when an image of that name exists already (delete it to rebuild).
#   usage: scripts/image_base.sh [NAME]        (default holdfast-base:bookworm-py311; needs root)
# The Debian mirror is the one this machine's apt uses (override with HOLDFAST_DEBIAN_MIRROR).
set -euo pipefail
NAME=${1:-holdfast-base:bookworm-py311}
DOCKER=${DOCKER:-docker}

if $DOCKER image inspect "$NAME" >/dev/null 2>&1; then
    echo "image-base: reusing $NAME"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "image-base: debootstrap needs root; run as root or pull the pinned base instead" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debootstrap
fi

# The first bookworm mirror in apt's own sources (deb822 files first, then the one-line format).
debian_mirror() {
    local uri
    uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u {print u; exit}' \
          /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
        uri=$(awk '$1 == "deb" && $0 ~ / bookworm / {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)
    fi
    echo "$uri"
}
MIRROR=${HOLDFAST_DEBIAN_MIRROR:-$(debian_mirror)}
if [ -z "$MIRROR" ]; then
    echo "image-base: no bookworm mirror found in /etc/apt; set HOLDFAST_DEBIAN_MIRROR" >&2
    exit 1
fi

root=$(mktemp -d /var/tmp/holdfast-base.XXXXXX)
log=$root.log
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root" "$log"
}
trap cleanup EXIT
fail() { tail -n 30 "$log" >&2; exit 1; }

# debootstrap checks the mirror's Release file against Debian's archive keyring (and every package against
# the checksums it signs); with --keyring a missing or bad signature stops the build.
KEYRING=${HOLDFAST_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
echo "image-base: debootstrap bookworm from $MIRROR (signatures checked against $KEYRING)"
debootstrap --variant=minbase --keyring="$KEYRING" --include=python3.11,ca-certificates \
    bookworm "$root" "$MIRROR" >"$log" 2>&1 || fail
grep -q "Valid Release signature" "$log" || { echo "image-base: the Release signature was not verified" >&2; fail; }

# python3.11-venv does not configure inside debootstrap's own run; apt in the finished chroot installs it.
mount -t proc proc "$root/proc"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends python3.11-venv >>"$log" 2>&1 || fail
chroot "$root" apt-get -o DPkg::Lock::Timeout=600 clean
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/*
# `python` and `python3` on the PATH, as in the official image.
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python"
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python3"
chroot "$root" python -c "import venv, ssl" || { echo "image-base: python in the base is incomplete" >&2; exit 1; }

tar --numeric-owner -C "$root" -c . | $DOCKER import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python"]' \
    --message "holdfast local base: debootstrap bookworm minbase + python3.11, python3.11-venv, ca-certificates" \
    - "$NAME" >/dev/null
echo "image-base: made $NAME, $($DOCKER image inspect -f '{{.Id}} ({{.Size}} bytes)' "$NAME")"
