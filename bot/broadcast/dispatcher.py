"""Drain one platform's outbox: paced before sending, concurrent, recorded once confirmed.

A slow or rate-limited chat never holds the others back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.decide import Job, Outcome, Retries, Verdict, choose, classify, crashed, shown
from bot.broadcast.outbox import next_due
from bot.broadcast.pacing import Pacer
from bot.broadcast.paid import NO_STARS_PAUSE_S, PAID_PAUSE_S, PaidBudget, stars
from bot.broadcast.recorder import Recorder
from bot.broadcast.rows import Due, Payload
from bot.broadcast.sender import PaidRefused, RetryAfter, Sender, SendError
from bot.clock import Clock
from bot.content.models import FullPost, Lang, LatestPage, View
from bot.metrics import PAID_SENDS, PAID_STARS_TODAY, record_outcome
from bot.store import paid as paid_usage
from bot.store.models import DELIVERIES, Delivery, Destination, PostRow
from bot.store.posts import published, to_full_post, to_transmission
from bot.store.states import DeliveryKind, DeliveryStatus, PostState

log = logging.getLogger(__name__)
SENDING_LEASE = timedelta(minutes=5)
REFRESH_SECONDS = 2.0  # re-read the queue at least this often, for retries that became due
QUEUE_SIZES_SECONDS = 10.0  # paid auto mode: how often the queue of each post is counted again
VIEW_CACHE = 256
# What the dispatcher reads of a due delivery, in the order of `Due`'s fields.
DUE_COLUMNS = (
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
    Destination.full_posts,
)


# Built once: making the statement cost more than running it, a claim every few sends.
_CLAIM = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id.in_(bindparam("ids", expanding=True)),
        DELIVERIES.c.status == DeliveryStatus.PENDING,
    )
    .values(
        status=DeliveryStatus.SENDING,
        attempts=DELIVERIES.c.attempts + 1,
        next_attempt_at=bindparam("lease"),
    )
    .returning(DELIVERIES.c.id)
)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Knobs of the engine; defaults suit Telegram's and Discord's published limits."""

    concurrency: int = 8
    batch: int = 2000
    # Rows claimed ahead of the senders (0: twice `concurrency`). Each counts in the pacer's windows
    # from when it is picked, so a long queue of picked rows slows a fast platform: at 1,000 sends
    # a second, 256 rows waiting cost a third of the rate.
    prefetch: int = 0
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    idle_poll: float = 5.0
    lang: Lang = "zh"  # the language of pages (digests) for destinations that chose none
    site_url: str = ""  # resolves a whole post's relative images and links

    @property
    def retries(self) -> Retries:
        """How transient failures are retried."""
        return Retries(self.max_attempts, self.backoff_base, self.backoff_cap)


def read_due(row: Sequence[Any]) -> Due:
    """Turn one row of `DUE_COLUMNS` into a `Due` (the payload's JSON read into a `Payload`)."""
    values = list(row)
    values[4] = Payload.read(values[4])
    return Due._make(values)


class Dispatcher:
    """Send one platform's due deliveries within its limits."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        pacer: Pacer,
        clock: Clock,
        settings: EngineSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self.sender = sender
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
        self._pending: deque[Due] = deque()
        self._claimed: set[int] = set()  # claimed by us and not yet recorded
        self._ready: deque[Job] = deque()  # claimed, waiting for a free sender
        self._stale = True
        self._exhausted = False
        self._refilled_at = 0.0
        self._views: dict[tuple[int, int, bool], View | FullPost] = {}
        paid = pacer.limits.paid
        self._budget = PaidBudget(paid) if paid is not None and paid.daily_messages > 0 else None
        self._prefetch = self._settings.prefetch or 2 * self._settings.concurrency
        self._claim_batch = max(self._prefetch // 4, 1)
        self._stopping = False
        self._sized_at = float("-inf")

    def wake(self) -> None:
        """Look for work now (new deliveries were queued)."""
        self._stale = True
        self._sized_at = float("-inf")  # new rows may have made a post's queue big enough to pay
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
            self._stopping = True
            await self.release()
            await self.settle()
            self._stopping = False

    async def settle(self) -> None:
        """Wait for every send in flight to finish and be recorded."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._recorder.flush()
        if self._budget is not None and self._budget.pending():
            async with self._sessions.begin() as session:
                await self._count_paid(session)

    async def _count_paid(self, session: AsyncSession) -> None:
        """Write the paid picks and refunds since the last write; learn the day's total (all replicas)."""
        budget = self._budget
        if budget is None:
            return
        budget.roll(self._clock.now())
        delta = budget.pending()
        if not budget.synced or delta:
            # Sends finishing during this write give back to `unwritten`; only `delta` is taken off.
            total = await paid_usage.add(session, self.sender.name, budget.day, delta)
            budget.written(total, delta)
            PAID_STARS_TODAY.labels(self.sender.name).set(stars(total))

    @property
    def paid_today(self) -> int | None:
        """Paid sends counted today as this dispatcher last knew (None: paid broadcasts are off)."""
        return None if self._budget is None else self._budget.counted + self._budget.pending()

    async def release(self) -> None:
        """Hand claimed rows that were never sent back to the queue (on stop)."""
        jobs = list(self._ready)
        self._ready.clear()
        await self._hand_back(jobs)

    async def _unpay(self) -> None:
        """Paying stopped: rows picked to go as paid sends, not sent yet, go back to the queue."""
        paid = [job for job in self._ready if job.target.paid]
        if paid:
            kept = [job for job in self._ready if not job.target.paid]
            self._ready.clear()  # in place: every holder of the deque sees the same queue
            self._ready.extend(kept)
            await self._hand_back(paid)
            self._stale = True

    async def _hand_back(self, jobs: list[Job]) -> None:
        """Return claimed rows to the queue as they were (not an attempt), their pacing and paid picks too."""
        for job in jobs:
            self._pacer.settle(job.target.chat_id, job.pacing_handle, self._now())
        if self._budget is not None:
            self._budget.give_back(sum(job.target.paid for job in jobs))
        if not jobs:
            return
        async with self._sessions.begin() as session:
            await self._count_paid(session)
            await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id.in_([job.delivery_id for job in jobs]))
                .values(
                    status=DeliveryStatus.PENDING,
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

    def hold_for_others(self) -> None:
        """Send nothing for one window: the leader before this one may have just filled it."""
        self._pacer.hold_for_others(self._now())

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
        room = self._prefetch - len(self._ready)
        # Claim in batches: one transaction for a quarter of the prefetch, not one for each send
        # that finished (at 1,000 sends a second that was most of the engine's time).
        if room >= self._claim_batch or (room > 0 and not self._ready):
            jobs, next_time = await self._choose(now, room)
            if jobs:
                # Not `self._ready.extend(await ...)`: that binds the deque before the claim's
                # await, and a send finishing meanwhile may rebuild it (`_unpay`).
                claimed = await self._claim(jobs, now)
                self._ready.extend(claimed)
                next_time = now.timestamp()  # more may be allowed at once
        while self._ready and len(self._tasks) < self._settings.concurrency:
            self._start(self._ready.popleft())
        if self._ready:
            return None  # every sender is busy: look again when one finishes
        if next_time is None:
            async with self._sessions() as session:
                due = await next_due(session, self.sender.name)
            if due is not None and due <= now:
                self._stale = True  # retries or recovered rows became due since the last read
                return now.timestamp()
            next_time = due.timestamp() if due is not None else None
        return next_time

    def _start(self, job: Job) -> None:
        task = asyncio.get_running_loop().create_task(self._send(job))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("send task crashed", exc_info=task.exception())
        # The next claimed row starts here, not after a turn of the run loop: at 1,000 sends a
        # second, waking the loop for every finished send cost more than the sends' own work.
        if self._ready and not self._stopping and len(self._tasks) < self._settings.concurrency:
            self._start(self._ready.popleft())
        if self._prefetch - len(self._ready) >= self._claim_batch or not self._tasks:
            self._wake.set()  # room for a batch of claims, or nothing left in flight

    async def _refill(self, now: datetime) -> None:
        """Load the next due rows, oldest first; only this dispatcher claims them (one leader)."""
        query = (
            select(*DUE_COLUMNS)
            .join(Destination, Destination.id == Delivery.destination_id)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
                Destination.platform == self.sender.name,
                Destination.active.is_(True),
            )
            .order_by(Delivery.id)
            .limit(self._settings.batch)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            budget = self._budget
            if budget is not None:
                budget.roll(now)
                if not budget.synced:  # a new day, or a start: what this and other replicas spent
                    budget.learn(await paid_usage.used(session, self.sender.name, budget.day))
            due_again = now.timestamp() - self._sized_at >= QUEUE_SIZES_SECONDS
            if budget is not None and budget.policy.min_queue > 0 and due_again:
                await self._size_queues(session, budget, now)
        self._pending = deque(read_due(row) for row in rows if row[0] not in self._claimed)
        self._stale, self._refilled_at = False, now.timestamp()
        # A short read means the queue is empty past these rows: don't ask again until woken.
        self._exhausted = len(rows) < self._settings.batch

    async def _size_queues(self, session: AsyncSession, budget: PaidBudget, now: datetime) -> None:
        """Paid auto mode: find the posts (and pages) queued to more destinations than the threshold."""
        self._sized_at = now.timestamp()
        query = (
            select(Delivery.post_id, Delivery.kind, func.count())
            .join(Destination, Destination.id == Delivery.destination_id)
            .where(Delivery.status == DeliveryStatus.PENDING, Destination.platform == self.sender.name)
            .where(Delivery.kind.in_((DeliveryKind.POST, DeliveryKind.DIGEST, DeliveryKind.COLLAPSE)))
            .group_by(Delivery.post_id, Delivery.kind)
        )
        large, pages = set(), 0
        for post_id, kind, count in await session.execute(query):
            if kind is DeliveryKind.POST and post_id is not None and count > budget.policy.min_queue:
                large.add(post_id)
            elif kind is not DeliveryKind.POST:
                pages += count
        budget.large, budget.large_pages = frozenset(large), pages > budget.policy.min_queue

    async def _choose(self, now: datetime, free: int) -> tuple[list[Job], float | None]:
        """Read the queue if it may have changed, then let `decide.choose` pick from its front."""
        instant = now.timestamp()
        empty = not self._pending and not self._exhausted
        if self._stale or empty or instant - self._refilled_at > REFRESH_SECONDS:
            await self._refill(now)
        if self._budget is not None:
            self._budget.roll(now)
        choice = choose(
            self._pending, free, self._busy, self._pacer, instant, self._settings.lang, self._budget
        )
        for _ in range(choice.looked):
            self._pending.popleft()
        self._pending.extendleft(reversed(choice.waiting))
        return choice.jobs, choice.next_time

    async def _claim(self, jobs: list[Job], now: datetime) -> list[Job]:
        """Mark rows as sending (with a lease); return the jobs whose rows were still pending."""
        async with self._sessions.begin() as session:
            ids = [job.delivery_id for job in jobs]
            result = await session.execute(_CLAIM, {"ids": ids, "lease": now + SENDING_LEASE})
            claimed = set(result.scalars())
            if self._budget is not None:
                # Picked as paid but taken meanwhile (never, with one leader): not spent.
                self._budget.give_back(sum(job.target.paid for job in jobs if job.delivery_id not in claimed))
                await self._count_paid(session)  # in the claim's transaction: a crash loses neither
        kept = [job for job in jobs if job.delivery_id in claimed]
        for job in jobs:
            if job.delivery_id not in claimed:  # never sent: its pacing record is answered now
                self._pacer.settle(job.target.chat_id, job.pacing_handle, self._now())
        self._busy.update(job.destination_id for job in kept)
        self._claimed.update(job.delivery_id for job in kept)
        return kept

    async def _view(self, job: Job) -> View | FullPost | None:
        """Build what the job shows: its post (None if no longer published), or a page of posts."""
        due = job.due
        if due.kind.shows_post and due.post_id is not None:
            key = (due.post_id, due.post_version, due.full_posts)
            if key not in self._views:
                async with self._sessions() as session:
                    post = await session.get(PostRow, due.post_id)
                if post is None or post.state != PostState.ACTIVE or post.draft:
                    return None
                if len(self._views) >= VIEW_CACHE:
                    self._views.pop(next(iter(self._views)))
                self._views[key] = (
                    to_full_post(post, self._settings.site_url) if due.full_posts else to_transmission(post)
                )
            return self._views[key]
        if due.kind.shows_page:
            return await self._page(job)
        return None

    async def _page(self, job: Job) -> LatestPage:
        """Build a digest or a collapsed burst: the posts still published, in the order queued."""
        ids = list(job.due.payload.post_ids)
        query = select(PostRow).where(PostRow.id.in_(ids), published(self._clock.now()))
        async with self._sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        order = {post_id: index for index, post_id in enumerate(ids)}
        items = tuple(to_transmission(r) for r in sorted(rows, key=lambda r: order[r.id]))
        more = job.due.payload.more
        per_page = max(len(items), 1)
        return LatestPage(items, 1, 1, len(items) + more, job.page_language, per_page=per_page, more=more)

    async def _send(self, job: Job) -> None:
        try:
            outcome = await self._attempt(job)
        except Exception as exc:  # a bug in a renderer or adapter must not lose the row
            log.exception("unexpected error sending delivery %s", job.delivery_id)
            outcome = crashed(job, exc, self._clock.now())
        self._pacer.settle(job.target.chat_id, job.pacing_handle, self._now())
        try:
            await self._recorder.record(outcome)
        finally:
            self._busy.discard(job.destination_id)
            self._claimed.discard(job.delivery_id)
        record_outcome(self.sender.name, outcome.status, outcome.rate_limited)
        if outcome.status is Verdict.SENT:
            self.sent += 1
        if job.target.paid and self._budget is not None:
            if outcome.status is Verdict.SENT:
                PAID_SENDS.labels(self.sender.name).inc()
            else:
                self._budget.give_back()  # Telegram bills accepted messages only
            if self._budget.paused(self._now()):
                await self._unpay()

    async def _attempt(self, job: Job) -> Outcome:
        now = self._clock.now
        sent = Outcome(job.delivery_id, job.destination_id, Verdict.SENT)
        message_ids = list(job.due.payload.message_ids)
        try:
            if job.kind is DeliveryKind.DELETE:
                await self.sender.delete(job.target, message_ids)
                return replace(sent, sent_at=now())
            view = await self._view(job)
            if view is None:
                return replace(sent, status=Verdict.FAILED, error="post no longer published")
            if job.kind is DeliveryKind.EDIT:
                ids = await self.sender.edit(job.target, message_ids, shown(view, job))
                post_id = job.due.post_id
                replaced = (post_id, ids) if ids is not None and post_id is not None else None
                return replace(sent, sent_at=now(), replaced=replaced)
            ids = await self.sender.send(job.target, shown(view, job))
            return replace(sent, message_ids=ids, sent_at=now(), chat_id=job.target.chat_id)
        except SendError as exc:
            return self._failure(job, exc)

    def _failure(self, job: Job, exc: SendError) -> Outcome:
        """Classify the failure (`decide.classify`); hold the chat back if the platform asked."""
        log.warning("%s delivery %s failed: %s", self.sender.name, job.delivery_id, exc.reason)
        outcome, hold = classify(job, exc, self._clock.now(), self._settings.retries, self._rng)
        if job.target.paid and self._budget is not None and isinstance(exc, RetryAfter):
            # Paying did not help (a 429) or cannot go on (no Stars): the free limit only, a while.
            pause = NO_STARS_PAUSE_S if isinstance(exc, PaidRefused) else max(PAID_PAUSE_S, exc.seconds)
            self._budget.pause(self._now() + pause)
            log.warning("%s paid broadcasts paused for %.0f s: %s", self.sender.name, pause, exc.reason)
        if hold is not None and hold.everywhere:
            self._pacer.pause(hold.until.timestamp())
        elif hold is not None:
            self._pacer.block(hold.chat_id, hold.until.timestamp())
        return outcome
