"""The outbox: decide what is due, write one delivery row per destination, claim and record them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Delivery, Destination, PostRow
from bot.store.posts import published

# A row left in 'sending' this long was in flight when the process died: send it again.
SENDING_LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AnnounceReport:
    """What one announcement pass did."""

    announced: int
    skipped_old: int
    deliveries: int


def post_key(post_id: int, destination_id: int, kind: str, version: int) -> str:
    """Return the dedupe key of a post delivery: one per (post, destination, kind, post version)."""
    return f"post:{post_id}:{destination_id}:{kind}:{version}"


def _matches(destination: Destination, category: str) -> bool:
    wanted = destination.categories or []
    return not wanted or category.casefold() in {c.casefold() for c in wanted}


async def announce_due(session: AsyncSession, now: datetime, max_age: timedelta) -> AnnounceReport:
    """Queue deliveries for every post that became visible and was never announced.

    Runs in the caller's transaction, so discovering a post and queueing its deliveries commit
    together. A post already older than `max_age` when first seen (a late-mounted folder, a
    restored backup) is marked announced without being sent anywhere.
    """
    query = (
        select(PostRow)
        .where(published(now), PostRow.announced_at.is_(None))
        .order_by(PostRow.published_at, PostRow.id)
    )
    due = (await session.execute(query)).scalars().all()
    if not due:
        return AnnounceReport(0, 0, 0)
    destinations = (
        (
            await session.execute(
                select(Destination).where(Destination.active.is_(True), Destination.mode == "instant")
            )
        )
        .scalars()
        .all()
    )
    rows: list[dict[str, object]] = []
    skipped = 0
    for post in due:
        post.announced_at = now
        if post.published_at < post.first_seen_at - max_age:
            skipped += 1
            continue
        for destination in destinations:
            if _matches(destination, post.category):
                rows.append(_delivery_row(post, destination, "post", now))
    if rows:
        await session.execute(insert(Delivery), rows)
    return AnnounceReport(len(due) - skipped, skipped, len(rows))


def _delivery_row(post: PostRow, destination: Destination, kind: str, now: datetime) -> dict[str, object]:
    return {
        "dedupe_key": post_key(post.id, destination.id, kind, post.version),
        "post_id": post.id,
        "destination_id": destination.id,
        "kind": kind,
        "post_version": post.version,
        "payload": {},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "message_ids": [],
        "created_at": now,
    }


async def recover_in_flight(session: AsyncSession, now: datetime) -> int:
    """Put rows stuck in 'sending' by a crash back in the queue; return how many."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == "sending", Delivery.next_attempt_at <= now)
        .values(status="pending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Delivery]:
    """Mark up to `limit` due rows as 'sending' (with a lease) and return them, oldest first."""
    query = (
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.execute(query)).scalars().all()
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + SENDING_LEASE
    return rows
