"""The dispatcher's decisions, apart from its I/O: what to send next, and what a failure means.

Plain values in, plain values out, no database and no clock (the caller passes `now`); the only
state touched is the in-memory `Pacer` that `choose` records its picks in. The dispatcher reads the
queue, calls these, and writes what they return.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from bot.broadcast.pacing import Pacer
from bot.broadcast.paid import PaidBudget
from bot.broadcast.rows import Due
from bot.broadcast.sender import DestinationGone, DestinationMoved, RetryAfter, RetryLater, SendError, Target
from bot.content.models import FullPost, Lang, Transmission, View
from bot.store.states import DeliveryKind

CRASH_RETRY = timedelta(seconds=60)  # a bug in a renderer or an adapter: try again in a minute
SWITCH_WAIT = 0.05  # seconds: a row that waits for free sends to be answered before paying


class Verdict(StrEnum):
    """What becomes of a delivery after an attempt."""

    SENT = "sent"
    RETRY = "retry"  # pending again, due at next_attempt_at
    FAILED = "failed"  # given up, the reason kept
    GONE = "gone"  # failed, and the destination is disabled with its queue
    MOVED = "moved"  # the chat has a new id: the destination follows, and the row goes there
    # The chat has a new id, but the row edits or deletes a message left in the old chat: the
    # destination moves and the row fails, as it cannot follow.
    MOVED_AWAY = "moved_away"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one delivery, as the recorder writes it."""

    delivery_id: int
    destination_id: int
    status: Verdict
    error: str | None = None
    message_ids: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    new_chat_id: str | None = None
    rate_limited: bool = False
    chat_id: str | None = None  # where a sent message is: its later edits and deletes go there
    # An edit that changed which messages show the post (a whole post grew or shrank by a part):
    # the post's sent row takes these ids, so the next edit or delete finds every part.
    replaced: tuple[int, list[str]] | None = None  # (post id, new message ids)


@dataclass(frozen=True, slots=True)
class Job:
    """A due delivery chosen to go now, with everything needed to send it."""

    due: Due
    target: Target  # where it goes: an edit or a delete goes where the message is
    attempt: int  # this attempt's number, 1 for the first
    pacing_handle: int  # the pacer's record of this send, settled when the answer comes
    language: Lang | None  # the destination's language, if it chose one
    page_language: Lang  # the language of a LATEST UPDATES page: the destination's, else the default

    @property
    def delivery_id(self) -> int:
        """The delivery row's id."""
        return self.due.delivery_id

    @property
    def destination_id(self) -> int:
        """The destination's id."""
        return self.due.destination_id

    @property
    def kind(self) -> DeliveryKind:
        """What the delivery does."""
        return self.due.kind


@dataclass(frozen=True, slots=True)
class Choice:
    """What `choose` picked from the front of the queue."""

    jobs: list[Job]
    looked: int  # rows taken from the front of the queue ...
    waiting: list[Due]  # ... of which these were held back: they go back to the front, in order
    next_time: float | None  # when the earliest one held back by the limits may go


def destination_language(stored: str | None) -> Lang | None:
    """Return the language a destination chose (stored as `zh` or `en`), or None if it chose none."""
    if stored == "zh":
        return "zh"
    if stored == "en":
        return "en"
    return None


def choose(
    queue: Iterable[Due],
    free: int,
    busy: Collection[int],
    pacer: Pacer,
    now: float,
    default_lang: Lang,
    budget: PaidBudget | None = None,
) -> Choice:
    """Pick up to `free` due rows, oldest first, that the limits let go at `now`.

    One message at a time per destination keeps a chat's messages in order, so a destination in
    `busy` (a send in flight) or already picked waits. A row whose chat is over its limits waits
    too; once the platform-wide limit is spent, nothing more is looked at. Each pick is recorded
    in `pacer`, so the next row to the same chat sees it. With a paid `budget`, a row the free
    limit holds back may go at once as a paid send (its job's target says so) while the budget
    lasts; every other limit (per chat, per group, the paid rate) still holds.
    """
    jobs: list[Job] = []
    waiting: list[Due] = []
    taken: set[int] = set()
    next_time: float | None = None
    looked = 0
    for due in queue:
        if len(jobs) >= free:
            break
        looked += 1
        if due.destination_id in busy or due.destination_id in taken:
            waiting.append(due)
            continue
        # An edit or a delete goes to the chat the message is in (it may have moved since).
        chat = due.payload.chat_id if due.kind.changes_sent and due.payload.chat_id else due.chat_id
        group = due.destination_kind.is_group
        paid = False
        payable = budget is not None and budget.may_pay(due, now)
        # Pay when the free limit holds the row back, and all along while paid sends are under way
        # (then the free window, full of them, is not even looked at: that look is the costly one).
        paying = payable and pacer.paying(now)
        ready = now if paying else pacer.earliest(chat, group, now)
        if payable and (paying or ready > now):
            paid_ready = pacer.paid_earliest(chat, group, now)
            if paid_ready is None:  # free sends are unanswered: look again soon (an answer wakes us)
                ready = now + SWITCH_WAIT
            elif paid_ready <= now:
                paid, ready = True, now
            else:  # while paying, no free send slips in between (see Pacer)
                ready = paid_ready if paying else min(ready, paid_ready)
        if ready > now:
            waiting.append(due)
            next_time = ready if next_time is None else min(next_time, ready)
            paying = budget is not None and budget.left(now) > 0 and pacer.paid_open(now)
            if pacer.overall_earliest(now) > now and not paying:
                break  # the platform-wide limit is spent: nothing else can go either
            continue
        if paid and budget is not None:
            budget.take()
        taken.add(due.destination_id)
        language = destination_language(due.language)
        target = Target(chat, due.thread_id, due.silent, paid=paid)
        handle = pacer.record(chat, group, now, paid=paid)
        jobs.append(Job(due, target, due.attempts + 1, handle, language, language or default_lang))
    return Choice(jobs, looked, waiting, next_time)


def shown(view: View | FullPost, job: Job) -> View | FullPost:
    """Dress `view` as the job's destination sees it: in its language, and marked if it is an edit."""
    if not isinstance(view, Transmission | FullPost):
        return view  # a page is built in the job's page language already
    lang = job.language or view.lang
    edited = view.edited or job.kind is DeliveryKind.EDIT  # readers see that the post changed
    return view if (lang, edited) == (view.lang, view.edited) else replace(view, lang=lang, edited=edited)


@dataclass(frozen=True, slots=True)
class Retries:
    """How transient failures are retried: up to `max_attempts`, backing off exponentially."""

    max_attempts: int = 8
    base: float = 2.0  # seconds before the first retry (before jitter)
    cap: float = 600.0  # the longest wait between two attempts


def backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter, so retries of many rows don't align."""
    return rng.uniform(0.5, 1.0) * min(cap, base * 2.0 ** max(attempt - 1, 0))


@dataclass(frozen=True, slots=True)
class Hold:
    """The platform asked to wait: hold the chat back (or, `everywhere`, the whole platform)."""

    chat_id: str
    until: datetime
    everywhere: bool


class Failure(NamedTuple):
    """What a failed attempt means: the row's outcome, and a hold for the pacer if one is asked."""

    outcome: Outcome
    hold: Hold | None


def classify(job: Job, exc: SendError, now: datetime, retries: Retries, rng: random.Random) -> Failure:
    """Decide what a failed attempt means for its row: retry when, fail, disable, or move.

    - RetryAfter (429): retry when the platform said, holding that chat (or everything) back;
    - RetryLater (5xx, timeouts): back off and retry, until `retries.max_attempts`, then fail;
    - DestinationMoved: follow the chat's new id and send there, except an edit or a delete,
      whose message stays in the old chat: the destination moves and the row fails;
    - DestinationGone: disable the destination; anything else (a refused message): fail.
    """
    outcome = Outcome(job.delivery_id, job.destination_id, Verdict.FAILED, error=exc.reason)
    if isinstance(exc, RetryAfter):
        when = now + timedelta(seconds=exc.seconds)
        retry = replace(outcome, status=Verdict.RETRY, next_attempt_at=when, rate_limited=True)
        return Failure(retry, Hold(job.target.chat_id, when, exc.everywhere))
    if isinstance(exc, RetryLater) and job.attempt < retries.max_attempts:
        when = now + timedelta(seconds=backoff(job.attempt, retries.base, retries.cap, rng))
        return Failure(replace(outcome, status=Verdict.RETRY, next_attempt_at=when), None)
    if isinstance(exc, DestinationMoved) and job.kind.changes_sent:
        error = f"the message stays in chat {job.target.chat_id}, now {exc.new_chat_id}: it can't change"
        away = replace(outcome, status=Verdict.MOVED_AWAY, error=error, new_chat_id=exc.new_chat_id)
        return Failure(away, None)
    if isinstance(exc, DestinationMoved):
        moved = replace(outcome, status=Verdict.MOVED, next_attempt_at=now, new_chat_id=exc.new_chat_id)
        return Failure(moved, None)
    if isinstance(exc, DestinationGone):
        return Failure(replace(outcome, status=Verdict.GONE), None)
    return Failure(outcome, None)  # a refused message, or transient failures past the attempt limit


def crashed(job: Job, exc: BaseException, now: datetime) -> Outcome:
    """Keep the row of an attempt that raised something unexpected (a bug): try again later."""
    return Outcome(
        job.delivery_id,
        job.destination_id,
        Verdict.RETRY,
        error=f"internal error: {exc!r}",
        next_attempt_at=now + CRASH_RETRY,
    )
