"""The scan/publish cycle: scan, queue what became due, wake the senders, plan the next wake-ups."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import metrics
from bot.broadcast import outbox
from bot.content.safe_text import safe_name
from bot.index.indexer import FIRST_SCAN_KEY, ScanReport
from bot.preflight import check_posts_dir
from bot.services import digests
from bot.store import meta

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
SCAN_FAILURES_UNHEALTHY = 3


class PublishCycle:
    """One cycle at a time, whoever starts it (the watcher, the interval job, the publish job)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = asyncio.Lock()
        self.scan_failures = 0  # scans failed in a row (not files refused: the scan itself)
        self.last_scan_error: str | None = None
        self._ever_indexed: bool | None = None  # whether a first index happened before; asked once
        self._scheduled_said: dict[str, datetime] = {}  # posts already logged as "scheduled for"
        self._readings_task: asyncio.Task[int] | None = None

    def problems(self) -> list[str]:
        """Return what /healthz should report beyond the database and the scheduler."""
        if self.scan_failures >= SCAN_FAILURES_UNHEALTHY:
            return [f"scan failing ({self.scan_failures} in a row): {self.last_scan_error}"]
        return []

    async def announce(self) -> outbox.AnnounceReport:
        """Queue deliveries for new posts, edits for changed ones, deletes for removed ones."""
        now = self.app.clock.now()
        async with self.app.sessions.begin() as session:
            report = await outbox.announce_due(
                session,
                now,
                timedelta(seconds=self.app.settings.broadcast_max_age),
                self.app.settings.collapse_after,
                self.app.settings.page_size,
            )
            await outbox.queue_edits(session, now, self.app.settings.delete_removed)
        return report

    async def tick(self) -> ScanReport:
        """One cycle: scan, queue what became due, wake the senders, plan the next wake-ups."""
        async with self._lock:
            return await self._tick()

    async def _tick(self) -> ScanReport:
        started = time.perf_counter()
        try:
            check_posts_dir(self.app.settings)  # unmounted while running: a failed scan, the store kept
            if self._ever_indexed is None:
                async with self.app.sessions() as session:
                    self._ever_indexed = await meta.get(session, FIRST_SCAN_KEY) is not None
            report = await self.app.indexer.scan(self.app.commands.index.progress)
        except Exception as exc:  # a database or disk failure: keep the bot up, say so in /healthz
            self.scan_failures += 1
            self.last_scan_error = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            log.error("scan failed (%d in a row): %s", self.scan_failures, self.last_scan_error)
            return ScanReport()
        self.scan_failures, self.last_scan_error = 0, None
        metrics.SCAN_SECONDS.set(time.perf_counter() - started)
        metrics.LAST_SCAN.set(self.app.clock.now().timestamp())
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
        self._edit_readings()
        await self._say_scheduled()
        await self.check_digests()
        for dispatcher in self.app.dispatchers.values():
            dispatcher.wake()
        if self.app.jobs is not None:
            self.app.jobs.publish_at(await self.next_scheduled())
            await self.plan_digests()
        return report

    async def _say_scheduled(self) -> None:
        """Log each future-dated post once: "scheduled for T" (again only if T changes)."""
        async with self.app.sessions() as session:
            waiting = dict(await outbox.scheduled(session, self.app.clock.now()))
        for slug, at in waiting.items():
            if self._scheduled_said.get(slug) != at:
                log.info(
                    "broadcast %r: scheduled for %s", slug, at.astimezone(self.app.settings.zone).isoformat()
                )
        self._scheduled_said = waiting

    async def next_scheduled(self) -> datetime | None:
        """Return when the next future-dated post becomes visible."""
        async with self.app.sessions() as session:
            soonest = await outbox.scheduled(session, self.app.clock.now(), limit=1)
        return soonest[0][1] if soonest else None

    async def check_digests(self) -> int:
        """Queue the digests that are due (one indexed query, see bot.services.digests)."""
        async with self.app.sessions.begin() as session:
            queued = await digests.queue_due(session, self.app.clock.now(), self.app.settings.page_size)
        if queued:
            for dispatcher in self.app.dispatchers.values():
                dispatcher.wake()
        return queued

    async def plan_digests(self) -> None:
        """Keep one job that wakes when the earliest digest is due, so digests go out on time."""
        if self.app.jobs is None:
            return
        async with self.app.sessions() as session:
            moment = await digests.next_due(session)
        self.app.jobs.digest_at(moment, self._digest_job)

    async def _digest_job(self) -> None:
        await self.check_digests()
        await self.plan_digests()

    def _edit_readings(self) -> None:
        """Bring readers' copies of changed posts up to date, beside the cycle (edits wait on chats)."""
        if self._readings_task is not None and not self._readings_task.done():
            return
        senders = {name: dispatcher.sender for name, dispatcher in self.app.dispatchers.items()}
        self._readings_task = asyncio.create_task(self.app.services.readings.edit_changed(senders))

    def wake(self) -> None:
        """Tell every dispatcher that new deliveries are queued."""
        for dispatcher in self.app.dispatchers.values():
            dispatcher.wake()
