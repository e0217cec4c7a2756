"""Paid broadcast benchmark: `python -m bot run` pays its way to 1,000 messages a second.

One post to N private chats (20,000; `--quick` 2,000), paid broadcasts on (TELEGRAM_PAID_*), the
bot as its own process, against the fake Bot API in this process with Telegram's limits enforced
(30/s free, 1/s per chat, 1,000/s with `allow_paid_broadcast`, 0.1 Star billed above the free
window). The ceiling is 1,000 messages a second; `paid_pct_of_ceiling` is the ceiling's
first-to-last span over ours. `paid_cpu_pct` is the bot process's CPU over the broadcast.
`paid_peak_rss_mb` is the bot's peak resident set in a second run with 100,000 destinations (`--quick`
10,000). Side by side, in the same run: PTB's own way, `AIORateLimiter` (which gives paid sends
their own 1,000/s limiter) with a plain loop sending every message with `allow_paid_broadcast`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench.engine_bench import (
    TOKEN,
    add_destinations,
    bench_settings,
    bot_run,
    chat_mix,
    post_text,
    run_env,
    sent_messages,
    wait_ready,
    wait_until,
)
from bench.index_bench import BenchError, Context
from bench.memory_bench import _status_kb
from bench.report import Row
from bot.app import build_app
from bot.clock import SystemClock
from tests.fakes.telegram_server import FakeTelegram  # importable once bench.engine_bench ran

CHATS, QUICK_CHATS = 20_000, 2_000
MEMORY_CHATS, QUICK_MEMORY_CHATS = 100_000, 10_000
PAID_PER_S = 1000
TARGET_PCT = 90.0
TARGET_MB = 150.0
BASELINE_CONCURRENCY = 64
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class PaidRun:
    """What the fake saw of one paid broadcast, and what the bot process used."""

    delivered: int
    span_s: float
    rate_limited: int
    billed: int
    flagged: int
    cpu_s: float
    peak_mb: float

    @property
    def pct(self) -> float:
        """Our first-to-last span against the fastest the paid limit allows."""
        best = (self.delivered - 1) / PAID_PER_S
        return 100.0 * best / self.span_s if self.span_s > 0 else 0.0


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


async def _prepare(work: Path, chats: int) -> tuple[Path, Path]:
    """A store with `chats` private chats subscribed and the first scan done; the posts folder."""
    root = work / f"paid-{chats // 1000}k-{uuid.uuid4().hex[:6]}"
    posts_dir, database = root / "posts", root / "paid.db"
    posts_dir.mkdir(parents=True)
    (posts_dir / "old.md").write_text(post_text("Old", "old", datetime(2026, 1, 1, tzinfo=UTC), "Old."))
    app = build_app(bench_settings(posts_dir, database), SystemClock())
    try:
        await app.prepare()
        await app.scan()
        await add_destinations(app, chat_mix(chats, 0))
    finally:
        await app.close()
    return posts_dir, database


async def _ours(work: Path, chats: int) -> PaidRun:
    posts_dir, database = await _prepare(work, chats)
    try:
        async with FakeTelegram(token=TOKEN, paid_per_s=PAID_PER_S) as server:
            env = run_env(
                posts_dir,
                database,
                server,
                TELEGRAM_PAID_BROADCAST="on",
                TELEGRAM_PAID_PER_S=str(PAID_PER_S),
                TELEGRAM_PAID_DAILY_STARS=str(chats),  # enough for all: the budget is not measured here
                MALLOC_ARENA_MAX="2",  # as the Docker image sets it
            )
            async with bot_run(env, database.parent) as run:
                pid = run.process.pid
                await wait_ready(run, 300)
                await asyncio.sleep(1.0)  # the watcher is up
                text = post_text("Paid news", "paid-news", datetime.now(UTC), "For everyone, at once.")
                (posts_dir / "paid-news.md").write_text(text, encoding="utf-8")
                await wait_until(lambda: bool(server.messages), 120, "the first message", poll=0.005)
                cpu_start = _cpu_s(pid)

                def done() -> bool:
                    if run.process.returncode is not None:
                        raise BenchError(f"`bot run` exited with {run.process.returncode}:\n{run.tail()}")
                    return len(server.messages) >= chats

                await wait_until(done, 600, f"{chats} messages", poll=0.01)
                cpu = _cpu_s(pid) - cpu_start
                await asyncio.sleep(0.5)
                peak = (_status_kb(pid, "VmHWM") or 0) / 1024
            times = sent_messages(server)
            repeats = sum(len(m) - 1 for m in server.messages.values())
            if repeats or len(server.messages) != chats:
                raise BenchError(f"paid: {len(server.messages)} chats reached, {repeats} repeats")
            flagged = sum(
                1
                for r in server.requests
                if r.status == 200 and str(r.params.get("allow_paid_broadcast")).lower() == "true"
            )
            return PaidRun(
                len(times),
                max(times) - min(times),
                server.rate_limited,
                server.paid_billed,
                flagged,
                cpu,
                peak,
            )
    finally:
        shutil.rmtree(database.parent, ignore_errors=True)


async def _ptb_loop(chats: int) -> PaidRun:
    """PTB's AIORateLimiter and a plain loop, every send paid: the library's own answer."""
    async with FakeTelegram(token=TOKEN, paid_per_s=PAID_PER_S) as server:
        limiter = AIORateLimiter(max_retries=3)
        request = HTTPXRequest(connection_pool_size=BASELINE_CONCURRENCY)  # PTB's default pool is 1
        async with ExtBot(TOKEN, base_url=server.base_url, rate_limiter=limiter, request=request) as bot:
            gate = asyncio.Semaphore(BASELINE_CONCURRENCY)
            lost = 0

            async def send(chat: int) -> None:
                nonlocal lost
                async with gate:
                    try:
                        await bot.send_message(chat, "Paid news", allow_paid_broadcast=True)
                    except RetryAfter:
                        lost += 1

            start = time.process_time()
            await asyncio.gather(*(send(1_000 + i) for i in range(chats)))
            cpu = time.process_time() - start  # this process also runs the fake: an upper bound
        times = sent_messages(server)
        return PaidRun(
            len(times), max(times) - min(times), server.rate_limited, server.paid_billed, len(times), cpu, 0
        )


def paid(ctx: Context) -> list[Row]:
    """Paid broadcast to 20,000 private chats at 1,000/s, then peak RSS with 100,000 destinations."""
    chats = QUICK_CHATS if ctx.quick else CHATS
    memory_chats = QUICK_MEMORY_CHATS if ctx.quick else MEMORY_CHATS
    ours = asyncio.run(_ours(ctx.work, chats))
    baseline = asyncio.run(_ptb_loop(chats))
    big = asyncio.run(_ours(ctx.work, memory_chats))
    cpu_pct = 100.0 * ours.cpu_s / ours.span_s if ours.span_s else 0.0
    side = (
        f"PTB AIORateLimiter + plain loop {baseline.span_s:.1f} s, {baseline.rate_limited} × 429, "
        f"{baseline.delivered:,} delivered, {baseline.billed:,} billed"
    )
    return [
        Row(
            "paid_pct_of_ceiling",
            ours.pct,
            "%",
            target=TARGET_PCT,
            baseline=baseline.pct,
            higher_is_better=True,
            note=f"{chats:,} private chats at 1,000/s: {ours.span_s:.1f} s, {ours.rate_limited} × 429, "
            f"{ours.billed:,} billed; baseline {side}",
            extra={
                "span_s": round(ours.span_s, 2),
                "rate_limited": ours.rate_limited,
                "billed": ours.billed,
                "flagged": ours.flagged,
                "baseline_span_s": round(baseline.span_s, 2),
                "baseline_rate_limited": baseline.rate_limited,
                "baseline_delivered": baseline.delivered,
            },
        ),
        Row(
            "paid_cpu_pct",
            cpu_pct,
            "%",
            note="bot process CPU over that broadcast",
            extra={"cpu_s": ours.cpu_s},
        ),
        Row(
            "paid_peak_rss_mb",
            big.peak_mb,
            "MiB",
            target=TARGET_MB,
            note=f"`bot run`, paid broadcast to {memory_chats:,} destinations ({big.pct:.0f} % of 1,000/s)",
            extra={
                "span_s": round(big.span_s, 1),
                "rate_limited": big.rate_limited,
                "pct": round(big.pct, 1),
            },
        ),
    ]
