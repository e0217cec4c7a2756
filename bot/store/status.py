"""The numbers behind `status`: destinations, queue, outcomes, failures, what comes next.

The report is JSON as it is printed (`status --json`), typed key by key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Delivery, Destination, PaidUsage, PostRow
from bot.store.states import DeliveryStatus, DestinationMode, PostState

# Say what is wrong with a digest schedule (spec, zone), or None; the caller knows the rules.
ScheduleCheck = Callable[[str, str], str | None]


class Count(TypedDict):
    """A platform's destinations."""

    active: int
    disabled: int


class Where(TypedDict):
    """A destination, as status names it."""

    platform: str
    chat_id: str
    thread_id: str


class Disabled(Where):
    """A destination turned off, and why."""

    reason: str | None


class FailureLine(Where):
    """A delivery that failed, or failed once and waits to try again."""

    delivery: int
    kind: str
    status: str
    attempts: int
    error: str | None


class ScheduledPost(TypedDict):
    """A post waiting for its date."""

    slug: str
    at: str


class DigestLine(Where):
    """A digest destination: its schedule, its last digest, and what keeps it from coming, if anything."""

    schedule: str | None
    tz: str | None
    last: str | None
    problem: str | None


class StatusReport(TypedDict):
    """What `status` shows."""

    destinations: dict[str, Count]
    disabled: list[Disabled]
    queue: int
    sending: int
    queued_by_platform: dict[str, int]
    sent: int
    failed: int
    retrying: int
    last_failures: list[FailureLine]
    scheduled_posts: list[ScheduledPost]
    digests: list[DigestLine]
    paid_today: dict[str, int]  # paid broadcast sends counted today (UTC), by platform


def _no_check(spec: str, zone: str) -> str | None:
    return None


async def status(
    session: AsyncSession, now: datetime, failures: int = 10, check: ScheduleCheck = _no_check
) -> StatusReport:
    """Collect the engine's state as plain JSON-ready data; `check` finds broken digest schedules."""
    by_status = select(Delivery.status, func.count()).group_by(Delivery.status)
    counts: dict[str, int] = dict((await session.execute(by_status)).all())
    queued = sum(counts.get(state, 0) for state in DeliveryStatus.queued())
    return {
        "destinations": await _by_platform(session),
        "disabled": await _disabled(session, failures),
        "queue": queued,
        "sending": counts.get(DeliveryStatus.SENDING, 0),
        "queued_by_platform": await _queued_by_platform(session),
        "sent": counts.get(DeliveryStatus.SENT, 0),
        "failed": counts.get(DeliveryStatus.FAILED, 0),
        "retrying": await _retrying(session),
        "last_failures": await _last_failures(session, failures),
        "scheduled_posts": await _scheduled(session, now),
        "digests": await _digests(session, check),
        "paid_today": await _paid_today(session, now),
    }


async def _paid_today(session: AsyncSession, now: datetime) -> dict[str, int]:
    day = now.astimezone(UTC).date().isoformat()
    query = select(PaidUsage.platform, PaidUsage.messages).where(PaidUsage.day == day, PaidUsage.messages > 0)
    return dict((await session.execute(query)).all())


async def _by_platform(session: AsyncSession) -> dict[str, Count]:
    query = select(Destination.platform, Destination.active, func.count()).group_by(
        Destination.platform, Destination.active
    )
    by_platform: dict[str, Count] = {}
    for platform, active, count in await session.execute(query):
        counted = by_platform.setdefault(platform, {"active": 0, "disabled": 0})
        counted["active" if active else "disabled"] += count
    return by_platform


async def _disabled(session: AsyncSession, limit: int) -> list[Disabled]:
    query = select(Destination).where(Destination.active.is_(False)).limit(limit)
    return [{**_where(d), "reason": d.disabled_reason} for d in (await session.execute(query)).scalars()]


async def _queued_by_platform(session: AsyncSession) -> dict[str, int]:
    query = (
        select(Destination.platform, func.count())
        .join(Delivery, Delivery.destination_id == Destination.id)
        .where(Delivery.status.in_(DeliveryStatus.queued()))
        .group_by(Destination.platform)
    )
    return dict((await session.execute(query)).all())


async def _retrying(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.attempts > 0)
    )
    return int((await session.execute(query)).scalar_one())


async def _last_failures(session: AsyncSession, limit: int) -> list[FailureLine]:
    query = (
        select(Delivery, Destination)
        .join(Destination, Destination.id == Delivery.destination_id)
        .where(
            Delivery.last_error.is_not(None),
            Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.PENDING)),
        )
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    return [
        {
            **_where(destination),
            "delivery": d.id,
            "kind": d.kind,
            "status": d.status,
            "attempts": d.attempts,
            "error": d.last_error,
        }
        for d, destination in (await session.execute(query))
    ]


async def _scheduled(session: AsyncSession, now: datetime) -> list[ScheduledPost]:
    query = (
        select(PostRow.slug, PostRow.published_at)
        .where(PostRow.state == PostState.ACTIVE, PostRow.draft.is_(False), PostRow.published_at > now)
        .order_by(PostRow.published_at)
        .limit(10)
    )
    return [{"slug": slug, "at": at.isoformat()} for slug, at in (await session.execute(query))]


async def _digests(session: AsyncSession, check: ScheduleCheck) -> list[DigestLine]:
    query = select(Destination).where(
        Destination.mode == DestinationMode.DIGEST, Destination.active.is_(True)
    )
    return [
        {
            **_where(d),
            "schedule": d.digest_cron,
            "tz": d.digest_tz,
            "last": d.last_digest_at.isoformat() if d.last_digest_at else None,
            "problem": check(d.digest_cron or "", d.digest_tz or "UTC"),
        }
        for d in (await session.execute(query)).scalars()
    ]


def _where(destination: Destination) -> Where:
    return {
        "platform": destination.platform,
        "chat_id": destination.chat_id,
        "thread_id": destination.thread_id,
    }
