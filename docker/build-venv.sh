#!/bin/sh
# Build the image's Python environment; the Dockerfile runs these steps and so does `make image-env`
# (part of `make test`), whose result tests/test_docker.py uses like the image does, so a broken step
# cannot hide behind a missing Docker engine.
#   build-venv.sh deps VENV APP SRC   create VENV with the dependencies listed in SRC/pyproject.toml,
#                                     and a .pth line that puts APP on its import path
#   build-venv.sh app  VENV APP SRC   install the bot itself from SRC into APP (no dependencies)
# VENV and APP become two layers of the image: a change to the bot ships only APP. Neither holds
# pip, setuptools or bytecode: the builder's own pip installs into them (`--python`), and Python
# compiles what it imports in memory (the image runs as a user that cannot write there anyway).
set -eu
step=$1 venv=$2 app=$3 src=$4
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
pip_into() {
    python3 -m pip --python "$venv/bin/python" install --quiet --no-compile --no-warn-script-location "$@"
}
case "$step" in
  deps)
    python3 -m venv --without-pip "$venv"
    requirements=$(mktemp)
    python3 - "$src/pyproject.toml" > "$requirements" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as handle:
    print("\n".join(tomllib.load(handle)["project"]["dependencies"]))
PY
    pip_into -r "$requirements"
    rm -f "$requirements"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    echo "$app" > "$site/incoming_transmission_app.pth"
    ;;
  app)
    pip_into --no-deps --target "$app" "$src"
    "$venv/bin/python" -P - "$app" <<'PY'  # -P: not from the current folder
import sys
import bot, bot.app, bot.cli
assert bot.__file__.startswith(sys.argv[1]), f"bot imported from {bot.__file__}, not {sys.argv[1]}"
PY
    ;;
  *)
    echo "usage: $0 deps|app VENV APP SRC" >&2
    exit 2
    ;;
esac
