"""Whole posts readers opened: remembered, and edited in their chats when the post changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.sender import RetryAfter, RetryLater, Sender, SendError, Target
from bot.clock import Clock
from bot.content.models import FullPost
from bot.store import posts, readings

log = logging.getLogger(__name__)
# Readers look back at what they just read; older copies are left as they were.
EDIT_WINDOW = timedelta(days=7)
EDITS_PER_ROUND = 30  # a scan's round of edits stays small; the rest waits for the next scan


class Readings:
    """Record whole posts sent to readers; bring them up to date after the post changed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, site_url: str = "") -> None:
        self._sessions = sessions
        self._clock = clock
        self._site_url = site_url

    async def record(
        self, platform: str, chat_id: str, thread_id: str, post: FullPost, message_ids: list[str]
    ) -> None:
        """Remember the messages a whole post became in a reader's chat."""
        if not message_ids or post.post_id <= 0:
            return
        async with self._sessions.begin() as session:
            await readings.record(
                session,
                platform,
                chat_id,
                thread_id,
                post.post_id,
                post.version,
                message_ids,
                self._clock.now(),
            )

    async def edit_changed(self, senders: Mapping[str, Sender]) -> int:
        """Edit readings whose post changed since they were sent; return how many were brought up to date."""
        now = self._clock.now()
        async with self._sessions() as session:
            stale = await readings.stale(session, list(senders), now - EDIT_WINDOW, now, EDITS_PER_ROUND)
        done = 0
        for reading, row in stale:
            post = replace(posts.to_full_post(row, self._site_url), edited=True)
            target = Target(reading.chat_id, reading.thread_id)
            ids = reading.message_ids
            try:
                ids = await senders[reading.platform].edit(target, reading.message_ids, post) or ids
            except (RetryAfter, RetryLater) as exc:
                log.info("editing whole posts paused: %s", exc.reason)
                break  # still stale: the next scan's round tries again
            except SendError as exc:  # deleted by the reader, bot blocked: nothing left to update
                log.info("a reader's copy of %s was not edited: %s", row.slug, exc.reason)
            async with self._sessions.begin() as session:
                await readings.mark_edited(session, reading.id, row.version, ids)
            done += 1
        return done
