"""APScheduler jobs: the periodic scan, the file watcher, scheduled posts and digests.

The runtime only: parsing and computing digest schedules is `bot.services.schedules`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)
WATCH_DEBOUNCE_MS = 150


class Jobs:
    """Own the scheduler and the jobs the bot needs; everything runs in the bot's event loop."""

    def __init__(self, tick: Callable[[], Awaitable[object]], scan_interval: float) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._tick = tick
        self._watcher: asyncio.Task[None] | None = None
        self.scheduler.add_job(
            tick,
            "interval",
            seconds=scan_interval,
            id="scan",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def start(self) -> None:
        """Start running jobs."""
        self.scheduler.start()

    def stop(self) -> None:
        """Stop the scheduler and the watcher."""
        if self._watcher is not None:
            self._watcher.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def publish_at(self, moment: datetime | None) -> None:
        """Run a cycle when the next scheduled post's time comes (overdue: at once)."""
        if moment is None:
            if self.scheduler.get_job("publish"):
                self.scheduler.remove_job("publish")
            return
        self.scheduler.add_job(
            self._tick,
            DateTrigger(run_date=moment),
            id="publish",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def digest_at(self, moment: datetime | None, check: Callable[[], Awaitable[object]]) -> None:
        """Run `check` when the earliest digest is due (one job, whatever the number of digests)."""
        if moment is None:
            if self.scheduler.get_job("digest"):
                self.scheduler.remove_job("digest")
            return
        existing = self.scheduler.get_job("digest")
        if existing is not None and existing.next_run_time == moment:
            return
        self.scheduler.add_job(
            check,
            DateTrigger(run_date=moment),
            id="digest",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def watch(self, folder: Path) -> None:
        """Trigger a cycle within about a second of a change under `folder`."""
        self._watcher = asyncio.get_running_loop().create_task(self._watch(folder))

    async def _watch(self, folder: Path) -> None:
        from watchfiles import awatch

        try:
            async for _changes in awatch(folder, debounce=WATCH_DEBOUNCE_MS, step=50, recursive=True):
                try:
                    await self._tick()
                except Exception:
                    log.exception("scan after a file change failed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("file watcher stopped; the periodic scan goes on")
