"""The long-running bot: wait for leadership, start the platforms, run the cycle until stopped."""

from __future__ import annotations

import asyncio
import logging
import sys
from contextlib import AsyncExitStack
from typing import TextIO

from bot import metrics
from bot.app import App, ensure_console_destination
from bot.broadcast import outbox
from bot.content.safe_text import safe_name
from bot.health import HealthServer
from bot.index.indexer import ScanReport
from bot.leadership import Leader, leader_for, wait_for_leadership
from bot.platforms import registry
from bot.platforms.console.platform import ConsoleInput, ConsolePlatform
from bot.scheduler import Jobs

log = logging.getLogger(__name__)
LEADER_CHECK_SECONDS = 2.0


async def _open_platforms(app: App, stack: AsyncExitStack, out: TextIO) -> ConsolePlatform | None:
    """Start every platform the settings turn on; the console when no chat platform is."""
    chats = False
    for spec in registry.enabled(app.settings):
        assert spec.start is not None
        started = await spec.start(app, stack)
        app.add_platform(started.sender, pacer=started.pacer)
        chats = chats or spec.front_end
    if chats:
        return None
    console = ConsolePlatform(out, app.settings.zone)
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
                problems=app.cycle.problems,
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
        for dispatcher in app.dispatchers.values():  # a leader that just died may have filled them
            dispatcher.hold_for_others()
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
        lines.append("SITE_URL is not set: no links; readers open a post with /post <slug>.")
    lines += [f"refused post file {safe_name(path)}: {error}" for path, error in report.invalid]
    return "\n".join(lines)
