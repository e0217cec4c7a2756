"""Digest schedules: `HH:MM` or a five-field cron expression in an IANA zone, checked and computed.

This module parses and computes; it runs nothing. APScheduler's `CronTrigger` is used as a
library (a value that says when a schedule fires: no I/O, no event loop, no clock of its own), so
subscriptions, the digest planner and the CLI parse schedules here without importing the
scheduler runtime (`bot.scheduler`, which owns the running jobs). It cannot live in `bot/content`,
whose purity check refuses `apscheduler`; it sits at the bottom of the service layer and imports
nothing of the bot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger


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


def parse_digest(words: list[str], default_tz: str = "UTC", now: datetime | None = None) -> tuple[str, str]:
    """Read `HH:MM [zone]` or `m h dom mon dow [zone]`; raise ScheduleError saying why not.

    A digest may not come more often than once an hour.
    """
    if not words:
        raise ScheduleError("missing_time")
    if ":" in words[0]:
        spec, rest = words[0], words[1:]
    else:
        spec, rest = " ".join(words[:5]), words[5:]
    zone = rest[0] if rest else default_tz
    if len(rest) > 1:
        raise ScheduleError("unexpected", extra=" ".join(rest[1:])[:64])
    parse_digest_schedule(spec, zone, now or datetime.now(UTC))
    return spec, zone
