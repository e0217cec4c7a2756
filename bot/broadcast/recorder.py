"""Record send outcomes with group commit: many concurrent results, one transaction."""

from __future__ import annotations

import asyncio
import functools

from sqlalchemy import Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcast.decide import Outcome, Verdict
from bot.store.destinations import move_chat, settle_pending
from bot.store.models import DELIVERIES, Destination
from bot.store.states import DeliveryKind, DeliveryStatus

RETRIED = (Verdict.RETRY, Verdict.MOVED)  # pending again
FAILED = (Verdict.FAILED, Verdict.GONE, Verdict.MOVED_AWAY)


class Recorder:
    """Write outcomes in batches; each sender waits until its own outcome is committed.

    So at most one unrecorded send exists per concurrent sender at any moment: the bound on
    repeats after a crash.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queue: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, outcome: Outcome) -> None:
        """Queue an outcome and wait until it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((outcome, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_all())
        await future

    async def flush(self) -> None:
        """Wait until everything queued is committed."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _write_all(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self._sessions.begin() as session:
                    await apply(session, [outcome for outcome, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


async def apply(session: AsyncSession, outcomes: list[Outcome]) -> None:
    """Apply outcomes to deliveries and destinations in the caller's transaction."""
    sent: list[dict[str, object]] = [
        {
            "id": o.delivery_id,
            "status": DeliveryStatus.SENT,
            "message_ids": o.message_ids or [],
            "sent_chat_id": o.chat_id,
            "sent_at": o.sent_at,
            "last_error": None,
        }
        for o in outcomes
        if o.status is Verdict.SENT and o.message_ids
    ]
    done: list[dict[str, object]] = [
        {"id": o.delivery_id, "status": DeliveryStatus.SENT, "sent_at": o.sent_at, "last_error": None}
        for o in outcomes
        if o.status is Verdict.SENT and not o.message_ids
    ]
    retry: list[dict[str, object]] = [
        {
            "id": o.delivery_id,
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": o.next_attempt_at,
            "last_error": o.error,
        }
        for o in outcomes
        if o.status in RETRIED
    ]
    failed: list[dict[str, object]] = [
        {"id": o.delivery_id, "status": DeliveryStatus.FAILED, "last_error": o.error}
        for o in outcomes
        if o.status in FAILED
    ]
    for rows in (sent, done, retry, failed):
        if rows:
            await _update_many(session, rows)
    for outcome in outcomes:
        if outcome.replaced is not None:
            await _replace_ids(session, outcome.destination_id, *outcome.replaced)
        if outcome.status is Verdict.GONE:
            await _disable(session, outcome)
        elif outcome.status in (Verdict.MOVED, Verdict.MOVED_AWAY) and outcome.new_chat_id is not None:
            await _move(session, outcome.destination_id, outcome.new_chat_id, outcome.error)


async def _update_many(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """One executemany of a Core UPDATE (rows alike, keyed by id): a fraction of the ORM's bookkeeping."""
    statement = _update_statement(tuple(rows[0]))
    await session.execute(statement, [{f"v_{key}": value for key, value in row.items()} for row in rows])


@functools.cache
def _update_statement(keys: tuple[str, ...]) -> Update:
    """Build the UPDATE for rows with these keys once per shape (building cost more than running it)."""
    columns: dict[str, object] = {key: bindparam(f"v_{key}") for key in keys if key != "id"}
    return update(DELIVERIES).where(DELIVERIES.c.id == bindparam("v_id")).values(columns)


async def _replace_ids(session: AsyncSession, destination_id: int, post_id: int, ids: list[str]) -> None:
    """Point the post's sent row at the messages that show it now."""
    await session.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.post_id == post_id,
            DELIVERIES.c.destination_id == destination_id,
            DELIVERIES.c.kind == DeliveryKind.POST,
            DELIVERIES.c.status == DeliveryStatus.SENT,
        )
        .values(message_ids=ids)
    )


async def _disable(session: AsyncSession, outcome: Outcome) -> None:
    await session.execute(
        update(Destination)
        .where(Destination.id == outcome.destination_id)
        .values(active=False, disabled_reason=outcome.error)
    )
    # Nothing more goes there: the other queued rows are cancelled with the same reason.
    reason = f"destination disabled: {outcome.error}"
    await settle_pending(session, Destination.id == outcome.destination_id, reason)


async def _move(session: AsyncSession, destination_id: int, new_chat_id: str, reason: str | None) -> None:
    destination = await session.get(Destination, destination_id)
    if destination is not None:
        await move_chat(session, destination, new_chat_id, reason)
