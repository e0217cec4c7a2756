"""HTTP benchmark: Telegram sends per second over real HTTP, pacing off, bot and Bot API apart.

The fake Bot API (`tests.fakes.telegram_server.FakeTelegram`, limits off, HTML still validated)
runs in its own process (`bench.fake_telegram_process`), a fresh one per run, so the bot's event
loop has a core to itself, as it would against Telegram. Side by side, in one run:

- plain loop: a PTB `Bot` with its default `HTTPXRequest`, `send_message` from an
  `asyncio.gather` bounded by a semaphore: no engine, no database (PTB's own ceiling);
- engine, PTB defaults: a real `TelegramPlatform` built as before (PTB's `HTTPXRequest`, pool 256)
  at `SEND_CONCURRENCY`'s default 8: outbox, claims, `TelegramSender`, recorder, SQLite;
- engine, tuned: the same with `TELEGRAM_HTTP_CLIENT=aiohttp` (the default now) and more sends
  in flight: `http_deliveries_per_s`, the median of three runs;
- the plain loop again through our `AiohttpRequest` (shown, not recorded).

Deliveries are queued by a real tick (one post to N private chats); the rate is N over the time
from the first claim (the lease it wrote) to the last outcome recorded. CPU is the bot process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.engine_bench import (
    TOKEN,
    add_destinations,
    chat_mix,
    delivery_statuses,
    post_text,
    temporary_app,
    wait_until,
)
from bench.index_bench import BenchError, Context
from bench.report import Row
from bot.broadcast.dispatcher import SENDING_LEASE
from bot.broadcast.pacing import NO_LIMITS, Pacer
from bot.platforms.telegram.platform import HttpClient
from bot.store.models import Delivery

ROOT = Path(__file__).resolve().parents[1]
DELIVERIES = 20_000
QUICK_DELIVERIES = 2_000
PLAIN_CONCURRENCY = 8  # httpx's best: its pool's cost per request grows with the connections open
DEFAULT_CONCURRENCY = 8  # SEND_CONCURRENCY's default
TUNED_CONCURRENCY = 64
TARGET_PER_S = 1_500.0
TUNED_SAMPLES = 3  # the machine is shared: the median of three runs of the tuned engine


@dataclass(slots=True)
class ServerStats:
    """What the fake server process reported when it stopped."""

    sent: int = 0
    refused: int = 0
    cpu_s: float = 0.0
    sample: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpRun:
    """One measured broadcast: deliveries, seconds, the bot's and the server's CPU seconds."""

    deliveries: int
    wall_s: float
    cpu_s: float
    server: ServerStats

    @property
    def per_s(self) -> float:
        return self.deliveries / self.wall_s

    @property
    def cpu_pct(self) -> float:
        return 100.0 * self.cpu_s / self.wall_s

    def describe(self) -> str:
        return (
            f"{self.deliveries:,} in {self.wall_s:.2f} s, bot CPU {self.cpu_pct:.0f}% "
            f"({1000 * self.cpu_s / self.deliveries:.2f} ms/send), server CPU "
            f"{1000 * self.server.cpu_s / max(self.server.sent, 1):.2f} ms/request"
        )


@asynccontextmanager
async def fake_server(stats: ServerStats) -> AsyncIterator[str]:
    """Start the fake Bot API in a child process; yield its base URL; fill `stats` when it stops."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.fake_telegram_process", TOKEN, cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if not line.strip().isdigit():
            raise BenchError(f"the fake Bot API process did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line)}/bot"
    finally:
        process.stdin.close()
        report = await asyncio.wait_for(process.stdout.readline(), 60)
        await process.wait()
        if report:
            data = json.loads(report)
            stats.sent, stats.refused, stats.cpu_s = data["sent"], data["refused"], data["cpu_s"]
            stats.sample = data["sample"]


async def plain_run(deliveries: int, concurrency: int, sample: dict[str, Any], client: str) -> HttpRun:
    """PTB `Bot.send_message` from a bounded gather: the message of `sample` to N private chats."""
    from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions

    from bot.platforms.telegram.platform import bot_request

    stats = ServerStats()
    async with fake_server(stats) as base_url:
        # PTB's default request for "httpx": `Bot()` builds HTTPXRequest() (pool 256) itself.
        request = None if client == "httpx" else bot_request("aiohttp", 256)
        bot = Bot(TOKEN, base_url=base_url, request=request)
        async with bot:
            markup = sample.get("reply_markup")
            preview = sample.get("link_preview_options")
            common: dict[str, Any] = {
                "text": sample["text"],
                "parse_mode": sample.get("parse_mode"),
                "reply_markup": InlineKeyboardMarkup.de_json(markup, bot) if markup else None,
                "link_preview_options": LinkPreviewOptions.de_json(preview, bot) if preview else None,
            }
            gate = asyncio.Semaphore(concurrency)

            async def send(chat: int) -> None:
                async with gate:
                    await bot.send_message(chat, **common)

            chats = [int(chat) for chat, _ in chat_mix(deliveries, 0)]
            start, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(send(chat) for chat in chats))
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if stats.sent != deliveries or stats.refused:
        raise BenchError(
            f"plain loop: the server accepted {stats.sent} of {deliveries} ({stats.refused} refused)"
        )
    return HttpRun(deliveries, wall, cpu, stats)


async def engine_run(
    deliveries: int, concurrency: int, client: HttpClient, profile: Callable[[], Any] | None = None
) -> HttpRun:
    """A real TelegramPlatform's sender driven by the engine: tick, claims, sends, recorded outcomes."""
    from bot.platforms.telegram.platform import TelegramPlatform

    stats = ServerStats()
    async with temporary_app("bench-http-", concurrency) as (app, posts_dir):
        async with fake_server(stats) as base_url:
            pacer = Pacer(NO_LIMITS)
            telegram = TelegramPlatform(
                token=TOKEN, commands=app.commands, services=app.services, clock=app.clock,
                zone=app.settings.zone, default_lang=app.settings.language, owners=frozenset(),
                base_url=base_url, pacer=pacer, http=client,
            )  # fmt: skip
            await telegram.application.initialize()  # getMe: the username read buttons link to
            try:
                dispatcher = app.add_platform(telegram.sender, pacer=pacer)
                await app.tick()  # the first scan, of an empty folder: from now on posts are new
                await add_destinations(app, chat_mix(deliveries, 0))
                (posts_dir / "http.md").write_text(
                    post_text("HTTP", "http", datetime.now(UTC), "Body & <b>tags</b>, 扩散模型."),
                    encoding="utf-8",
                )
                stop = asyncio.Event()
                sender = asyncio.create_task(dispatcher.run(stop))
                await asyncio.sleep(0.05)  # let it reach its idle wait, as in a running bot
                try:
                    with profile() if profile else contextlib.nullcontext():
                        await app.tick()
                        cpu = time.process_time()
                        await wait_until(lambda: dispatcher.sent >= deliveries, 900, "the sends", 0.002)
                        done, cpu = time.time(), time.process_time() - cpu
                finally:
                    stop.set()
                    await sender
            finally:
                await telegram.application.shutdown()
        statuses = await delivery_statuses(app)
        async with app.sessions() as session:
            lease = (await session.execute(select(func.min(Delivery.next_attempt_at)))).scalar_one()
    if statuses != {"sent": deliveries} or stats.sent != deliveries:
        raise BenchError(f"engine ({client}): deliveries {statuses}, the server accepted {stats.sent}")
    first_claim = (lease - SENDING_LEASE).timestamp()
    return HttpRun(deliveries, done - first_claim, cpu, stats)


def http(ctx: Context) -> list[Row]:
    """Deliveries/s over HTTP: plain PTB loop, engine with PTB's defaults, engine tuned."""
    n = QUICK_DELIVERIES if ctx.quick else DELIVERIES
    default = asyncio.run(engine_run(n, DEFAULT_CONCURRENCY, "httpx"))
    plain = asyncio.run(plain_run(n, PLAIN_CONCURRENCY, default.server.sample, "httpx"))
    runs = sorted(
        (asyncio.run(engine_run(n, TUNED_CONCURRENCY, "aiohttp")) for _ in range(TUNED_SAMPLES)),
        key=lambda run: run.per_s,
    )
    tuned = runs[len(runs) // 2]
    plain_ours = asyncio.run(plain_run(n, TUNED_CONCURRENCY, default.server.sample, "aiohttp"))
    setup = {"deliveries": n, "pacing": "off"}
    return [
        Row(
            "http_deliveries_per_s",
            tuned.per_s,
            "/s",
            target=TARGET_PER_S,
            baseline=default.per_s,
            higher_is_better=True,
            samples=[run.per_s for run in runs],
            note=f"engine, TELEGRAM_HTTP_CLIENT=aiohttp, SEND_CONCURRENCY={TUNED_CONCURRENCY}, fake Bot API "
            f"in another process, 1 post to {n:,} private chats, first claim → last recorded, median of "
            f"{TUNED_SAMPLES} ({', '.join(f'{run.per_s:,.0f}' for run in runs)} /s): {tuned.describe()}; "
            "baseline = the engine with PTB's default HTTPXRequest below",
            extra=setup
            | {"concurrency": TUNED_CONCURRENCY, "bot_cpu_pct": round(tuned.cpu_pct, 1), "client": "aiohttp"},
        ),
        Row(
            "http_engine_ptb_default_per_s",
            default.per_s,
            "/s",
            higher_is_better=True,
            samples=[default.per_s],
            note=f"the engine as it was: PTB's default HTTPXRequest (pool 256), SEND_CONCURRENCY="
            f"{DEFAULT_CONCURRENCY}: {default.describe()}",
            extra=setup
            | {
                "concurrency": DEFAULT_CONCURRENCY,
                "bot_cpu_pct": round(default.cpu_pct, 1),
                "client": "httpx",
            },
        ),
        Row(
            "http_plain_ptb_per_s",
            plain.per_s,
            "/s",
            higher_is_better=True,
            samples=[plain.per_s],
            note=f"no engine, no database: PTB Bot() (default HTTPXRequest) send_message, the same message, "
            f"asyncio.gather with {PLAIN_CONCURRENCY} in flight: {plain.describe()}",
            extra=setup
            | {"concurrency": PLAIN_CONCURRENCY, "bot_cpu_pct": round(plain.cpu_pct, 1), "client": "httpx"},
        ),
        Row(
            "http_plain_aiohttp_per_s",
            plain_ours.per_s,
            "/s",
            higher_is_better=True,
            record=False,
            note=f"the plain loop with our AiohttpRequest, {TUNED_CONCURRENCY} in flight (shown, not "
            f"recorded): {plain_ours.describe()}",
        ),
    ]
