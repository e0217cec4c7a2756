# syntax=docker/dockerfile:1
# Multi-stage: dependencies in a cached layer, the bot on top, a slim non-root runtime.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY docker/build-venv.sh docker/build-venv.sh
COPY pyproject.toml README.md ./
RUN sh docker/build-venv.sh deps /venv /src
COPY bot ./bot
RUN sh docker/build-venv.sh app /venv /src

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data /posts \
    && chown bot:bot /data
COPY --from=build /venv /venv
COPY docker/healthcheck.py /usr/local/lib/healthcheck.py
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    POSTS_DIR=/posts \
    DATABASE_URL=sqlite:////data/bot.db \
    HTTP_PORT=8080 \
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
