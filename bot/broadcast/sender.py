"""Drain the outbox: send each due delivery through its platform and record the outcome."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.outbox import claim_due
from bot.broadcast.platform import (
    BadMessage,
    DestinationGone,
    DestinationMoved,
    Platform,
    RetryAfter,
    RetryLater,
    SendError,
    Target,
)
from bot.clock import Clock
from bot.store.models import Delivery, Destination, PostRow
from bot.store.posts import to_transmission

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BACKOFF_BASE = 2.0  # seconds; doubled per attempt, with jitter, capped below
BACKOFF_CAP = 600.0


def backoff(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter, so retries from many rows don't align."""
    return rng.uniform(0.5, 1.0) * min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(attempt - 1, 0))


class Sender:
    """Send due deliveries one after another (the broadcast engine adds pacing and concurrency)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platforms: Mapping[str, Platform],
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self._platforms = platforms
        self._clock = clock
        self._rng = rng or random.Random()

    async def send_due(self, batch: int = 100) -> int:
        """Send everything due now, batch by batch; return how many were sent."""
        sent = 0
        while True:
            async with self._sessions.begin() as session:
                claimed = [row.id for row in await claim_due(session, self._clock.now(), batch)]
            if not claimed:
                return sent
            for delivery_id in claimed:
                sent += await self._send_one(delivery_id)

    async def _send_one(self, delivery_id: int) -> int:
        async with self._sessions() as session:
            delivery = await session.get(Delivery, delivery_id)
            if delivery is None:
                return 0
            destination = await session.get(Destination, delivery.destination_id)
            post = await session.get(PostRow, delivery.post_id) if delivery.post_id else None
            platform = self._platforms.get(destination.platform) if destination else None
            if destination is None or post is None or platform is None or not destination.active:
                why = "destination inactive or platform not running" if destination else "destination removed"
                _finish(delivery, "failed", self._clock.now(), error=why)
                await session.commit()
                return 0
            target = Target(destination.chat_id, destination.thread_id, destination.silent)
            try:
                if delivery.kind == "post":
                    delivery.message_ids = await platform.send(target, to_transmission(post))
                else:
                    raise BadMessage(f"unknown delivery kind {delivery.kind!r}")
            except SendError as exc:
                self._record_failure(delivery, destination, exc)
                await session.commit()
                return 0
            _finish(delivery, "sent", self._clock.now())
            await session.commit()
            return 1

    def _record_failure(self, delivery: Delivery, destination: Destination, exc: SendError) -> None:
        now = self._clock.now()
        log.warning("delivery %s to %s failed: %s", delivery.id, destination.platform, exc.reason)
        if isinstance(exc, RetryAfter):
            _retry(delivery, now + timedelta(seconds=exc.seconds), exc.reason)
        elif isinstance(exc, RetryLater) and delivery.attempts < MAX_ATTEMPTS:
            _retry(delivery, now + timedelta(seconds=backoff(delivery.attempts, self._rng)), exc.reason)
        elif isinstance(exc, DestinationMoved):
            destination.chat_id = exc.new_chat_id
            _retry(delivery, now, exc.reason)
        elif isinstance(exc, DestinationGone):
            destination.active, destination.disabled_reason = False, exc.reason
            _finish(delivery, "failed", now, error=exc.reason)
        else:
            _finish(delivery, "failed", now, error=exc.reason)


def _retry(delivery: Delivery, when: datetime, reason: str) -> None:
    delivery.status, delivery.next_attempt_at, delivery.last_error = "pending", when, reason


def _finish(delivery: Delivery, status: str, now: datetime, error: str | None = None) -> None:
    delivery.status, delivery.last_error = status, error
    if status == "sent":
        delivery.sent_at = now
