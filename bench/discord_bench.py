"""Discord at its ceiling: one post to 2,000 channels through the real path, over HTTP.

- ours: a post file → tick → outbox → dispatcher (the `Pacer` at the configured Discord limits) →
  `DiscordSender` → discord.py's `HTTPClient` (its own per-bucket limits, learned from the
  `X-RateLimit-*` headers) → the fake Discord API, which enforces 50 requests/s overall and 5 messages
  per 5 s per channel and answers 429 (with `Via`, so discord.py sleeps and retries) past them.
- baseline, in the same run against a fresh fake: discord.py alone, the same JSON body sent to every
  channel with `asyncio.gather` and no pacing of ours (discord.py has no proactive global limiter).

The fake runs in its own process (`python -m bench.fake_discord_process`), so the bot's event loop and
CPU are the bot's alone; it stamps requests with `time.monotonic`, one clock for both processes.
Optional network delay (`--latency`) checks that the engine keeps up with real round trips.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.engine_bench import (  # importing it puts the repository on sys.path, for `tests.fakes`
    Ceiling,
    add_destinations,
    bench_settings,
    ceiling,
    delivery_statuses,
    post_text,
    wait_until,
)
from bench.index_bench import BenchError, Context
from bench.report import Row
from bot.app import build_app
from bot.broadcast.pacing import Limits, Window
from bot.clock import SystemClock

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "fake-discord-bench-token"
CHANNELS = 2_000
QUICK_CHANNELS = 200
TARGET_PCT = 90.0
FIRST_CHANNEL = 1_200_000_000_000_000_000  # snowflake-sized ids
SERVER_GLOBAL_PER_S, SERVER_PER_CHANNEL, SERVER_CHANNEL_WINDOW = 50, 5, 5.0  # FakeDiscord's defaults
START_TIMEOUT_S = 60.0
RTT_S = 0.05  # a round trip to Discord from a well-placed host, for the `rtt` row
BURST_POSTS, BURST_CHANNELS = 5, 20  # a channel's whole bucket spent at once: discord.py's own wait shows


# --- the fake Discord API in its own process (bench/fake_discord_process.py) -------------


@dataclass(slots=True)
class FakeProcess:
    """A fake Discord API process: its URL while it runs, its report once stopped."""

    port: int
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"


@contextlib.asynccontextmanager
async def fake_discord(latency: float = 0.0) -> AsyncIterator[FakeProcess]:
    """Start the fake in a subprocess; on exit stop it and read its report."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.fake_discord_process", TOKEN, "--latency", str(latency),
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        if not line.strip().isdigit():
            raise BenchError(f"the fake Discord did not start: {line!r}")
        fake = FakeProcess(int(line))
        yield fake
        process.stdin.close()
        out = await asyncio.wait_for(process.stdout.read(), START_TIMEOUT_S)
        fake.report = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


# --- one broadcast, measured --------------------------------------------------------------------


SERVER_LIMITS = Limits(
    overall=Window(SERVER_GLOBAL_PER_S, 1.0), per_chat=Window(SERVER_PER_CHANNEL, SERVER_CHANNEL_WINDOW)
)


@dataclass(frozen=True, slots=True)
class Broadcast:
    """What the fake saw of one broadcast, and what it cost the bot."""

    delivered: int
    rate_limited: int
    span_s: float
    wall_s: float
    cpu_s: float
    server_cpu_s: float
    sample: dict[str, Any]
    failures: dict[str, int] = field(default_factory=dict)
    posts: int = 1
    held_back: int = 0  # requests our global limit made wait (the pacer's sends should need none)

    @property
    def best(self) -> Ceiling:
        return ceiling(SERVER_LIMITS, self.delivered, self.posts, False)

    @property
    def pct(self) -> float:
        """The ceiling's first-to-last span over ours, in % (100 = as fast as the limits allow)."""
        return 100.0 * self.best.span / self.span_s if self.span_s > 0 else 0.0

    @property
    def rate(self) -> float:
        """Messages a second, first to last arrival."""
        return self.delivered / self.span_s if self.span_s > 0 else 0.0

    @property
    def cpu_pct(self) -> float:
        """The bot's CPU (this process, all threads) over the broadcast's wall time."""
        return 100.0 * self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0


def _observed(
    report: dict[str, Any], wall: float, cpu: float, failures: dict[str, int], posts: int = 1
) -> Broadcast:
    times = [t for t, status in report["creates"] if status == 200]
    span = max(times) - min(times) if times else 0.0
    return Broadcast(
        len(times), int(report["rate_limited"]), span, wall, cpu, float(report["cpu_s"]), report["sample"],
        failures, posts,
    )  # fmt: skip


def channel_ids(count: int) -> list[int]:
    """Snowflake-like channel ids."""
    return [FIRST_CHANNEL + i for i in range(count)]


async def broadcast_ours(
    channels: list[int], latency: float = 0.0, posts: int = 1, **settings: Any
) -> Broadcast:
    """The bot's path: saved posts → tick → outbox → dispatcher → DiscordSender → HTTP."""
    from bot.platforms.discord.platform import DiscordPlatform

    expected = len(channels) * posts
    with tempfile.TemporaryDirectory(prefix="bench-discord-") as tmp:
        posts_dir = Path(tmp) / "posts"
        posts_dir.mkdir()
        async with fake_discord(latency) as fake:
            config = bench_settings(posts_dir, Path(tmp) / "bench.db", broadcast_max_age=10**9, **settings)
            app = build_app(config, SystemClock())
            platform = DiscordPlatform(
                token=TOKEN, commands=app.commands, services=app.services, zone=config.zone,
                default_lang=config.language, wake=app.wake, api_base_url=fake.base_url, gateway=False,
            )  # fmt: skip
            try:
                await app.prepare()
                await platform.start()  # log in and sync the slash commands, as `run` does
                dispatcher = app.add_platform(platform.sender)
                await app.tick()  # the first scan, of an empty folder: from now on posts are new
                await add_destinations(app, [(str(c), "channel") for c in channels], platform="discord")
                stop = asyncio.Event()
                sender = asyncio.create_task(dispatcher.run(stop))
                start, cpu = time.perf_counter(), time.process_time()
                try:
                    for number in range(posts):  # what the file watcher does on each save
                        body = f"Post {number}: 扩散模型 $x^2$ & <tags>."
                        text = post_text(f"Ceiling {number}", f"ceiling-{number}", datetime.now(UTC), body)
                        (posts_dir / f"ceiling-{number}.md").write_text(text, encoding="utf-8")
                        await app.tick()
                    limit = expected / SERVER_GLOBAL_PER_S * 3 + 60
                    await wait_until(lambda: dispatcher.sent >= expected, limit, f"{expected} sends", 0.05)
                    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
                finally:
                    stop.set()
                    await sender
                statuses = await delivery_statuses(app)
                held_back = platform.global_limit.waits
            finally:
                await platform.stop()
                await app.close()
        if statuses != {"sent": expected} or fake.report["per_channel"] != {str(posts): len(channels)}:
            per_channel = fake.report["per_channel"]
            raise BenchError(f"ours: deliveries {statuses}, messages per channel {per_channel}")
        return replace(_observed(fake.report, wall, cpu, {}, posts), held_back=held_back)


async def broadcast_baseline(
    channels: list[int], body: dict[str, Any], latency: float = 0.0, at_once: bool = False
) -> Broadcast:
    """discord.py alone: the same body to every channel, one after the other (or all `at_once`).

    Its bucket handling and 429 retries are the only pacing.
    """
    import discord
    from discord.http import Route

    from bot.platforms.discord.sender import MAX_RATELIMIT_WAIT, api_base

    failures: Counter[str] = Counter()
    quiet = discord.http._log  # it logs a warning for every 429 it sleeps through
    level = quiet.level
    quiet.setLevel("ERROR")
    # A plain client: discord.py's own buckets and 429 handling, none of our global limit.
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT)

    async def send(channel: int) -> None:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
        try:
            await client.http.request(route, json=body)
        except discord.RateLimited:
            failures["RateLimited"] += 1
        except discord.HTTPException as exc:
            failures[f"HTTP {exc.status}"] += 1

    try:
        async with fake_discord(latency) as fake:
            with api_base(fake.base_url):
                await client.login(TOKEN)
                start, cpu = time.perf_counter(), time.process_time()
                if at_once:
                    await asyncio.gather(*(send(channel) for channel in channels))
                for channel in [] if at_once else channels:
                    await send(channel)
                wall, cpu = time.perf_counter() - start, time.process_time() - cpu
                await client.close()
    finally:
        await client.close()
        quiet.setLevel(level)
    return _observed(fake.report, wall, cpu, dict(failures))


# --- the benchmark ------------------------------------------------------------------------------


def discord_ceiling(ctx: Context) -> list[Row]:
    """Ours and discord.py alone, one after the other, each against a fresh limit-enforcing fake."""
    import discord

    count = QUICK_CHANNELS if ctx.quick else CHANNELS
    channels = channel_ids(count)
    ours = asyncio.run(broadcast_ours(channels, discord_global_per_s=SERVER_GLOBAL_PER_S))
    base = asyncio.run(broadcast_baseline(channels, ours.sample))
    rush = asyncio.run(broadcast_baseline(channels, ours.sample, at_once=True))
    far = asyncio.run(broadcast_ours(channels, RTT_S, discord_global_per_s=SERVER_GLOBAL_PER_S))
    burst, stock = asyncio.run(_burst(tuned=True)), asyncio.run(_burst(tuned=False))
    best = ours.best
    mix = {"posts": 1, "channels": count, "discord_global_per_s": SERVER_GLOBAL_PER_S}
    ceiling_note = (
        f"ceiling: {best.messages} messages cannot reach the server in under {best.span:.1f} s "
        f"first→last at {SERVER_GLOBAL_PER_S} requests/s ('{best.binding}' binds); % = that span / ours"
    )
    # Counting each send from its answer (the only safe choice without knowing one-way delays)
    # costs a round trip per second's worth of sends: this is the most a pacer can reach then.
    safe_pct = 100.0 * 1.0 / (1.0 + RTT_S)
    return [
        Row(
            "discord_pct_of_ceiling",
            ours.pct,
            "%",
            target=TARGET_PCT,
            baseline=base.pct,
            higher_is_better=True,
            samples=[ours.pct],
            note=f"DISCORD_GLOBAL_PER_S={SERVER_GLOBAL_PER_S}, SEND_CONCURRENCY default; ours: "
            f"{ours.delivered} messages in {ours.span_s:.1f} s = {ours.rate:.2f}/s; "
            f"wall {ours.wall_s:.1f} s from the save; {ours.held_back} requests held back by the "
            "sender's own global limit; " + ceiling_note,
            extra=mix
            | {
                "span_s": round(ours.span_s, 3),
                "wall_s": round(ours.wall_s, 3),
                "delivered": ours.delivered,
                "ceiling_span_s": best.span,
                "bot_cpu_pct": round(ours.cpu_pct, 1),
                "server_cpu_s": round(ours.server_cpu_s, 2),
                "held_back_by_global_limit": ours.held_back,
            },
        ),
        Row(
            "discord_429s",
            ours.rate_limited,
            "429s",
            target=0,
            baseline=base.rate_limited,
            note="429 answers the fake sent to the bot",
            extra=mix,
        ),
        Row(
            "discord_bot_cpu_pct",
            ours.cpu_pct,
            "%",
            baseline=base.cpu_pct,
            note=f"the bot process's CPU over the broadcast's wall time: {ours.cpu_s:.2f} s in "
            f"{ours.wall_s:.1f} s (the fake runs in its own process: {ours.server_cpu_s:.2f} s)",
            extra=mix | {"cpu_s": round(ours.cpu_s, 3)},
        ),
        Row(
            f"discord_pct_of_ceiling_rtt{RTT_S * 1000:.0f}ms",
            far.pct,
            "%",
            higher_is_better=True,
            samples=[far.pct],
            note=f"the same with {RTT_S * 1000:.0f} ms of network round trip added by the fake: "
            f"{far.delivered} messages in {far.span_s:.1f} s, {far.rate_limited} × 429; a pacer that "
            f"counts sends from their answers can reach {safe_pct:.0f} % here",
            extra=mix | {"rtt_s": RTT_S, "span_s": round(far.span_s, 3), "rate_limited": far.rate_limited},
        ),
        Row(
            "discord_burst_span_s",
            burst.span_s,
            "s",
            baseline=stock.span_s,
            samples=[burst.span_s],
            note=f"{BURST_POSTS} posts to {BURST_CHANNELS} channels, saved one after the other "
            f"({burst.delivered} messages, {burst.rate_limited} × 429; the limits allow "
            f"{burst.best.span:.1f} s first→last): every channel's bucket is spent; baseline: the same "
            f"path with discord.py's stock buckets, which sleep out each reset inside the send that "
            f"emptied it ({stock.rate_limited} × 429)",
            extra={"posts": BURST_POSTS, "channels": BURST_CHANNELS, "stock_span_s": round(stock.span_s, 3)},
        ),
        Row(
            "discord_baseline_pct_of_ceiling",
            base.pct,
            "%",
            higher_is_better=True,
            samples=[base.pct],
            note=f"discord.py {discord.__version__} alone, a plain loop: `await` HTTPClient.request (what "
            f"channel.send calls) with our message's JSON to one channel after another; its buckets and "
            f"429 retries (global ones stop every request) the only pacing: {base.delivered} messages in "
            f"{base.span_s:.1f} s = {base.rate:.2f}/s; wall {base.wall_s:.1f} s, "
            f"bot CPU {base.cpu_pct:.0f} %",
            extra=mix
            | {
                "span_s": round(base.span_s, 3),
                "wall_s": round(base.wall_s, 3),
                "delivered": base.delivered,
                "bot_cpu_pct": round(base.cpu_pct, 1),
            },
        ),
        Row(
            "discord_baseline_429s",
            base.rate_limited,
            "429s",
            note=f"discord.py sleeps each 429's retry_after and tries again, 5 tries at most: "
            f"{count - base.delivered} of {count} messages never delivered ({base.failures or 'no errors'})",
            extra=mix | {"lost": count - base.delivered, "failures": base.failures},
        ),
        Row(
            "discord_baseline_at_once_pct_of_ceiling",
            rush.pct,
            "%",
            higher_is_better=True,
            samples=[rush.pct],
            note=f"discord.py alone, every send started at once (asyncio.gather): {rush.delivered} of "
            f"{count} delivered in {rush.span_s:.1f} s (% of the ceiling for those), "
            f"{rush.rate_limited} × 429, {count - rush.delivered} lost after 5 tries "
            f"({rush.failures or 'no errors'}); wall {rush.wall_s:.1f} s, bot CPU {rush.cpu_pct:.0f} %",
            extra=mix
            | {
                "span_s": round(rush.span_s, 3),
                "delivered": rush.delivered,
                "rate_limited": rush.rate_limited,
                "lost": count - rush.delivered,
                "bot_cpu_pct": round(rush.cpu_pct, 1),
            },
        ),
    ]


async def _burst(tuned: bool) -> Broadcast:
    """The burst through our path; `tuned=False` puts discord.py's own bucket handling back."""
    from unittest import mock

    channels = channel_ids(BURST_CHANNELS)
    stock = mock.patch("bot.platforms.discord.platform.tune", lambda http: None)
    with contextlib.nullcontext() if tuned else stock:
        return await broadcast_ours(channels, posts=BURST_POSTS, discord_global_per_s=SERVER_GLOBAL_PER_S)
