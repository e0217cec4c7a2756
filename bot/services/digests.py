"""Digests on a due-time index: each digest destination keeps when it is next due.

One indexed query finds the due ones and one scheduler job wakes at the earliest due time, so
a digest costs the same whether ten or ten thousand chats subscribe (the old way ran one job per
destination, and each job checked every destination).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.broadcast import outbox
from bot.services.schedules import MIN_DIGEST_INTERVAL, ScheduleError, last_fire, next_fire, parse_schedule
from bot.store.models import Destination
from bot.store.states import DestinationMode

log = logging.getLogger(__name__)
BROKEN_RETRY = timedelta(days=1)  # a schedule that no longer parses is looked at again daily
BATCH = 1000


def _digests() -> list[ColumnElement[bool]]:
    return [Destination.active.is_(True), Destination.mode == DestinationMode.DIGEST]


def _next_due(destination: Destination, after: datetime) -> datetime:
    """Return when `destination` is next due after `after`."""
    try:
        trigger = parse_schedule(destination.digest_cron or "", destination.digest_tz or "UTC")
    except ScheduleError as exc:
        log.warning("digest destination %s has a broken schedule: %s", destination.id, exc)
        return after + BROKEN_RETRY
    fire = next_fire(trigger, after)
    return fire if fire is not None else after + BROKEN_RETRY


def schedule_problem(spec: str, zone: str) -> str | None:
    """Say why a stored schedule can't be planned (status shows it), or None when it can."""
    try:
        parse_schedule(spec, zone)
    except ScheduleError as exc:
        return str(exc)
    return None


async def plan_new(session: AsyncSession) -> int:
    """Give every digest destination without a due time one (new, changed, or from before 0002)."""
    query = select(Destination).where(*_digests(), Destination.next_digest_at.is_(None)).limit(BATCH)
    planned = 0
    while rows := (await session.execute(query)).scalars().all():
        for destination in rows:
            destination.next_digest_at = _next_due(
                destination, destination.last_digest_at or destination.created_at
            )
        planned += len(rows)
        await session.flush()
    return planned


async def queue_due(session: AsyncSession, now: datetime, page_size: int) -> int:
    """Queue the digests that are due at `now` and move each destination's due time on."""
    await plan_new(session)
    query = (
        select(Destination)
        .where(*_digests(), Destination.next_digest_at <= now)
        .order_by(Destination.next_digest_at)
        .limit(BATCH)
    )
    queued = 0
    while rows := (await session.execute(query)).scalars().all():
        for destination in rows:
            due = destination.next_digest_at
            assert due is not None
            try:
                trigger = parse_schedule(destination.digest_cron or "", destination.digest_tz or "UTC")
            except ScheduleError:
                destination.next_digest_at = _next_due(destination, now)
                continue
            # The latest fire not after now (a bot that was down sends one digest, not many).
            fired = last_fire(trigger, due - timedelta(seconds=1), now) or due
            queued += await outbox.queue_digest(session, destination, fired, now, page_size)
            # Chats can't choose schedules under the minimum; this holds it for rows stored before
            # the rule, or added by an operator, too.
            soonest = fired + MIN_DIGEST_INTERVAL - timedelta(seconds=1)
            destination.next_digest_at = _next_due(destination, max(now, soonest))
        await session.flush()
    return queued


async def next_due(session: AsyncSession) -> datetime | None:
    """Return the earliest due time of any digest (None: no digest destinations)."""
    query = select(func.min(Destination.next_digest_at)).where(*_digests())
    return (await session.execute(query)).scalar()
