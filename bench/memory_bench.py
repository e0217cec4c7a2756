"""Memory benchmark: peak RSS of `python -m bot run` with a big store, broadcasting one post.

The store holds 100,000 posts (small files, ~0.5 KB, indexed by the bot's own indexer once and
kept under bench/work/) and 10,000 destinations. Each run copies that store, starts `run` against
the fake Bot API (limits off, so the broadcast is quick), waits for its start-up scan, saves one
new post (the file watcher triggers a rescan of the 100,000 files and the broadcast), waits until
all 10,000 chats got it, then reads the process's `VmHWM` (peak resident set) before stopping it.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.engine_bench import (
    ROOT,
    TOKEN,
    add_destinations,
    bench_settings,
    bot_run,
    chat_mix,
    post_text,
    run_env,
    wait_ready,
    wait_until,
)
from bench.index_bench import BenchError, Context
from bench.report import Row
from bot.app import build_app
from bot.clock import SystemClock
from tests.fakes.telegram_server import FakeTelegram  # importable once bench.engine_bench ran

POSTS = 100_000
DESTINATIONS = 10_000
QUICK_POSTS, QUICK_DESTINATIONS = 10_000, 1_000
TARGET_MB = 150.0
RUNS = 2  # full size; --quick measures once
GENERATOR_VERSION = 1
SEED = 20261122
MARKER = ".bench-memory.json"
PER_FOLDER = 1000
INCOMING = "incoming"  # the new post goes here and is removed after each run
SAMPLE_EVERY_S = 0.05
IMPORTS = (
    "import bot.cli, bot.platforms.telegram.sender, watchfiles, aiosqlite, alembic.command; "
    "print(open('/proc/self/status').read())"
)
CATEGORIES = ("生成模型", "强化学习", "Python", "Machine Learning", "随笔")
WORDS = ("模型", "训练", "梯度", "采样", "分布", "the", "model", "gradient", "loss", "sample", "policy")


@dataclass(frozen=True, slots=True)
class Store:
    """A posts folder and a pristine database that indexes it, with the destinations added."""

    posts_dir: Path
    database: Path
    posts: int
    destinations: int


def _small_post(index: int) -> str:
    rng = random.Random(SEED * 1_000_003 + index)
    year, month, day = 2010 + index % 15, rng.randint(1, 12), rng.randint(1, 28)
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    title = f"Post {index}: {' '.join(rng.sample(WORDS, 3))}"
    date = datetime(year, month, day, 8, 0, tzinfo=UTC)
    return post_text(title, f"post-{index:06d}", date, words, rng.choice(CATEGORIES))


def ensure_store(work: Path, posts: int, destinations: int) -> Store:
    """Return the cached corpus and pristine store, (re)building them unless their markers match."""
    root = work.resolve() / f"mem-{posts // 1000}k"  # absolute: `run` works in another folder
    posts_dir, database, marker = root / "posts", root / "pristine.db", root / MARKER
    wanted = {"version": GENERATOR_VERSION, "seed": SEED, "posts": posts, "destinations": destinations}
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == wanted and database.is_file():
        return Store(posts_dir, database, posts, destinations)
    if root.exists():
        shutil.rmtree(root)
    (posts_dir / INCOMING).mkdir(parents=True)
    for index in range(posts):
        folder = posts_dir / f"d{index // PER_FOLDER:03d}"
        if index % PER_FOLDER == 0:
            folder.mkdir()
        (folder / f"post-{index:06d}.md").write_text(_small_post(index), encoding="utf-8")
    asyncio.run(_index(posts_dir, database, posts, destinations))
    with sqlite3.connect(database) as connection:  # fold the WAL in: the copy is one file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    marker.write_text(json.dumps(wanted), encoding="utf-8")  # last: an interrupted build is redone
    return Store(posts_dir, database, posts, destinations)


async def _index(posts_dir: Path, database: Path, posts: int, destinations: int) -> None:
    """Index the corpus with the bot itself (the first scan: nothing is announced) and subscribe."""
    app = build_app(bench_settings(posts_dir, database), SystemClock())
    try:
        await app.prepare()
        report = await app.scan()
        if report.indexed != posts or report.invalid:
            raise BenchError(
                f"memory store: indexed {report.indexed} of {posts}, invalid {report.invalid[:3]}"
            )
        await add_destinations(app, chat_mix(destinations, 0))
    finally:
        await app.close()


def _status_kb(pid: int, name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


@dataclass(slots=True)
class MemoryRun:
    """RSS samples (seconds since start, MiB) and the figures read at the marks."""

    peak_mb: float = 0.0
    ready_mb: float = 0.0
    before_save_mb: float = 0.0
    startup_s: float = 0.0
    broadcast_s: float = 0.0
    samples: list[tuple[float, float]] = field(default_factory=list)


async def _measure(store: Store, work: Path, **extra_env: str) -> MemoryRun:
    """Run `bot run` on a copy of the store (`extra_env` for experiments) and read its peak RSS."""
    database = work / "run.db"
    shutil.copyfile(store.database, database)
    incoming = store.posts_dir / INCOMING
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    result = MemoryRun()
    try:
        async with FakeTelegram(token=TOKEN, enforce_limits=False) as server:
            env = run_env(
                store.posts_dir,
                database,
                server,
                TELEGRAM_GLOBAL_PER_S="100000",
                TELEGRAM_CHAT_PER_S="1000",
                TELEGRAM_GROUP_PER_MIN="100000",
                MALLOC_ARENA_MAX="2",  # as the Docker image sets it
                **extra_env,
            )
            start = time.monotonic()
            async with bot_run(env, work) as run:
                pid = run.process.pid

                async def sample() -> None:
                    while True:
                        rss = _status_kb(pid, "VmRSS")
                        if rss is not None:
                            result.samples.append((time.monotonic() - start, rss / 1024))
                        await asyncio.sleep(SAMPLE_EVERY_S)

                sampler = asyncio.create_task(sample())
                try:
                    await wait_ready(run, 600)
                    result.startup_s = time.monotonic() - start
                    result.ready_mb = (_status_kb(pid, "VmRSS") or 0) / 1024
                    await asyncio.sleep(1.0)  # settle; the watcher is up before the first scan
                    result.before_save_mb = (_status_kb(pid, "VmRSS") or 0) / 1024
                    slug = f"memory-{uuid.uuid4().hex[:8]}"
                    text = post_text("Memory", slug, datetime.now(UTC), "A new post for everyone.")
                    saved = time.monotonic()
                    (incoming / f"{slug}.md").write_text(text, encoding="utf-8")

                    def done() -> bool:
                        if run.process.returncode is not None:
                            raise BenchError(f"`bot run` exited with {run.process.returncode}:\n{run.tail()}")
                        return len(server.messages) >= store.destinations

                    await wait_until(done, 600, f"{store.destinations} messages", poll=0.05)
                    result.broadcast_s = time.monotonic() - saved
                    await asyncio.sleep(1.0)  # the last outcomes are recorded
                    peak = _status_kb(pid, "VmHWM")
                    if peak is None:
                        raise BenchError("cannot read VmHWM of `bot run` (not Linux?)")
                    result.peak_mb = peak / 1024
                finally:
                    sampler.cancel()
            if run.process.returncode != 0:
                raise BenchError(f"`bot run` exited with {run.process.returncode} on SIGTERM:\n{run.tail()}")
        counts = Counter(len(messages) for messages in server.messages.values())
        if counts != {1: store.destinations}:
            raise BenchError(
                f"memory: messages per chat {dict(counts)}, want 1 each for {store.destinations}"
            )
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
        incoming.mkdir(exist_ok=True)
    return result


def imports_mb() -> float:
    """Peak RSS of a process that only imports what `run` imports."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORTS], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def memory(ctx: Context) -> list[Row]:
    """Peak RSS of `run` while it rescans the store and broadcasts one post to every destination.

    Peak RSS varies by ~±10 MB from run to run (allocator fragmentation depends on timing), so a
    full run measures RUNS times and reports the highest: the figure is a worst case.
    """
    posts, destinations = (QUICK_POSTS, QUICK_DESTINATIONS) if ctx.quick else (POSTS, DESTINATIONS)
    store = ensure_store(ctx.work, posts, destinations)
    runs = []
    for _ in range(1 if ctx.quick else RUNS):
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
            runs.append(asyncio.run(_measure(store, Path(tmp))))
    run = max(runs, key=lambda r: r.peak_mb)
    peaks = [r.peak_mb for r in runs]
    baseline = imports_mb()
    when = max(run.samples, key=lambda s: s[1])[0] if run.samples else 0.0
    return [
        Row(
            "peak_rss_mb",
            run.peak_mb,
            "MB",
            target=TARGET_MB,
            samples=peaks,
            note=f"VmHWM of `python -m bot run` in MiB, highest of {len(runs)} ("
            + ", ".join(f"{peak:.0f}" for peak in peaks)
            + f"): {posts:,} posts (files ~0.5 KB), {destinations:,} private chats, 1 post saved after "
            f"start-up; RSS {run.ready_mb:.0f} MB after the start-up scan ({run.startup_s:.1f} s), "
            f"{run.before_save_mb:.0f} MB before the save, highest sample at {when:.1f} s; broadcast "
            f"took {run.broadcast_s:.1f} s; imports alone {baseline:.0f} MB",
            extra={
                "posts": posts,
                "destinations": destinations,
                "ready_mb": round(run.ready_mb, 1),
                "before_save_mb": round(run.before_save_mb, 1),
                "imports_mb": round(baseline, 1),
                "startup_s": round(run.startup_s, 2),
                "broadcast_s": round(run.broadcast_s, 2),
            },
        ),
        Row(
            "imports_rss_mb",
            baseline,
            "MB",
            record=False,
            note="VmHWM of `python -c 'import bot.cli, bot.platforms.telegram.sender, watchfiles, "
            "aiosqlite, alembic.command'`",
        ),
    ]
