#!/usr/bin/env bash
# `make image`: builds deploy/Dockerfile into IMAGE (default holdfast:dev) with BuildKit.
#   Base: the pinned official image named by the Dockerfile's PYTHON_IMAGE when it is present or can be pulled;
#   otherwise (no registry reachable) a local base made from Debian's packages by scripts/image_base.sh,
#   made once and reused. HOLDFAST_IMAGE_BASE=pinned|local forces one of the two.
#   pip inside the build uses this machine's pip settings, handed over as BuildKit secrets
#   (scripts/image_pip_config.py); nothing of them lands in the Dockerfile, the repository or a layer.
# Prints the image's size at the end. DOCKER names the docker client (default: docker).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-holdfast:dev}
LOCAL_BASE=${HOLDFAST_LOCAL_BASE:-holdfast-base:bookworm-py311}
PYTHON=${PYTHON:-python3}
DOCKER=${DOCKER:-docker}

if ! $DOCKER version -f '{{.Server.Version}}' >/dev/null 2>&1; then
    echo "image: no Docker engine answers; start one (as root: dockerd --iptables=false --bridge=none) or run" \
         "make test-image, which starts one for its run" >&2
    exit 1
fi
pinned=$(sed -n 's/^ARG PYTHON_IMAGE=//p' deploy/Dockerfile)
choice=${HOLDFAST_IMAGE_BASE:-auto}
base=""
if [ "$choice" != local ]; then
    if $DOCKER image inspect "$pinned" >/dev/null 2>&1 || $DOCKER pull -q "$pinned" >/dev/null 2>&1; then
        base=$pinned
    elif [ "$choice" = pinned ]; then
        echo "image: cannot pull $pinned" >&2
        exit 1
    fi
fi
if [ -z "$base" ]; then
    echo "image: $pinned cannot be pulled here; building on the local Debian base $LOCAL_BASE"
    DOCKER=$DOCKER bash scripts/image_base.sh "$LOCAL_BASE"
    base=$LOCAL_BASE
fi

# A BuildKit build (for the secret mounts): `docker buildx build` where the buildx plugin is installed, else
# the client's own BuildKit support (docker clients before 23 have it built in; Debian's docker.io is one).
build=()
if $DOCKER buildx version >/dev/null 2>&1; then
    build=($DOCKER buildx build --load)
else
    for client in "$DOCKER" /usr/bin/docker; do
        major=$($client version -f '{{.Client.Version}}' 2>/dev/null | cut -d. -f1 || true)
        if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -lt 23 ]; then
            build=(env DOCKER_BUILDKIT=1 "$client" build)
            break
        fi
    done
fi
if [ ${#build[@]} -eq 0 ]; then
    echo "image: BuildKit is needed: install the docker buildx plugin" >&2
    exit 1
fi

secrets=$(mktemp -d)
trap 'rm -rf "$secrets"' EXIT
"$PYTHON" scripts/image_pip_config.py "$secrets"
secret_args=(--secret "id=pip-conf,src=$secrets/pip.conf")
if [ -f "$secrets/pip-cert" ]; then
    secret_args+=(--secret "id=pip-cert,src=$secrets/pip-cert")
fi

# Host networking by default: the build's pip reaches the index the way this machine does (dockerd may run
# without a bridge network, as it does here). HOLDFAST_BUILD_NETWORK=default uses the builder's own network.
start=$(date +%s)
"${build[@]}" --network "${HOLDFAST_BUILD_NETWORK:-host}" --progress "${HOLDFAST_BUILD_PROGRESS:-auto}" "${secret_args[@]}" \
    --build-arg "PYTHON_IMAGE=$base" -f deploy/Dockerfile -t "$IMAGE" .
seconds=$(( $(date +%s) - start ))
size=$($DOCKER image inspect -f '{{.Size}}' "$IMAGE")
echo "image: $IMAGE built in ${seconds}s on $base; size $(( size / 1000000 )) MB ($size bytes)"
