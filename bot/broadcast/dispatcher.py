"""Drain one platform's outbox: paced before sending, concurrent, recorded once confirmed.

A slow or rate-limited chat never holds the others back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.outbox import next_due
from bot.broadcast.pacing import Pacer
from bot.broadcast.recorder import Outcome, Recorder
from bot.broadcast.sender import (
    DestinationGone,
    DestinationMoved,
    RetryAfter,
    RetryLater,
    Sender,
    SendError,
    Target,
)
from bot.clock import Clock
from bot.content.models import Lang, LatestPage, Transmission, View
from bot.metrics import record_outcome
from bot.store.models import DELIVERIES, Delivery, Destination, PostRow
from bot.store.posts import published, to_transmission

log = logging.getLogger(__name__)
SENDING_LEASE = timedelta(minutes=5)
REFRESH_SECONDS = 2.0  # re-read the queue at least this often, for retries that became due
VIEW_CACHE = 256


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Knobs of the engine; defaults suit Telegram's and Discord's published limits."""

    concurrency: int = 8
    batch: int = 2000
    prefetch: int = 256  # rows claimed ahead of the senders, in one transaction
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    idle_poll: float = 5.0
    lang: Lang = "zh"


@dataclass(frozen=True, slots=True)
class _Job:
    """A claimed delivery with everything needed to send it."""

    pacing_handle: int
    delivery_id: int
    kind: str
    post_id: int | None
    post_version: int
    payload: dict[str, Any]
    attempts: int
    destination_id: int
    target: Target
    language: Lang


def backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter, so retries of many rows don't align."""
    return rng.uniform(0.5, 1.0) * min(cap, base * 2.0 ** max(attempt - 1, 0))


class Dispatcher:
    """Send one platform's due deliveries within its limits."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platform: Sender,
        pacer: Pacer,
        clock: Clock,
        settings: EngineSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self.platform = platform
        self._pacer = pacer
        self._clock = clock
        self._settings = settings or EngineSettings()
        self._rng = rng or random.Random()
        self._recorder = Recorder(sessions)
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.sent = 0
        self._steps = 0
        self._pending: deque[Any] = deque()
        self._claimed: set[int] = set()  # claimed by us and not yet recorded
        self._ready: deque[_Job] = deque()  # claimed, waiting for a free sender
        self._stale = True
        self._exhausted = False
        self._refilled_at = 0.0
        self._views: dict[tuple[int, int], View] = {}

    def wake(self) -> None:
        """Look for work now (new deliveries were queued)."""
        self._stale = True
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set, then finish the sends in flight and return."""
        try:
            while not stop.is_set():
                next_time = await self.step()
                delay = self._settings.idle_poll if next_time is None else next_time - self._now()
                self._wake.clear()
                if delay > 0:
                    waiter = asyncio.ensure_future(self._wake.wait())
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait(
                        {waiter, stopper},
                        timeout=min(delay, self._settings.idle_poll),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waiter.cancel()
                    stopper.cancel()
        finally:
            await self.release()
            await self.settle()

    async def settle(self) -> None:
        """Wait for every send in flight to finish and be recorded."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._recorder.flush()

    async def release(self) -> None:
        """Hand claimed rows that were never sent back to the queue (on stop)."""
        jobs, self._ready = list(self._ready), deque()
        if not jobs:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id.in_([job.delivery_id for job in jobs]))
                .values(
                    status="pending",
                    attempts=DELIVERIES.c.attempts - 1,
                    next_attempt_at=self._clock.now(),
                )
            )
        for job in jobs:
            self._busy.discard(job.destination_id)
            self._claimed.discard(job.delivery_id)

    async def drain(self) -> int:
        """Send everything that may go now (tests and one-shot runs); return how many were sent."""
        before = self.sent
        for _ in range(100_000):  # bounded: each round sends or claims something, or stops
            again = await self.step()
            if self._tasks or self._ready:
                await self.settle()
            elif again is None or again > self._now():
                break
        return self.sent - before

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def step(self) -> float | None:
        """Claim what the limits allow, start sends on free slots; return when to look again.

        Rows are claimed in batches ahead of the senders (one transaction for many rows); a row
        claimed but not yet sent is not a repeat risk: after a crash it is sent once.
        """
        now = self._clock.now()
        self._steps += 1
        if self._steps % 500 == 0:
            self._pacer.forget_idle(now.timestamp())
        next_time: float | None = None
        room = self._settings.prefetch - len(self._ready)
        if room > 0:
            jobs, next_time = await self._choose(now, room)
            if jobs:
                self._ready.extend(await self._claim(jobs, now))
                next_time = now.timestamp()  # more may be allowed at once
        while self._ready and len(self._tasks) < self._settings.concurrency:
            task = asyncio.get_running_loop().create_task(self._send(self._ready.popleft()))
            self._tasks.add(task)
            task.add_done_callback(self._done)
        if self._ready:
            return None  # every sender is busy: look again when one finishes
        if next_time is None:
            async with self._sessions() as session:
                due = await next_due(session, self.platform.name)
            if due is not None and due <= now:
                self._stale = True  # retries or recovered rows became due since the last read
                return now.timestamp()
            next_time = due.timestamp() if due is not None else None
        return next_time

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("send task crashed", exc_info=task.exception())

    async def _refill(self, now: datetime) -> None:
        """Load the next due rows, oldest first; only this dispatcher claims them (one leader)."""
        query = (
            select(
                Delivery.id,
                Delivery.kind,
                Delivery.post_id,
                Delivery.post_version,
                Delivery.payload,
                Delivery.attempts,
                Destination.id,
                Destination.chat_id,
                Destination.thread_id,
                Destination.silent,
                Destination.kind,
                Destination.language,
            )
            .join(Destination, Destination.id == Delivery.destination_id)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
                Destination.platform == self.platform.name,
                Destination.active.is_(True),
            )
            .order_by(Delivery.id)
            .limit(self._settings.batch)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        self._pending = deque(row for row in rows if row[0] not in self._claimed)
        self._stale, self._refilled_at = False, now.timestamp()
        # A short read means the queue is empty past these rows: don't ask again until woken.
        self._exhausted = len(rows) < self._settings.batch

    async def _choose(self, now: datetime, free: int) -> tuple[list[_Job], float | None]:
        instant = now.timestamp()
        empty = not self._pending and not self._exhausted
        if self._stale or empty or instant - self._refilled_at > REFRESH_SECONDS:
            await self._refill(now)
        jobs: list[_Job] = []
        waiting: list[Any] = []
        taken: set[int] = set()
        next_time: float | None = None
        while self._pending and len(jobs) < free:
            row = self._pending.popleft()
            (
                delivery_id,
                kind,
                post_id,
                version,
                payload,
                attempts,
                dest_id,
                chat,
                thread,
                silent,
                dest_kind,
                lang,
            ) = row
            if dest_id in self._busy or dest_id in taken:
                waiting.append(row)  # one message at a time per chat keeps their order
                continue
            if kind in ("edit", "delete") and payload.get("chat_id"):
                chat = str(payload["chat_id"])  # the chat the message is in (it may have moved since)
            group = dest_kind != "private"
            ready = self._pacer.earliest(chat, group, instant)
            if ready > instant:
                waiting.append(row)
                next_time = ready if next_time is None else min(next_time, ready)
                if self._pacer.overall_earliest(instant) > instant:
                    break  # the platform-wide limit is spent: nothing else can go either
                continue
            handle = self._pacer.record(chat, group, instant)
            taken.add(dest_id)
            language: Lang = "en" if lang == "en" else self._settings.lang
            target = Target(chat, thread, silent)
            job = _Job(
                handle,
                delivery_id,
                kind,
                post_id,
                version,
                dict(payload),
                attempts + 1,
                dest_id,
                target,
                language,
            )
            jobs.append(job)
        self._pending.extendleft(reversed(waiting))
        return jobs, next_time

    async def _claim(self, jobs: list[_Job], now: datetime) -> list[_Job]:
        """Mark rows as sending (with a lease); return the jobs whose rows were still pending."""
        async with self._sessions.begin() as session:
            table = DELIVERIES
            result = await session.execute(
                update(table)
                .where(table.c.id.in_([job.delivery_id for job in jobs]), table.c.status == "pending")
                .values(status="sending", attempts=table.c.attempts + 1, next_attempt_at=now + SENDING_LEASE)
                .returning(table.c.id)
            )
            claimed = set(result.scalars())
        kept = [job for job in jobs if job.delivery_id in claimed]
        self._busy.update(job.destination_id for job in kept)
        self._claimed.update(job.delivery_id for job in kept)
        return kept

    async def _view(self, job: _Job) -> View | None:
        if job.kind in ("post", "edit") and job.post_id is not None:
            key = (job.post_id, job.post_version)
            if key in self._views:
                return self._views[key]
        async with self._sessions() as session:
            if job.kind in ("post", "edit") and job.post_id is not None:
                post = await session.get(PostRow, job.post_id)
                if post is None or post.state != "active" or post.draft:
                    return None
                if len(self._views) >= VIEW_CACHE:
                    self._views.pop(next(iter(self._views)))
                view = self._views[key] = to_transmission(post)
                return view
            if job.kind in ("digest", "collapse"):
                ids = [int(i) for i in job.payload.get("post_ids", [])]
                rows = (
                    (
                        await session.execute(
                            select(PostRow).where(PostRow.id.in_(ids), published(self._clock.now()))
                        )
                    )
                    .scalars()
                    .all()
                )
                order = {post_id: index for index, post_id in enumerate(ids)}
                items = tuple(to_transmission(r) for r in sorted(rows, key=lambda r: order[r.id]))
                more = int(job.payload.get("more", 0))
                return LatestPage(
                    items, 1, 1, len(items) + more, job.language, per_page=max(len(items), 1), more=more
                )
        return None

    async def _send(self, job: _Job) -> None:
        try:
            outcome = await self._attempt(job)
        except Exception as exc:  # a bug in a renderer or adapter must not lose the row
            log.exception("unexpected error sending delivery %s", job.delivery_id)
            outcome = Outcome(
                job.delivery_id,
                job.destination_id,
                "retry",
                error=f"internal error: {exc!r}",
                next_attempt_at=self._clock.now() + timedelta(seconds=60),
            )
        self._pacer.settle(job.target.chat_id, job.pacing_handle, self._now())
        try:
            await self._recorder.record(outcome)
        finally:
            self._busy.discard(job.destination_id)
            self._claimed.discard(job.delivery_id)
        record_outcome(self.platform.name, outcome.status, outcome.rate_limited)
        if outcome.status == "sent":
            self.sent += 1

    async def _attempt(self, job: _Job) -> Outcome:
        now = self._clock.now
        try:
            if job.kind == "delete":
                await self.platform.delete(job.target, [str(i) for i in job.payload.get("message_ids", [])])
                return Outcome(job.delivery_id, job.destination_id, "sent", sent_at=now())
            view = await self._view(job)
            if view is None:
                return Outcome(
                    job.delivery_id, job.destination_id, "failed", error="post no longer published"
                )
            if job.kind == "edit":
                if isinstance(view, Transmission):
                    view = replace(view, edited=True)  # readers see that the post changed
                await self.platform.edit(
                    job.target, [str(i) for i in job.payload.get("message_ids", [])], view
                )
                return Outcome(job.delivery_id, job.destination_id, "sent", sent_at=now())
            ids = await self.platform.send(job.target, view)
            return Outcome(
                job.delivery_id,
                job.destination_id,
                "sent",
                message_ids=ids,
                sent_at=now(),
                chat_id=job.target.chat_id,
            )
        except SendError as exc:
            return self._failure(job, exc)

    def _failure(self, job: _Job, exc: SendError) -> Outcome:
        now = self._clock.now()
        log.warning("%s delivery %s failed: %s", self.platform.name, job.delivery_id, exc.reason)
        when: datetime | None = None
        if isinstance(exc, RetryAfter):
            when = now + timedelta(seconds=exc.seconds)
            if exc.everywhere:
                self._pacer.pause(when.timestamp())
            else:
                self._pacer.block(job.target.chat_id, when.timestamp())
            status = "retry"
        elif isinstance(exc, RetryLater) and job.attempts < self._settings.max_attempts:
            wait = backoff(job.attempts, self._settings.backoff_base, self._settings.backoff_cap, self._rng)
            when, status = now + timedelta(seconds=wait), "retry"
        elif isinstance(exc, DestinationMoved) and job.kind in ("edit", "delete"):
            # The message stays in the old chat, which the platform no longer lets us change.
            status = "moved_away"
        elif isinstance(exc, DestinationMoved):
            when, status = now, "moved"
        elif isinstance(exc, DestinationGone):
            status = "gone"
        else:
            status = "failed"  # bad message, or transient failures past the attempt limit
        error = exc.reason
        if isinstance(exc, DestinationMoved) and status == "moved_away":
            error = f"the message stays in chat {job.target.chat_id}, now {exc.new_chat_id}: it can't change"
        return Outcome(
            job.delivery_id,
            job.destination_id,
            status,
            error=error,
            next_attempt_at=when,
            new_chat_id=exc.new_chat_id if isinstance(exc, DestinationMoved) else None,
            rate_limited=isinstance(exc, RetryAfter),
        )
