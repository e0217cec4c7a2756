# syntax=docker/dockerfile:1
# First working image; the deployment issue adds compose, PostgreSQL and health checks.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bot && mkdir -p /data /posts && chown bot /data
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    POSTS_DIR=/posts \
    DATABASE_URL=sqlite:////data/bot.db
USER bot
WORKDIR /home/bot
VOLUME ["/data"]
CMD ["python", "-m", "bot", "run"]
