# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The image's Python environment, built by the Dockerfile's own script; tests/test_docker.py uses it.
IMAGE_ENV := $(CURDIR)/$(VENV)/image-env
# The test tiers (markers in pyproject.toml): `make test-fast` leaves these out.
FAST := not slow and not process and not postgres

.PHONY: run test test-fast lint deps deps-postgres image-env bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

test: $(STAMP) lint deps
	$(BIN)/python -m pytest

# Seconds instead of minutes: no `run` processes, no PostgreSQL, no slow tests, no lint.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "$(FAST)"

# What the tests need from outside Python's dev dependencies, installed here and not by the tests.
deps: deps-postgres image-env

# PostgreSQL's server binaries (the tests marked `postgres` start a throwaway cluster): Debian's
# package, installed when missing and we are root; otherwise say what to do.
deps-postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "deps-postgres: installing postgresql from Debian's packages"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "deps-postgres: PostgreSQL's server is not installed, and the tests marked postgres need it." >&2; \
		echo "  Install it as root (sudo apt-get install postgresql, or sudo make deps-postgres)," >&2; \
		echo "  or run the tests without it: make test-fast, or .venv/bin/python -m pytest -m 'not postgres'" >&2; \
		exit 1; \
	fi

# docker/build-venv.sh's two steps in a clean folder, as the Dockerfile runs them: the dependencies
# from PyPI again only when pyproject.toml or the script change, the bot whenever it changed.
image-env: $(IMAGE_ENV)/.deps
	@if [ -f $(IMAGE_ENV)/.app ] && [ -z "$$(find bot README.md -newer $(IMAGE_ENV)/.app \
		-not -path '*/__pycache__*' | head -n 1)" ]; then :; else \
		set -e; echo "image-env: installing the bot into $(IMAGE_ENV)/app"; \
		rm -rf $(IMAGE_ENV)/app $(IMAGE_ENV)/src $(IMAGE_ENV)/.app; \
		touch $(IMAGE_ENV)/.app-started; \
		mkdir -p $(IMAGE_ENV)/src; \
		cp pyproject.toml README.md $(IMAGE_ENV)/src/; \
		tar -cf - --exclude=__pycache__ bot | tar -xf - -C $(IMAGE_ENV)/src; \
		sh docker/build-venv.sh app $(IMAGE_ENV)/venv $(IMAGE_ENV)/app $(IMAGE_ENV)/src; \
		mv $(IMAGE_ENV)/.app-started $(IMAGE_ENV)/.app; \
	fi

$(IMAGE_ENV)/.deps: pyproject.toml docker/build-venv.sh
	rm -rf $(IMAGE_ENV)
	mkdir -p $(IMAGE_ENV)/src
	cp pyproject.toml $(IMAGE_ENV)/src/
	sh docker/build-venv.sh deps $(IMAGE_ENV)/venv $(IMAGE_ENV)/app $(IMAGE_ENV)/src
	touch $@

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Build the image with buildah and run it with podman as Compose would (root; installs what it needs).
.PHONY: image-test
image-test:
	bash docker/image-test.sh
