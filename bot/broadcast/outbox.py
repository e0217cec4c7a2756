"""The outbox: decide what is due and write one delivery row per destination.

Everything runs in the caller's transaction, so marking a post announced and queueing its
deliveries commit together.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcast.rows import NewDelivery, Payload
from bot.store.models import Delivery, Destination, PostRow
from bot.store.posts import newest_first, published
from bot.store.states import DeliveryKind, DeliveryStatus, DestinationMode, PostState

log = logging.getLogger(__name__)
DEFAULT_COLLAPSE_AFTER = 5
INSERT_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class AnnounceReport:
    """What one announcement pass did."""

    announced: int = 0
    skipped_old: int = 0
    deliveries: int = 0
    collapsed: int = 0


def post_key(post_id: int, destination_id: int, kind: DeliveryKind, version: int) -> str:
    """Return the dedupe key of a post delivery: one per (post, destination, kind, version)."""
    return f"post:{post_id}:{destination_id}:{kind}:{version}"


def digest_key(destination_id: int, scheduled: datetime) -> str:
    """Return the dedupe key of a digest: one per (destination, scheduled time)."""
    return f"digest:{destination_id}:{scheduled.isoformat()}"


class Subscriber(Protocol):
    """The two things the outbox needs of a destination (an ORM row or a lighter result row)."""

    id: int
    categories: list[str]


def matches(destination: Subscriber, category: str) -> bool:
    """Say whether a destination's category filter lets a post through (no filter: all)."""
    wanted = destination.categories or []
    return not wanted or category.casefold() in {c.casefold() for c in wanted}


def row(
    destination_id: int,
    kind: DeliveryKind,
    key: str,
    now: datetime,
    post: PostRow | None = None,
    payload: Payload | None = None,
) -> NewDelivery:
    """Build a pending delivery (of `post`, if it is about one)."""
    version = post.version if post else 0
    return NewDelivery(
        destination_id, kind, key, now, post.id if post else None, version, payload or Payload()
    )


def post_delivery(destination_id: int, post: PostRow, now: datetime) -> NewDelivery:
    """Build the delivery of one post to one destination (its dedupe key: post, destination, version)."""
    key = post_key(post.id, destination_id, DeliveryKind.POST, post.version)
    return row(destination_id, DeliveryKind.POST, key, now, post)


async def insert_new(session: AsyncSession, deliveries: Sequence[NewDelivery]) -> int:
    """Insert deliveries, silently skipping any whose dedupe key exists: the key is the guarantee."""
    if not deliveries:
        return 0
    rows = [delivery.values() for delivery in deliveries]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    module = postgresql if dialect == "postgresql" else sqlite
    total = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        # RETURNING lists only the rows really inserted, on every driver (asyncpg reports no
        # rowcount for many rows at once).
        statement = (
            module.insert(Delivery.__table__)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Delivery.__table__.c.id)
        )
        result = await session.execute(statement, list(rows[start : start + INSERT_CHUNK]))
        total += len(result.all())
    return total


async def active_instant(session: AsyncSession) -> Sequence[Subscriber]:
    """Return (id, categories) of the destinations that get each post as it is published.

    Plain rows, not ORM objects: with tens of thousands of destinations that is most of the memory.
    """
    query = select(Destination.id, Destination.categories).where(
        Destination.active.is_(True), Destination.mode == DestinationMode.INSTANT
    )
    return cast(Sequence[Subscriber], (await session.execute(query)).all())


async def announce_due(
    session: AsyncSession,
    now: datetime,
    max_age: timedelta,
    collapse_after: int = DEFAULT_COLLAPSE_AFTER,
    page_size: int = 5,
) -> AnnounceReport:
    """Queue deliveries for every post that became visible and was never announced.

    A post already older than `max_age` when first seen (a late-mounted folder, a restored
    backup) is marked announced without being sent. A destination with more than
    `collapse_after` posts due at once gets one LATEST UPDATES message instead of a flood.
    """
    query = (
        select(PostRow)
        .where(published(now), PostRow.announced_at.is_(None))
        .order_by(PostRow.published_at, PostRow.id)
    )
    due = (await session.execute(query)).scalars().all()
    if not due:
        return AnnounceReport()
    fresh = _mark_announced(due, now, max_age)
    fanout = await _fan_out(session, fresh, now, collapse_after, page_size)
    for post in fresh:  # one line per decision, each post decided once (announced_at is now set)
        chats = fanout.singly[post.id] + fanout.in_pages[post.id]
        paged = fanout.in_pages[post.id]
        within = f" ({paged} in a LATEST UPDATES message)" if paged else ""
        reason = "" if chats else f": no instant subscription takes category {post.category!r}"
        plural = "" if chats == 1 else "s"
        log.info("broadcast %r: sent to %d destination%s%s%s", post.slug, chats, plural, within, reason)
    return AnnounceReport(len(fresh), len(due) - len(fresh), fanout.inserted, fanout.collapsed)


def _mark_announced(due: Sequence[PostRow], now: datetime, max_age: timedelta) -> list[PostRow]:
    """Mark posts announced; return those fresh enough to send (the others are logged, not sent)."""
    fresh = []
    for post in due:
        post.announced_at = now
        if post.published_at >= post.first_seen_at - max_age:
            fresh.append(post)
        else:
            log.info(
                "broadcast %r: not sent: older than BROADCAST_MAX_AGE (%s) when first seen (published %s)",
                post.slug,
                _duration(max_age),
                post.published_at.isoformat(),
            )
    return fresh


@dataclass(slots=True)
class _Fanout:
    """What `_fan_out` queued: rows inserted, pages, and per post how many chats get it which way."""

    inserted: int = 0
    collapsed: int = 0
    singly: Counter[int] = field(default_factory=Counter)
    in_pages: Counter[int] = field(default_factory=Counter)


async def _fan_out(
    session: AsyncSession, fresh: list[PostRow], now: datetime, collapse_after: int, page_size: int
) -> _Fanout:
    """Queue the posts for every instant destination whose filter takes them (a page when many)."""
    fanout = _Fanout()
    rows: list[NewDelivery] = []
    for destination in await active_instant(session):
        if len(rows) >= INSERT_CHUNK:  # insert as we go: 10,000 destinations need no 10,000-row list
            fanout.inserted += await insert_new(session, rows)
            rows = []
        wanted = [post for post in fresh if matches(destination, post.category)]
        if len(wanted) > collapse_after:
            ids = [post.id for post in reversed(wanted)]  # newest first, like the home page
            key = f"collapse:{destination.id}:{ids[-1]}-{ids[0]}:{len(ids)}"
            page = Payload.page(ids[:page_size], len(ids) - page_size)
            rows.append(row(destination.id, DeliveryKind.COLLAPSE, key, now, payload=page))
            fanout.in_pages.update(ids)
            fanout.collapsed += 1
            continue
        fanout.singly.update(p.id for p in wanted)
        rows += [post_delivery(destination.id, p, now) for p in wanted]
    fanout.inserted += await insert_new(session, rows)
    return fanout


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def scheduled(session: AsyncSession, now: datetime, limit: int = 1000) -> list[tuple[str, datetime]]:
    """Return (slug, publication time) of the posts waiting for their date, soonest first."""
    query = (
        select(PostRow.slug, PostRow.published_at)
        .where(
            PostRow.state == PostState.ACTIVE,
            PostRow.draft.is_(False),
            PostRow.announced_at.is_(None),
            PostRow.published_at > now,
        )
        .order_by(PostRow.published_at)
        .limit(limit)
    )
    return [(slug, at) for slug, at in (await session.execute(query)).all()]


def sent_messages(delivery: Delivery) -> Payload:
    """Return the payload of an edit or delete: the sent message ids and the chat they are in."""
    return Payload.sent(delivery.message_ids, delivery.sent_chat_id)


async def queue_edits(session: AsyncSession, now: datetime, delete_removed: bool) -> tuple[int, int]:
    """Queue edits for sent posts whose transmission changed, and deletes for removed posts."""
    # Only reachable destinations: a disabled one gets its edits when (if) it is enabled again,
    # since its sent rows keep the old version until then.
    sent_posts = (
        select(Delivery, PostRow)
        .join(PostRow, PostRow.id == Delivery.post_id)
        .join(Destination, Destination.id == Delivery.destination_id)
        .where(Delivery.kind == DeliveryKind.POST, Delivery.status == DeliveryStatus.SENT)
        .where(Destination.active.is_(True))
    )
    edits: list[NewDelivery] = []
    for delivery, post in (
        await session.execute(sent_posts.where(Delivery.post_version < PostRow.version))
    ).all():
        # Point the sent row at the new version, so the next change is measured from it.
        delivery.post_version = post.version
        key = post_key(post.id, delivery.destination_id, DeliveryKind.EDIT, post.version)
        edits.append(row(delivery.destination_id, DeliveryKind.EDIT, key, now, post, sent_messages(delivery)))
    deletes: list[NewDelivery] = []
    if delete_removed:
        removed = sent_posts.where(PostRow.state == PostState.REMOVED)
        for delivery, post in (await session.execute(removed)).all():
            delivery.status = DeliveryStatus.DELETED
            key = post_key(post.id, delivery.destination_id, DeliveryKind.DELETE, post.version)
            deletes.append(
                row(delivery.destination_id, DeliveryKind.DELETE, key, now, post, sent_messages(delivery))
            )
    return await insert_new(session, edits), await insert_new(session, deletes)


async def backfill(session: AsyncSession, now: datetime, count: int) -> int:
    """Send the newest `count` published posts to every instant destination, once."""
    posts = (
        await session.execute(newest_first(select(PostRow).where(published(now))).limit(count))
    ).scalars()
    chosen = list(posts)
    rows = [
        post_delivery(d.id, p, now)
        for d in await active_instant(session)
        for p in reversed(chosen)
        if matches(d, p.category)
    ]
    return await insert_new(session, rows)


async def rebroadcast(session: AsyncSession, post: PostRow, now: datetime) -> int:
    """Queue `post` again for every instant destination (an owner asked; keyed by the time)."""
    rows = [
        row(d.id, DeliveryKind.POST, f"rebroadcast:{post.id}:{d.id}:{now.isoformat()}", now, post)
        for d in await active_instant(session)
        if matches(d, post.category)
    ]
    return await insert_new(session, rows)


async def queue_digest(
    session: AsyncSession, destination: Destination, scheduled: datetime, now: datetime, limit: int
) -> bool:
    """Queue one LATEST UPDATES digest of posts published since the last one; nothing if none."""
    since = destination.last_digest_at or destination.created_at
    query = newest_first(
        select(PostRow).where(
            published(scheduled), PostRow.published_at > since, PostRow.published_at <= scheduled
        )
    )
    posts = [p for p in (await session.execute(query)).scalars() if matches(destination, p.category)]
    destination.last_digest_at = scheduled
    if not posts:
        return False
    page = Payload.page([p.id for p in posts[:limit]], len(posts) - limit)
    key = digest_key(destination.id, scheduled)
    return await insert_new(session, [row(destination.id, DeliveryKind.DIGEST, key, now, payload=page)]) == 1


async def recover_in_flight(session: AsyncSession, now: datetime) -> int:
    """Put rows left in 'sending' by a crash back in the queue, due now (only the leader sends)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def next_due(session: AsyncSession, platform: str) -> datetime | None:
    """Return when the next pending delivery for `platform` becomes due."""
    query = (
        select(func.min(Delivery.next_attempt_at))
        .join(Destination, Destination.id == Delivery.destination_id)
        .where(Delivery.status == DeliveryStatus.PENDING, Destination.platform == platform)
        .where(Destination.active.is_(True))
    )
    return (await session.execute(query)).scalar()
