#!/bin/sh
# Build the image's virtual environment; the Dockerfile runs these steps and so does a test
# (tests/test_docker.py), so a broken step cannot hide behind the missing Docker engine.
#   build-venv.sh deps VENV SRC   create VENV and install the dependencies listed in SRC/pyproject.toml
#   build-venv.sh app  VENV SRC   install the bot itself from SRC into VENV (no dependencies)
set -eu
step=$1 venv=$2 src=$3
case "$step" in
  deps)
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    # Dependencies alone first: this layer is cached until pyproject.toml changes.
    "$venv/bin/python" - "$src/pyproject.toml" > "$venv/requirements.txt" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as handle:
    print("\n".join(tomllib.load(handle)["project"]["dependencies"]))
PY
    "$venv/bin/python" -m pip install --quiet -r "$venv/requirements.txt"
    ;;
  app)
    "$venv/bin/python" -m pip install --quiet --no-deps "$src"
    "$venv/bin/python" -c "import bot.app, bot.cli"
    ;;
  *)
    echo "usage: $0 deps|app VENV SRC" >&2
    exit 2
    ;;
esac
