"""Whole posts readers opened in their chats: recorded when sent, found again when the post changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import PostRow, Reading
from bot.store.posts import published


async def record(
    session: AsyncSession,
    platform: str,
    chat_id: str,
    thread_id: str,
    post_id: int,
    version: int,
    message_ids: list[str],
    now: datetime,
) -> None:
    """Remember a whole post sent to a chat, so an edit of the post reaches it."""
    session.add(
        Reading(
            platform=platform,
            chat_id=chat_id,
            thread_id=thread_id,
            post_id=post_id,
            post_version=version,
            message_ids=message_ids,
            sent_at=now,
        )
    )


async def stale(
    session: AsyncSession, platforms: Sequence[str], since: datetime, now: datetime, limit: int
) -> Sequence[Row[Reading, PostRow]]:
    """Return readings of still-published posts that changed since they were sent (oldest first)."""
    query = (
        select(Reading, PostRow)
        .join(PostRow, PostRow.id == Reading.post_id)
        .where(
            Reading.post_version < PostRow.version, Reading.sent_at >= since, Reading.platform.in_(platforms)
        )
        .where(published(now))
        .order_by(Reading.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def mark_edited(session: AsyncSession, reading_id: int, version: int, message_ids: list[str]) -> None:
    """Record that a reading now shows `version` (in these messages)."""
    values = {"post_version": version, "message_ids": message_ids}
    await session.execute(update(Reading).where(Reading.id == reading_id).values(**values))
