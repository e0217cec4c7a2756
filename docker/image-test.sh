#!/usr/bin/env bash
# `make image-test`: build the image with buildah and run it with podman as Compose would.
#
# Needs root (buildah, podman and PostgreSQL's cluster set-up) and Debian's packages, which it
# installs when missing. Everything it keeps between runs lives outside the repository, in
# IMAGE_TEST_CACHE (default ~/.cache/incoming-transmission-image-test): the tarball of the
# python:3.11-slim stand-in (built once with debootstrap, since no image registry is reachable
# here) and a small virtual environment with podman-compose, which resolves docker-compose.yml.
# The checks themselves are in docker/image_test.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "image-test: needs root (buildah, podman, debootstrap); run it as root or with sudo" >&2
    exit 1
fi

cache=${IMAGE_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/incoming-transmission-image-test}
mkdir -p "$cache"
export IMAGE_TEST_CACHE=$cache

# Debian's packages: the container tools and PostgreSQL for the two-replica check.
missing=()
for tool in buildah podman debootstrap runc; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    echo "image-test: installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# podman-compose (from PyPI) reads docker-compose.yml and the .env beside it the way Compose does.
tools=$cache/tools
if ! "$tools/bin/podman-compose" --version >/dev/null 2>&1; then
    echo "image-test: installing podman-compose into $tools"
    rm -rf "$tools"
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet 'podman-compose>=1.1,<2'
fi

exec "$tools/bin/python" docker/image_test.py "$@"
