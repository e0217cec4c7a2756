"""The composition root: build every part from `Settings`, and run the bot."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.broadcast.outbox import AnnounceReport, announce_due, recover_in_flight
from bot.broadcast.platform import Platform
from bot.broadcast.sender import Sender
from bot.clock import Clock, SystemClock
from bot.commands import Commands
from bot.content.post_file import PostDefaults
from bot.index.indexer import Indexer, Progress, ScanReport
from bot.platforms.console.platform import CONSOLE_CHAT_ID, ConsoleInput, ConsolePlatform
from bot.settings import Settings
from bot.store.database import create_engine, session_factory, upgrade
from bot.store.models import Destination

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything the bot is made of, wired together."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    indexer: Indexer
    commands: Commands
    platforms: dict[str, Platform] = field(default_factory=dict)

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()

    async def prepare(self) -> None:
        """Bring the database schema up to date."""
        await upgrade(self.engine)

    async def scan(self, progress: Progress | None = None) -> ScanReport:
        """Index posts/ now."""
        return await self.indexer.scan(progress)

    async def announce(self) -> AnnounceReport:
        """Queue deliveries for posts that became visible since the last pass."""
        max_age = timedelta(seconds=self.settings.broadcast_max_age)
        async with self.sessions.begin() as session:
            return await announce_due(session, self.clock.now(), max_age)

    async def tick(self) -> ScanReport:
        """One cycle of the bot: scan, announce what is due, send what is queued."""
        report = await self.scan()
        for path, error in report.invalid:
            log.warning("invalid post %s: %s", path, error)
        await self.announce()
        await Sender(self.sessions, self.platforms, self.clock).send_due()
        return report


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
    )
    return App(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=sessions,
        indexer=Indexer(sessions, settings.posts_dir, defaults, clock),
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


async def run(app: App, stop: asyncio.Event, out: TextIO | None = None) -> None:
    """Run until `stop` is set: index, show the first page, then scan and send on a schedule."""
    out = out or sys.stdout
    settings = app.settings
    await app.prepare()
    console = ConsolePlatform(out, settings.zone)
    app.platforms.setdefault("console", console)
    await ensure_console_destination(app)
    async with app.sessions.begin() as session:
        await recover_in_flight(session, app.clock.now())
    report = await app.tick()
    out.write(_summary(app, report) + "\n\n")
    console.show(await app.commands.latest_page(1, settings.language))

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        app.tick,
        "interval",
        seconds=settings.scan_interval,
        id="scan",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.start()
    typed = ConsoleInput(console, app.commands.run, settings.language)
    reading = typed.attach()
    if reading:
        out.write("Type /help for commands.\n")
        out.flush()
    try:
        await stop.wait()
    finally:
        if reading:
            typed.detach()
        scheduler.shutdown(wait=False)


def _summary(app: App, report: ScanReport) -> str:
    settings = app.settings
    lines = [
        f"Incoming Transmission: {report.indexed} posts indexed from {settings.posts_dir}/ "
        f"({len(report.new)} new, {len(report.changed)} changed, {len(report.removed)} removed).",
        f"Platform: console (no TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN set); "
        f"scanning every {settings.scan_interval:g}s.",
    ]
    if not settings.site_url:
        lines.append("SITE_URL is not set: transmissions carry no link to the post.")
    lines += [f"invalid post {path}: {error}" for path, error in report.invalid]
    return "\n".join(lines)
