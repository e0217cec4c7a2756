"""Broadcast engine benchmarks: pacing, engine headroom, saved → sent latency.

- `pacing`: 3 posts in quick succession to 1,000 destinations (800 private chats, 100 groups,
  100 channels) through the real path (outbox, dispatcher, `TelegramSender`, PTB over HTTP) against
  `tests.fakes.telegram_server.FakeTelegram` with Telegram's limits enforced; then, in the same run,
  the same messages sent by PTB's own `AIORateLimiter` with a plain send loop, against a fresh fake.
- `engine`: deliveries/s through the outbox with pacing off and an in-process sender that returns at
  once: the tick that queues the deliveries, the claims, and the recorded outcomes are all timed.
- `saved_to_sent`: `python -m bot run` as a subprocess against the fake; seconds from writing a post
  file to the fake receiving its sendMessage (the file watcher triggers the scan).

Timings are wall clock: these benchmarks measure waits and pacing, not only CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench.index_bench import BenchError, Context, Stopwatch
from bench.report import Row
from bot.app import App, build_app
from bot.broadcast.pacing import NO_LIMITS, Limits, Window
from bot.broadcast.sender import Target
from bot.clock import SystemClock
from bot.content.models import FullPost, View
from bot.settings import Settings, load_settings
from bot.store.models import Delivery, Destination

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.fakes` lives beside `bot`, outside the installed package
    sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_server import FakeTelegram  # noqa: E402

TOKEN = "123456:BENCH-token"
SITE_URL = "https://blog.example.org/posts"

PACING_POSTS = 3
PACING_PRIVATE, PACING_GROUPS = 800, 200  # half of the "groups" are channels
QUICK_PACING_PRIVATE, QUICK_PACING_GROUPS = 80, 20
PACING_TARGET_PCT = 95.0

ENGINE_DESTINATIONS = 10_000
QUICK_ENGINE_DESTINATIONS = 1_000
ENGINE_CONCURRENCY = 32
ENGINE_TARGET_PER_S = 2_000.0

SAVED_SAMPLES = 5
SAVED_GAP_S = 1.0
SAVED_TARGET_S = 2.0
READY_TIMEOUT_S = 120.0


# --- shared helpers (memory_bench uses them too) ------------------------------------------------


def post_text(title: str, slug: str, date: datetime, body: str, category: str = "Python") -> str:
    """Return a post file: front matter and a short body."""
    return (
        f'---\ntitle: "{title}"\ndate: {date.isoformat(timespec="seconds")}\nslug: {slug}\n'
        f"category: {category}\n---\n\n{body}\n"
    )


def bench_settings(posts_dir: Path, database: Path, **overrides: Any) -> Settings:
    """Settings for an in-process app: no .env, a site URL so messages carry a link."""
    return load_settings(
        posts_dir=posts_dir,
        database_url=f"sqlite:///{database}",
        site_url=SITE_URL,
        _env_file=None,
        **overrides,
    )


def chat_mix(private: int, groups: int) -> list[tuple[str, str]]:
    """Return (chat id, kind): private chats 1..n, then groups and channels with negative ids."""
    chats = [(str(1_000 + i), "private") for i in range(private)]
    chats += [(str(-1_000_000_000_000 - i), "group" if i % 2 == 0 else "channel") for i in range(groups)]
    return chats


async def add_destinations(app: App, chats: Sequence[tuple[str, str]], platform: str = "telegram") -> None:
    """Subscribe chats in bulk: the column values `store.destinations.subscribe` writes."""
    now = app.clock.now()
    rows: list[dict[str, Any]] = [
        {
            "platform": platform,
            "chat_id": chat,
            "thread_id": "",
            "title": "",
            "kind": kind,
            "mode": "instant",
            "categories": [],
            "language": None,
            "silent": False,
            "active": True,
            "created_at": now,
        }
        for chat, kind in chats
    ]
    async with app.sessions.begin() as session:
        for start in range(0, len(rows), 1000):
            await session.execute(insert(Destination), rows[start : start + 1000])


async def delivery_statuses(app: App) -> dict[str, int]:
    """Count deliveries by status."""
    async with app.sessions() as session:
        query = select(Delivery.status, func.count()).group_by(Delivery.status)
        return {status: int(count) for status, count in await session.execute(query)}


async def wait_until(condition: Callable[[], bool], within: float, what: str, poll: float = 0.01) -> None:
    """Poll `condition` until it holds; BenchError after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(poll)


def sent_messages(server: FakeTelegram) -> list[float]:
    """Arrival times (server clock) of the sendMessage calls the fake accepted."""
    return [r.time for r in server.requests if r.method.lower() == "sendmessage" and r.status == 200]


@dataclass(slots=True)
class RunProcess:
    """A `python -m bot run` subprocess; its stderr goes to a file for error reports."""

    process: asyncio.subprocess.Process
    stderr: Path
    stdout_lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.stderr.read_text(errors="replace").splitlines()[-lines:])
        return ""


def run_env(posts_dir: Path, database: Path, server: FakeTelegram, **extra: str) -> dict[str, str]:
    """Environment of a `run` subprocess pointed at the fake Bot API (every setting explicit)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "POSTS_DIR": str(posts_dir),
        "DATABASE_URL": f"sqlite:///{database}",
        "SITE_URL": SITE_URL,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_BASE_URL": server.base_url,
        "SCAN_INTERVAL": "3600",  # only the file watcher may trigger a scan
        "WATCH": "true",
        "LOG_LEVEL": "WARNING",
        "PTB_TIMEDELTA": "true",
    }
    return env | extra


@contextlib.asynccontextmanager
async def bot_run(env: dict[str, str], workdir: Path) -> AsyncIterator[RunProcess]:
    """Start `python -m bot run` in `workdir` (so no .env is read) and stop it with SIGTERM."""
    stderr = workdir / "run.stderr"
    with stderr.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip
    run = RunProcess(process, stderr)

    async def read() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            run.stdout_lines.append(line.decode(errors="replace").rstrip())

    run.reader = asyncio.create_task(read())
    try:
        yield run
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                await process.wait()
        await run.reader


async def wait_ready(run: RunProcess, within: float = READY_TIMEOUT_S) -> None:
    """Wait until `run` printed its start-up summary (first scan done, senders and watcher on)."""

    def ready() -> bool:
        if run.process.returncode is not None:
            raise BenchError(f"`bot run` exited with {run.process.returncode}:\n{run.tail()}")
        return any("posts indexed" in line for line in run.stdout_lines)

    await wait_until(ready, within, "`bot run` to start", poll=0.02)


# --- pacing ----------------------------------------------------------------------------------------


def min_span(messages: int, window: Window | None) -> float:
    """Shortest first-to-last arrival span of `messages` sends under a sliding-window limit."""
    if window is None or messages <= 1:
        return 0.0
    return (math.ceil(messages / window.limit) - 1) * window.seconds


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The fastest the limits allow a broadcast of `messages`: spans per limit, the binding one."""

    messages: int
    spans: dict[str, float]
    sustained_per_s: float

    @property
    def span(self) -> float:
        return max(self.spans.values())

    @property
    def binding(self) -> str:
        return max(self.spans, key=lambda name: self.spans[name])

    @property
    def per_s(self) -> float:
        """The ceiling as a rate measured like ours: messages over the first-to-last span."""
        return self.messages / self.span if self.span > 0 else math.inf


def ceiling(limits: Limits, messages: int, per_chat: int, groups: bool) -> Ceiling:
    """Bound a broadcast's first-to-last arrival span from below, limit by limit.

    `messages` in all, at most `per_chat` to one chat, `groups` if some chats are groups or
    channels. Every 429-free schedule obeys each limit on its own, so the longest per-limit span is
    a lower bound; for our mix it is also reached (bursts of the overall limit, each chat's
    messages in different bursts), so it is the ceiling, not just a bound.
    """
    spans = {
        "overall": min_span(messages, limits.overall),
        "per chat": min_span(per_chat, limits.per_chat),
        "per group": min_span(per_chat, limits.per_group) if groups else 0.0,
    }
    sustained = limits.overall.limit / limits.overall.seconds if limits.overall else math.inf
    return Ceiling(messages, spans, sustained)


def server_limits(server: FakeTelegram) -> Limits:
    """The limits the fake enforces, in the engine's terms."""
    rate = server.per_chat_per_s
    per_chat = Window(int(rate), 1.0) if rate >= 1 else Window(1, 1 / rate)
    return Limits(
        overall=Window(server.global_per_s, 1.0),
        per_chat=per_chat,
        per_group=Window(server.per_group_per_min, 60.0),
    )


@dataclass(frozen=True, slots=True)
class PacingRun:
    """What the fake server saw of one broadcast."""

    delivered: int
    rate_limited: int
    span_s: float
    limits: Limits
    lost: int = 0
    wall_s: float = 0.0
    texts: tuple[tuple[str, dict[str, Any] | None], ...] = ()  # (HTML, link preview) per post
    failures: dict[str, int] = field(default_factory=dict)

    def pct_of(self, posts: int, groups: bool) -> tuple[float, Ceiling]:
        """Achieved rate as % of the ceiling for the messages actually delivered."""
        best = ceiling(self.limits, self.delivered, posts, groups)
        return (100.0 * best.span / self.span_s if self.span_s > 0 else 0.0), best


def _span(times: list[float]) -> float:
    return max(times) - min(times) if times else 0.0


async def _pacing_ours(chats: list[tuple[str, str]], posts: int) -> PacingRun:
    """The bot's own path: files → tick → outbox → dispatcher → TelegramSender → HTTP."""
    from bot.platforms.telegram.sender import TelegramSender, open_bot

    expected = len(chats) * posts
    with tempfile.TemporaryDirectory(prefix="bench-pacing-") as tmp:
        posts_dir = Path(tmp) / "posts"
        posts_dir.mkdir()
        settings = bench_settings(posts_dir, Path(tmp) / "bench.db", broadcast_max_age=10**9)
        async with FakeTelegram(token=TOKEN) as server, open_bot(TOKEN, server.base_url) as telegram:
            server.channels.update(int(chat) for chat, kind in chats if kind == "channel")
            app = build_app(settings, SystemClock())
            try:
                await app.prepare()
                dispatcher = app.add_platform(TelegramSender(telegram, settings.zone))
                await app.tick()  # the first scan, of an empty folder: from now on posts are new
                await add_destinations(app, chats)
                stop = asyncio.Event()
                sender = asyncio.create_task(dispatcher.run(stop))
                start = time.perf_counter()
                try:
                    for number in range(posts):  # what the file watcher does for each save
                        slug = f"pacing-{number}"
                        body = f"Pacing post {number}: 扩散模型 $x^2$ & <tags>."
                        text = post_text(f"Pacing {number}", slug, datetime.now(UTC), body)
                        (posts_dir / f"{slug}.md").write_text(text, encoding="utf-8")
                        await app.tick()
                    limit = ceiling(server_limits(server), expected, posts, True).span * 3 + 60
                    await wait_until(lambda: dispatcher.sent >= expected, limit, f"{expected} sends", 0.05)
                    wall = time.perf_counter() - start
                finally:
                    stop.set()
                    await sender
                statuses = await delivery_statuses(app)
            finally:
                await app.close()
        counts = Counter(len(server.messages.get(int(chat), [])) for chat, _ in chats)
        if statuses != {"sent": expected} or counts != {posts: len(chats)}:
            raise BenchError(f"ours: deliveries {statuses}, messages per chat {dict(counts)}")
        first = server.messages[int(chats[0][0])]
        texts = tuple((m.raw, m.link_preview_options) for m in first)
        times = sent_messages(server)
        limits = server_limits(server)
        return PacingRun(len(times), server.rate_limited, _span(times), limits, wall_s=wall, texts=texts)


async def _pacing_baseline(
    chats: list[tuple[str, str]], texts: Sequence[tuple[str, dict[str, Any] | None]]
) -> PacingRun:
    """PTB's `AIORateLimiter` (defaults) with a plain loop: per post, gather a send to every chat."""
    from telegram import LinkPreviewOptions
    from telegram.error import RetryAfter, TelegramError
    from telegram.ext import AIORateLimiter, ExtBot

    failures: Counter[str] = Counter()
    quiet = logging.getLogger("telegram")  # the limiter logs a traceback for every 429 it lets through
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        async with FakeTelegram(token=TOKEN) as server:
            server.channels.update(int(chat) for chat, kind in chats if kind == "channel")
            bot = ExtBot(TOKEN, base_url=server.base_url, rate_limiter=AIORateLimiter())
            async with bot:

                async def send(chat: str, html: str, preview: dict[str, Any] | None) -> None:
                    options = LinkPreviewOptions(**preview) if preview else None
                    try:
                        await bot.send_message(
                            int(chat), html, parse_mode="HTML", link_preview_options=options
                        )
                    except RetryAfter:
                        failures["429"] += 1
                    except TelegramError as exc:
                        failures[type(exc).__name__] += 1

                start = time.perf_counter()
                for html, preview in texts:
                    await asyncio.gather(*(send(chat, html, preview) for chat, _ in chats))
                wall = time.perf_counter() - start
            limits = server_limits(server)
        times = sent_messages(server)
        expected = len(chats) * len(texts)
        return PacingRun(
            len(times),
            server.rate_limited,
            _span(times),
            limits,
            lost=expected - len(times),
            wall_s=wall,
            failures=dict(failures),
        )
    finally:
        quiet.setLevel(level)


def pacing(ctx: Context) -> list[Row]:
    """Ours and PTB's AIORateLimiter, one after the other, each against a fresh limit-enforcing fake."""
    private, groups = (
        (QUICK_PACING_PRIVATE, QUICK_PACING_GROUPS) if ctx.quick else (PACING_PRIVATE, PACING_GROUPS)
    )
    chats = chat_mix(private, groups)
    ours = asyncio.run(_pacing_ours(chats, PACING_POSTS))
    base = asyncio.run(_pacing_baseline(chats, ours.texts))
    ours_pct, best = ours.pct_of(PACING_POSTS, groups > 0)
    base_pct, base_best = base.pct_of(PACING_POSTS, groups > 0)
    destinations = private + groups
    spans = ", ".join(f"{name} {span:.1f} s" for name, span in best.spans.items())
    ceiling_note = (
        f"ceiling: {best.messages} messages cannot reach the server in under {best.span:.1f} s "
        f"first→last ({spans}; '{best.binding}' binds, {best.sustained_per_s:g} msg/s sustained); "
        f"% = that span / measured span"
    )
    mix = {"posts": PACING_POSTS, "destinations": destinations, "private": private, "groups": groups}
    return [
        Row(
            "pacing_pct_of_ceiling",
            ours_pct,
            "%",
            target=PACING_TARGET_PCT,
            baseline=base_pct,
            higher_is_better=True,
            samples=[ours_pct],
            note=f"ours: {ours.delivered} msgs in {ours.span_s:.1f} s = {ours.delivered / ours.span_s:.2f} "
            f"msg/s (ceiling {best.per_s:.2f} for this count); wall {ours.wall_s:.1f} s from the first save. "
            + ceiling_note,
            extra=mix
            | {"span_s": round(ours.span_s, 3), "delivered": ours.delivered, "ceiling_span_s": best.span},
        ),
        Row(
            "pacing_429s",
            ours.rate_limited,
            "429s",
            target=0,
            baseline=base.rate_limited,
            note="429 answers the fake sent to the bot",
            extra=mix,
        ),
        Row(
            "baseline_pct_of_ceiling",
            base_pct,
            "%",
            higher_is_better=True,
            samples=[base_pct],
            note=f"PTB {_ptb_version()} ExtBot(rate_limiter=AIORateLimiter()) with its defaults (30/s, "
            "20/min per group, max_retries=0); for each post in turn, asyncio.gather(send_message) to "
            f"every chat, same HTML as ours: {base.delivered} msgs in {base.span_s:.1f} s = "
            f"{base.delivered / max(base.span_s, 1e-9):.2f} msg/s (ceiling {base_best.per_s:.2f} for the "
            f"{base.delivered} delivered); wall {base.wall_s:.1f} s",
            extra=mix
            | {
                "span_s": round(base.span_s, 3),
                "delivered": base.delivered,
                "ceiling_span_s": base_best.span,
            },
        ),
        Row(
            "baseline_429s",
            base.rate_limited,
            "429s",
            note=f"429s raise RetryAfter (max_retries=0): {base.lost} of {ours.delivered} messages never "
            f"delivered ({base.failures or 'no errors'})",
            extra=mix | {"lost": base.lost, "failures": base.failures},
        ),
    ]


def _ptb_version() -> str:
    import telegram

    return str(telegram.__version__)


# --- engine headroom -------------------------------------------------------------------------------


class InstantPlatform:
    """An in-process sender that returns at once: what is left is the engine's own cost."""

    def __init__(self, name: str = "telegram") -> None:
        self.name = name
        self.sends = 0

    async def send(self, target: Target, view: View | FullPost) -> list[str]:
        self.sends += 1
        return [str(self.sends)]

    async def edit(self, target: Target, message_ids: list[str], view: View | FullPost) -> None:
        return None

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        return None


@dataclass(frozen=True, slots=True)
class EngineRun:
    """One engine broadcast: the queueing tick, then the sends until all are recorded."""

    deliveries: int
    tick: Stopwatch
    send: Stopwatch

    @property
    def total_s(self) -> float:
        return self.tick.wall + self.send.wall


@contextlib.asynccontextmanager
async def temporary_app(prefix: str, concurrency: int) -> AsyncIterator[tuple[App, Path]]:
    """An App on a SQLite file and an empty posts folder in a temporary folder, prepared; closed after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        posts_dir = Path(tmp) / "posts"
        posts_dir.mkdir()
        settings = bench_settings(
            posts_dir, Path(tmp) / "bench.db", broadcast_max_age=10**9, send_concurrency=concurrency
        )
        app = build_app(settings, SystemClock())
        try:
            await app.prepare()
            yield app, posts_dir
        finally:
            await app.close()


async def engine_run(
    destinations: int, concurrency: int, profile: Callable[[], Any] | None = None
) -> EngineRun:
    """Queue one post to `destinations` chats with pacing off and time it until all are recorded."""
    async with temporary_app("bench-engine-", concurrency) as (app, posts_dir):
        platform = InstantPlatform()
        dispatcher = app.add_platform(platform, NO_LIMITS)
        await app.tick()
        await add_destinations(app, chat_mix(destinations, 0))
        (posts_dir / "engine.md").write_text(
            post_text("Engine", "engine", datetime.now(UTC), "Body."), encoding="utf-8"
        )
        stop = asyncio.Event()
        sender = asyncio.create_task(dispatcher.run(stop))
        await asyncio.sleep(0.05)  # let it reach its idle wait, as in a running bot
        profiler = profile() if profile else contextlib.nullcontext()
        try:
            with profiler, Stopwatch() as tick:
                await app.tick()
            with profiler, Stopwatch() as send:
                await wait_until(lambda: dispatcher.sent >= destinations, 600, "the engine", 0.005)
        finally:
            stop.set()
            await sender
        statuses = await delivery_statuses(app)
    if statuses != {"sent": destinations} or platform.sends != destinations:
        raise BenchError(f"engine: deliveries {statuses}, {platform.sends} sends for {destinations}")
    return EngineRun(destinations, tick, send)


def engine(ctx: Context) -> list[Row]:
    """Deliveries/s through outbox, claims and recorder, pacing off, instant in-process sender."""
    destinations = QUICK_ENGINE_DESTINATIONS if ctx.quick else ENGINE_DESTINATIONS
    run = asyncio.run(engine_run(destinations, ENGINE_CONCURRENCY))
    default = asyncio.run(engine_run(destinations, 8))
    rate = destinations / run.total_s
    cpu = run.tick.cpu + run.send.cpu
    return [
        Row(
            "engine_deliveries_per_s",
            rate,
            "/s",
            target=ENGINE_TARGET_PER_S,
            higher_is_better=True,
            samples=[rate],
            note=f"{destinations:,} destinations, 1 post, concurrency {ENGINE_CONCURRENCY}, NO_LIMITS: "
            f"tick (scan + queue {destinations:,} rows) {run.tick.wall:.2f} s, sends until all recorded "
            f"{run.send.wall:.2f} s ({destinations / run.send.wall:,.0f}/s); cpu {cpu:.2f} s",
            extra={
                "posts": 1,
                "destinations": destinations,
                "concurrency": ENGINE_CONCURRENCY,
                "tick_s": round(run.tick.wall, 3),
                "send_s": round(run.send.wall, 3),
                "cpu_s": round(cpu, 3),
            },
        ),
        Row(
            "engine_deliveries_per_s_c8",
            destinations / default.total_s,
            "/s",
            higher_is_better=True,
            record=False,
            note=f"the same at SEND_CONCURRENCY's default 8 (shown, not recorded): tick "
            f"{default.tick.wall:.2f} s, sends {default.send.wall:.2f} s",
        ),
    ]


# --- saved → sent ----------------------------------------------------------------------------------


async def _saved_to_sent(samples: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-saved-") as tmp:
        work = Path(tmp)
        posts_dir, database = work / "posts", work / "bench.db"
        posts_dir.mkdir()
        app = build_app(bench_settings(posts_dir, database))
        try:
            await app.prepare()
            await app.scan()  # the first scan, of an empty folder: from now on posts are new
            await add_destinations(app, [("4242", "private")])
        finally:
            await app.close()
        latencies: list[float] = []
        async with FakeTelegram(token=TOKEN) as server:
            async with bot_run(run_env(posts_dir, database, server), work) as run:
                await wait_ready(run)
                await asyncio.sleep(SAVED_GAP_S)  # the watcher is set up before the first scan
                for number in range(samples):
                    slug = f"saved-{number}"
                    text = post_text(f"Saved {number}", slug, datetime.now(UTC), "Body.")
                    before = len(sent_messages(server))
                    written = time.monotonic()  # the fake stamps requests with time.monotonic too
                    (posts_dir / f"{slug}.md").write_text(text, encoding="utf-8")

                    def arrived(before: int = before) -> bool:
                        if run.process.returncode is not None:
                            raise BenchError(f"`bot run` exited with {run.process.returncode}:\n{run.tail()}")
                        return len(sent_messages(server)) > before

                    await wait_until(arrived, 30, f"the message of {slug}")
                    latencies.append(sent_messages(server)[before] - written)
                    await asyncio.sleep(SAVED_GAP_S)
            if run.process.returncode != 0:
                raise BenchError(f"`bot run` exited with {run.process.returncode} on SIGTERM:\n{run.tail()}")
        if len(server.messages.get(4242, [])) != samples:
            raise BenchError(
                f"saved → sent: {len(server.messages.get(4242, []))} messages for {samples} posts"
            )
    return latencies


def saved_to_sent(ctx: Context) -> list[Row]:
    """Median seconds from writing a post file to the first message, through a real `run`."""
    latencies = asyncio.run(_saved_to_sent(SAVED_SAMPLES))
    return [
        Row(
            "saved_to_sent_median_s",
            statistics.median(latencies),
            "s",
            target=SAVED_TARGET_S,
            samples=latencies,
            note=f"`python -m bot run` (SCAN_INTERVAL=3600, so the file watcher triggers), 1 destination, "
            f"{len(latencies)} posts ~{SAVED_GAP_S:g} s apart; range {min(latencies):.2f}-"
            f"{max(latencies):.2f} s, file write → fake receives sendMessage",
            extra={"posts": len(latencies), "destinations": 1},
        )
    ]
