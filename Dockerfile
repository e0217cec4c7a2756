# Two stages on python:3.11-slim. The runtime has the dependencies (/venv) and the bot (/app) in
# separate layers, so a change to the bot ships one small layer; neither holds pip, setuptools
# or bytecode (docker/build-venv.sh). Build with buildah or podman? Pass `--format docker`, or
# the OCI format drops the HEALTHCHECK.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY docker/build-venv.sh docker/build-venv.sh
# Dependencies alone first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN sh docker/build-venv.sh deps /venv /app /src
# README.md is the package's long description: copied after the dependencies, with the bot.
COPY README.md ./
COPY bot ./bot
RUN sh docker/build-venv.sh app /venv /app /src

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data /posts \
    && chown bot:bot /data
COPY --from=build /venv /venv
COPY --from=build /app /app
COPY docker/healthcheck.py /usr/local/lib/healthcheck.py
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    # Nothing under /venv or /app is writable by the bot's user: don't try to cache bytecode.
    PYTHONDONTWRITEBYTECODE=1 \
    POSTS_DIR=/posts \
    DATABASE_URL=sqlite:////data/bot.db \
    HTTP_PORT=8080 \
    HTTP_HOST=0.0.0.0 \
    # Inside a container the webhook must listen beyond loopback (publish its port to use it).
    TELEGRAM_WEBHOOK_HOST=0.0.0.0 \
    # glibc's per-thread malloc arenas fragment a long-running asyncio process; two are plenty.
    MALLOC_ARENA_MAX=2
USER 10001
WORKDIR /home/bot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/usr/local/lib/healthcheck.py"]
# `run` applies database migrations itself (on the leader) before anything else.
CMD ["python", "-m", "bot", "run"]
