"""The composition root: build every part from `Settings`, and run the bot."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import digests, metrics
from bot.broadcast import outbox
from bot.broadcast.dispatcher import Dispatcher, EngineSettings
from bot.broadcast.pacing import DISCORD_LIMITS, NO_LIMITS, TELEGRAM_LIMITS, Limits, Pacer, Window
from bot.broadcast.platform import Platform
from bot.clock import Clock, SystemClock
from bot.commands import Commands
from bot.content.post_file import PostDefaults
from bot.content.safe_text import safe_name
from bot.health import HealthServer
from bot.index.indexer import FIRST_SCAN_KEY, Indexer, Progress, ScanReport
from bot.index.parser_pool import ParserPool, PoolLimits, default_workers
from bot.leadership import Leader, leader_for, wait_for_leadership
from bot.platforms.console.platform import CONSOLE_CHAT_ID, ConsoleInput, ConsolePlatform
from bot.preflight import check_posts_dir
from bot.scheduler import Jobs
from bot.settings import Settings
from bot.store.database import create_engine, session_factory, upgrade
from bot.store.models import Destination, MetaValue, PostRow

if TYPE_CHECKING:
    from bot.platforms.discord.platform import DiscordPlatform

log = logging.getLogger(__name__)
LEADER_CHECK_SECONDS = 2.0
SCAN_FAILURES_UNHEALTHY = 3


@dataclass
class App:
    """Everything the bot is made of, wired together."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    indexer: Indexer
    commands: Commands
    dispatchers: dict[str, Dispatcher] = field(default_factory=dict)
    jobs: Jobs | None = None
    # The watcher, the interval job and the publish job may fire together; cycles take turns.
    _cycle: asyncio.Lock = field(default_factory=asyncio.Lock)
    scan_failures: int = 0  # scans failed in a row (not files refused: the scan itself)
    last_scan_error: str | None = None
    _ever_indexed: bool | None = None  # whether a first index happened before; asked once
    _scheduled_said: dict[str, datetime] = field(default_factory=dict)  # logged "scheduled for"

    def problems(self) -> list[str]:
        """Return what /healthz should report beyond the database and the scheduler."""
        if self.scan_failures >= SCAN_FAILURES_UNHEALTHY:
            return [f"scan failing ({self.scan_failures} in a row): {self.last_scan_error}"]
        return []

    async def close(self) -> None:
        """Stop the parser processes and release the database connections."""
        self.indexer.close()
        await self.engine.dispose()

    async def prepare(self) -> None:
        """Bring the database schema up to date."""
        await upgrade(self.engine)

    def add_platform(
        self, platform: Platform, limits: Limits | None = None, pacer: Pacer | None = None
    ) -> Dispatcher:
        """Register a platform adapter and the dispatcher that paces its sends.

        Pass the `pacer` its command replies use, so replies and transmissions share the limits.
        """
        dispatcher = Dispatcher(
            self.sessions,
            platform,
            pacer or Pacer(limits or self.limits_for(platform.name)),
            self.clock,
            EngineSettings(concurrency=self.settings.send_concurrency, lang=self.settings.language),
        )
        self.dispatchers[platform.name] = dispatcher
        return dispatcher

    def limits_for(self, name: str) -> Limits:
        """Return the configured limits of a platform (defaults from the platforms' own docs)."""
        s = self.settings
        if name == "telegram":
            return Limits(
                overall=Window(max(int(s.telegram_global_per_s), 1), 1.0),
                per_chat=Window(1, 1.0 / s.telegram_chat_per_s),
                per_group=Window(max(int(s.telegram_group_per_min), 1), 60.0),
            )
        if name == "discord":
            return Limits(
                overall=Window(max(int(s.discord_global_per_s), 1), 1.0),
                per_chat=Window(max(int(s.discord_channel_per_5s), 1), 5.0),
            )
        return NO_LIMITS if name == "console" else TELEGRAM_LIMITS if name == "telegram" else DISCORD_LIMITS

    async def scan(self, progress: Progress | None = None, *, rederive: bool = False) -> ScanReport:
        """Index posts/ now; `rederive` derives every stored post again from its file."""
        return await self.indexer.scan(progress, rederive=rederive)

    async def announce(self) -> outbox.AnnounceReport:
        """Queue deliveries for new posts, edits for changed ones, deletes for removed ones."""
        now = self.clock.now()
        async with self.sessions.begin() as session:
            report = await outbox.announce_due(
                session,
                now,
                timedelta(seconds=self.settings.broadcast_max_age),
                self.settings.collapse_after,
                self.settings.page_size,
            )
            await outbox.queue_edits(session, now, self.settings.delete_removed)
        return report

    async def tick(self) -> ScanReport:
        """One cycle: scan, queue what became due, wake the senders, plan the next wake-ups."""
        async with self._cycle:
            return await self._tick()

    async def _tick(self) -> ScanReport:
        started = time.perf_counter()
        try:
            check_posts_dir(self.settings)  # unmounted while running: a failed scan, the store kept
            if self._ever_indexed is None:
                async with self.sessions() as session:
                    self._ever_indexed = await session.get(MetaValue, FIRST_SCAN_KEY) is not None
            report = await self.scan(self.commands.index.progress)
        except Exception as exc:  # a database or disk failure: keep the bot up, say so in /healthz
            self.scan_failures += 1
            self.last_scan_error = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            log.error("scan failed (%d in a row): %s", self.scan_failures, self.last_scan_error)
            return ScanReport()
        self.scan_failures, self.last_scan_error = 0, None
        metrics.SCAN_SECONDS.set(time.perf_counter() - started)
        metrics.LAST_SCAN.set(self.clock.now().timestamp())
        metrics.POSTS_INDEXED.set(report.indexed)
        metrics.INVALID_POSTS.set(len(report.invalid))
        # Each refusal is logged when it begins and when it ends, not on every scan.
        for path, error in report.newly_invalid:
            log.warning("refused post file %s: %s", safe_name(path), error)
        for path in report.fixed:
            log.info("post file %s is no longer refused", safe_name(path))
        if not self._ever_indexed:
            self._ever_indexed = True
            log.info(
                "broadcast: first index, so the posts already published are recorded, not sent "
                "(`run --backfill N` sends the newest N)"
            )
        await self.announce()
        await self._say_scheduled()
        await self.check_digests()
        for dispatcher in self.dispatchers.values():
            dispatcher.wake()
        if self.jobs is not None:
            self.jobs.publish_at(await self.next_scheduled())
            await self.plan_digests()
        return report

    async def _say_scheduled(self) -> None:
        """Log each future-dated post once: "scheduled for T" (again only if T changes)."""
        async with self.sessions() as session:
            waiting = dict(await outbox.scheduled(session, self.clock.now()))
        for slug, at in waiting.items():
            if self._scheduled_said.get(slug) != at:
                log.info(
                    "broadcast %r: scheduled for %s", slug, at.astimezone(self.settings.zone).isoformat()
                )
        self._scheduled_said = waiting

    async def next_scheduled(self) -> datetime | None:
        """Return when the next future-dated post becomes visible."""
        async with self.sessions() as session:
            query = select(func.min(PostRow.published_at)).where(
                PostRow.state == "active",
                PostRow.draft.is_(False),
                PostRow.announced_at.is_(None),
                PostRow.published_at > self.clock.now(),
            )
            return (await session.execute(query)).scalar()

    async def check_digests(self) -> int:
        """Queue the digests that are due (one indexed query, see bot.digests)."""
        async with self.sessions.begin() as session:
            queued = await digests.queue_due(session, self.clock.now(), self.settings.page_size)
        if queued:
            for dispatcher in self.dispatchers.values():
                dispatcher.wake()
        return queued

    async def plan_digests(self) -> None:
        """Keep one job that wakes when the earliest digest is due, so digests go out on time."""
        if self.jobs is None:
            return
        async with self.sessions() as session:
            moment = await digests.next_due(session)
        self.jobs.digest_at(moment, self._digest_job)

    async def _digest_job(self) -> None:
        await self.check_digests()
        await self.plan_digests()

    def wake(self) -> None:
        """Tell every dispatcher that new deliveries are queued."""
        for dispatcher in self.dispatchers.values():
            dispatcher.wake()

    async def drain(self) -> int:
        """Send everything that may go now on every platform (tests and one-shot use)."""
        return sum([await dispatcher.drain() for dispatcher in self.dispatchers.values()])


def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Build the object graph from settings; nothing connects until it is used."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    defaults = PostDefaults(
        timezone=settings.zone,
        site_url=settings.site_url,
        max_bytes=settings.max_post_bytes,
        excerpt_chars=settings.excerpt_chars,
        permalink=settings.permalink,
        include=settings.include_globs,
        exclude=settings.exclude_globs,
    )
    limits = PoolLimits(
        workers=default_workers(), timeout=settings.parse_timeout, memory_mb=settings.parser_memory_mb
    )
    return App(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=sessions,
        indexer=Indexer(sessions, settings.posts_dir, defaults, clock, ParserPool(limits)),
        commands=Commands(sessions, clock, settings.page_size),
    )


async def ensure_console_destination(app: App) -> None:
    """Subscribe the terminal, so that the console platform shows new transmissions."""
    async with app.sessions.begin() as session:
        query = select(Destination).where(
            Destination.platform == "console", Destination.chat_id == CONSOLE_CHAT_ID
        )
        if (await session.execute(query)).scalar() is None:
            session.add(
                Destination(
                    platform="console",
                    chat_id=CONSOLE_CHAT_ID,
                    thread_id="",
                    title="terminal",
                    kind="private",
                    mode="instant",
                    categories=[],
                    created_at=app.clock.now(),
                )
            )


def discord_platform(app: App, gateway: bool = True) -> DiscordPlatform:
    """Build the Discord platform from settings (imported lazily: discord.py is heavy)."""
    from bot.platforms.discord.platform import DiscordPlatform

    settings = app.settings
    assert settings.discord_bot_token is not None
    return DiscordPlatform(
        token=settings.discord_bot_token.get_secret_value(),
        commands=app.commands,
        sessions=app.sessions,
        clock=app.clock,
        zone=settings.zone,
        default_lang=settings.language,
        wake=app.wake,
        guild_id=settings.discord_guild_id,
        api_base_url=settings.discord_api_base_url,
        gateway=gateway,
    )


async def _open_platforms(app: App, stack: AsyncExitStack, out: TextIO) -> ConsolePlatform | None:
    """Start the platforms that have tokens; the console one when none has."""
    settings = app.settings
    console: ConsolePlatform | None = None
    if settings.telegram_bot_token is not None:
        from bot.platforms.telegram.platform import TelegramPlatform

        secret = settings.telegram_webhook_secret
        telegram = TelegramPlatform(
            token=settings.telegram_bot_token.get_secret_value(),
            commands=app.commands,
            sessions=app.sessions,
            clock=app.clock,
            zone=settings.zone,
            default_lang=settings.language,
            owners=settings.owners,
            wake=app.wake,
            base_url=settings.telegram_base_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_host=settings.telegram_webhook_host,
            webhook_port=settings.telegram_webhook_port,
            webhook_secret=secret.get_secret_value() if secret else None,
            pacer=Pacer(app.limits_for("telegram")),
        )
        await telegram.start()
        stack.push_async_callback(telegram.stop)
        app.add_platform(telegram.sender, pacer=telegram.pacer)
    if settings.discord_bot_token is not None:
        discord = discord_platform(app)
        await discord.start()
        stack.push_async_callback(discord.stop)
        app.add_platform(discord.sender)
    if not app.dispatchers:
        console = ConsolePlatform(out, settings.zone)
        app.add_platform(console)
        await ensure_console_destination(app)
    return console


class LeadershipLost(RuntimeError):
    """The leader lock's connection died: another replica may lead now, so this one stops."""


async def _watch_leadership(leader: Leader, stop: asyncio.Event, lost: list[bool]) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), LEADER_CHECK_SECONDS)
        except TimeoutError:
            if not await leader.still_leader():
                log.error("lost the leader lock; stopping so that a standby can take over")
                lost.append(True)
                stop.set()


async def run(app: App, stop: asyncio.Event, out: TextIO | None = None, backfill: int = 0) -> None:
    """Run until `stop` is set: index, show the first page, then scan and send on a schedule.

    Only the leader runs: a second replica on the same database waits here until the leader
    is gone, then takes over (the outbox makes the hand-over lossless).
    """
    out = out or sys.stdout
    settings = app.settings
    role = ["standby"]
    async with AsyncExitStack() as outer:
        if settings.http_port:
            health = HealthServer(
                app.sessions,
                lambda: role[0],
                lambda: bool(app.jobs and app.jobs.scheduler.running),
                settings.http_host,
                settings.http_port,
                problems=app.problems,
            )
            try:
                await health.start()
                outer.push_async_callback(health.stop)
            except OSError as exc:
                log.error("health and metrics port %s unavailable: %s", settings.http_port, exc)
        leader = leader_for(settings.database_url)
        if not await wait_for_leadership(leader, stop):
            return
        role[0] = "leader"
        metrics.LEADER.set(1)
        await _lead(app, stop, out, backfill, leader)


async def _lead(app: App, stop: asyncio.Event, out: TextIO, backfill: int, leader: Leader) -> None:
    """Run everything that must run once, while holding the leader lock."""
    settings = app.settings
    lost: list[bool] = []
    async with AsyncExitStack() as stack:
        stack.push_async_callback(leader.release)
        watchdog = asyncio.create_task(_watch_leadership(leader, stop, lost))
        stack.callback(watchdog.cancel)
        await app.prepare()  # migrations run on the leader only
        console = await _open_platforms(app, stack, out)
        async with app.sessions.begin() as session:
            recovered = await outbox.recover_in_flight(session, app.clock.now())
        if recovered:
            log.info("%d deliveries were in flight at the last stop; sending them again", recovered)
        app.jobs = Jobs(app.tick, settings.scan_interval)
        if settings.watch and settings.posts_dir.is_dir():
            # Watch before the first scan, so a file saved during it still triggers a scan.
            app.jobs.watch(settings.posts_dir)
        report = await app.tick()
        if backfill:
            async with app.sessions.begin() as session:
                queued = await outbox.backfill(session, app.clock.now(), backfill)
            log.info("backfill: %d deliveries queued", queued)
        out.write(_summary(app, report) + "\n\n")
        (console or ConsolePlatform(out, settings.zone)).show(
            await app.commands.latest_page(1, settings.language)
        )
        senders = [asyncio.create_task(d.run(stop)) for d in app.dispatchers.values()]
        app.jobs.start()
        typed = ConsoleInput(console, app.commands.run, settings.language) if console else None
        reading = typed.attach() if typed else False
        if reading:
            out.write("Type /help for commands.\n")
        out.flush()
        try:
            await stop.wait()
        finally:
            if typed is not None and reading:
                typed.detach()
            app.jobs.stop()
            # SIGTERM: the senders finish what is in flight, record it, then return.
            await asyncio.gather(*senders, return_exceptions=True)
    if lost:
        raise LeadershipLost("the leader lock was lost")


def _summary(app: App, report: ScanReport) -> str:
    settings = app.settings
    names = ", ".join(app.dispatchers) or "none"
    lines = [
        f"Incoming Transmission: {report.indexed} posts indexed from {settings.posts_dir}/ "
        f"({len(report.new)} new, {len(report.changed)} changed, {len(report.removed)} removed).",
        f"Platforms: {names}; scanning every {settings.scan_interval:g}s"
        + (" and on every file change." if settings.watch else "."),
    ]
    if "console" in app.dispatchers:
        lines.append("No TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN set: transmissions print here.")
    if not settings.site_url:
        lines.append("SITE_URL is not set: transmissions carry no link to the post.")
    lines += [f"invalid post {path}: {error}" for path, error in report.invalid]
    return "\n".join(lines)
