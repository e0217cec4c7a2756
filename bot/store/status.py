"""The numbers behind `status`: destinations, queue, outcomes, failures, what comes next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Delivery, Destination, PostRow


async def status(session: AsyncSession, now: datetime, failures: int = 10) -> dict[str, Any]:
    """Collect the engine's state as plain JSON-ready data."""
    by_state: dict[str, dict[str, int]] = {}
    query = select(Destination.platform, Destination.active, func.count()).group_by(
        Destination.platform, Destination.active
    )
    for platform, active, count in (await session.execute(query)).all():
        by_state.setdefault(platform, {"active": 0, "disabled": 0})["active" if active else "disabled"] += (
            count
        )
    counts = dict(
        (await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all()
    )
    queued_by_platform = dict(
        (
            await session.execute(
                select(Destination.platform, func.count())
                .join(Delivery, Delivery.destination_id == Destination.id)
                .where(Delivery.status.in_(("pending", "sending")))
                .group_by(Destination.platform)
            )
        ).all()
    )
    retrying = (
        await session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == "pending", Delivery.attempts > 0)
        )
    ).scalar_one()
    last_failures = (
        await session.execute(
            select(Delivery, Destination)
            .join(Destination, Destination.id == Delivery.destination_id)
            .where(Delivery.last_error.is_not(None), Delivery.status.in_(("failed", "pending")))
            .order_by(Delivery.id.desc())
            .limit(failures)
        )
    ).all()
    scheduled = (
        await session.execute(
            select(PostRow.slug, PostRow.published_at)
            .where(PostRow.state == "active", PostRow.draft.is_(False), PostRow.published_at > now)
            .order_by(PostRow.published_at)
            .limit(10)
        )
    ).all()
    digests = (
        await session.execute(
            select(Destination).where(Destination.mode == "digest", Destination.active.is_(True))
        )
    ).scalars()
    disabled = (
        await session.execute(select(Destination).where(Destination.active.is_(False)).limit(failures))
    ).scalars()
    return {
        "destinations": by_state,
        "disabled": [_destination(d) | {"reason": d.disabled_reason} for d in disabled],
        "queue": int(counts.get("pending", 0)) + int(counts.get("sending", 0)),
        "sending": int(counts.get("sending", 0)),
        "queued_by_platform": {platform: int(count) for platform, count in queued_by_platform.items()},
        "sent": int(counts.get("sent", 0)),
        "failed": int(counts.get("failed", 0)),
        "retrying": int(retrying),
        "last_failures": [
            {
                "delivery": d.id,
                "kind": d.kind,
                "status": d.status,
                "attempts": d.attempts,
                "error": d.last_error,
            }
            | _destination(dest)
            for d, dest in last_failures
        ],
        "scheduled_posts": [{"slug": slug, "at": at.isoformat()} for slug, at in scheduled],
        "digests": [
            _destination(d) | {"schedule": d.digest_cron, "tz": d.digest_tz, "last": _iso(d.last_digest_at)}
            for d in digests
        ],
    }


def _destination(destination: Destination) -> dict[str, Any]:
    return {
        "platform": destination.platform,
        "chat_id": destination.chat_id,
        "thread_id": destination.thread_id,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
