"""APScheduler jobs: the periodic scan, the file watcher, scheduled posts and digests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)
WATCH_DEBOUNCE_MS = 150


def last_fire(trigger: CronTrigger, after: datetime, now: datetime) -> datetime | None:
    """Return the latest time the schedule fired in (after, now], or None if it did not."""
    fired: datetime | None = None
    probe = after + timedelta(seconds=1)
    for _ in range(100_000):  # bounded: a per-minute schedule over two months
        upcoming = trigger.get_next_fire_time(None, probe)
        if upcoming is None or upcoming > now:
            break
        fired, probe = upcoming, upcoming + timedelta(seconds=1)
    return fired


class ScheduleError(ValueError):
    """A schedule a chat cannot have; `key` names the phrase that explains why (bot.content.i18n)."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(_PLAIN[key].format(**values))  # the CLI prints it as it is; chats use `key`
        self.key = key
        self.values = values


# Operator wording (the CLI); chats get the phrase named by the key, in their language.
_PLAIN = {
    "missing_time": "missing time: use HH:MM or a five-field cron expression",
    "unexpected": "unexpected {extra!r} after the time zone",
    "unknown_zone": "unknown time zone {zone!r}: use an IANA name such as Europe/Berlin or UTC",
    "bad_time": "bad time {time!r}: use 24-hour HH:MM, e.g. 09:30",
    "bad_cron": "bad cron expression {cron!r}: five fields, minute hour day month weekday",
    "too_frequent": "{schedule!r} is too frequent: a digest comes at most once an hour",
}
MIN_DIGEST_INTERVAL = timedelta(hours=1)
# More than 24 fires in a day would break the hourly minimum, so this many consecutive fires show
# every gap a cron pattern can have (its minute and hour fields repeat daily).
_GAP_PROBES = 50


def parse_schedule(spec: str, zone: str) -> CronTrigger:
    """Turn `HH:MM` or a five-field cron expression into a trigger in `zone`; ScheduleError if bad."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("unknown_zone", zone=zone) from None
    spec = spec.strip()
    if ":" in spec and " " not in spec:
        hour, _, minute = spec.partition(":")
        if not (
            hour.isascii()
            and minute.isascii()
            and hour.isdigit()
            and minute.isdigit()
            and int(hour) < 24
            and int(minute) < 60
        ):
            raise ScheduleError("bad_time", time=spec)
        return CronTrigger(hour=int(hour), minute=int(minute), timezone=tz)
    if len(spec.split()) != 5:
        raise ScheduleError("bad_cron", cron=spec)
    try:
        return CronTrigger.from_crontab(spec, timezone=tz)
    except (ValueError, KeyError):
        raise ScheduleError("bad_cron", cron=spec) from None


def shortest_gap(trigger: CronTrigger, start: datetime) -> timedelta | None:
    """Return the shortest time between consecutive fires of `trigger` (None: fires at most once)."""
    fires: list[datetime] = []
    probe: datetime | None = start
    while probe is not None and len(fires) < _GAP_PROBES:
        fire = trigger.get_next_fire_time(None, probe)
        if fire is None:
            break
        fires.append(fire)
        probe = fire + timedelta(seconds=1)
    gaps = [later - earlier for earlier, later in pairwise(fires)]
    return min(gaps) if gaps else None


def parse_digest_schedule(spec: str, zone: str, now: datetime) -> CronTrigger:
    """Parse a digest schedule and refuse one that fires more often than `MIN_DIGEST_INTERVAL`."""
    trigger = parse_schedule(spec, zone)
    gap = shortest_gap(trigger, now)
    if gap is not None and gap < MIN_DIGEST_INTERVAL:
        raise ScheduleError("too_frequent", schedule=spec)
    return trigger


def next_fire(trigger: CronTrigger, after: datetime) -> datetime | None:
    """Return the first fire strictly after `after`, in UTC."""
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return fire.astimezone(UTC) if fire is not None else None


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
