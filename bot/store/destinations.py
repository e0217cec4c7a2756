"""Destinations: subscribe, list, disable, move; shared by the CLI and the chat subscription commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.store.models import Delivery, Destination
from bot.store.states import DeliveryStatus, DestinationKind, DestinationMode

KINDS = tuple(kind.value for kind in DestinationKind)


@dataclass(frozen=True, slots=True)
class Subscription:
    """What an operator or a chat admin asks for."""

    platform: str
    chat_id: str
    thread_id: str = ""
    kind: DestinationKind = DestinationKind.PRIVATE
    title: str = ""
    categories: tuple[str, ...] = ()
    digest_cron: str | None = None
    digest_tz: str = "UTC"
    language: str | None = None
    silent: bool = False


def guess_kind(platform: str, chat_id: str, thread_id: str) -> DestinationKind:
    """Guess a chat's kind from its id: Telegram groups and channels have negative ids."""
    if thread_id:
        return DestinationKind.THREAD
    if platform == "telegram":
        return DestinationKind.GROUP if chat_id.startswith("-") else DestinationKind.PRIVATE
    return DestinationKind.CHANNEL if platform == "discord" else DestinationKind.PRIVATE


async def find(session: AsyncSession, platform: str, chat_id: str, thread_id: str = "") -> Destination | None:
    """Return the destination for a chat (and topic), if any."""
    query = select(Destination).where(
        Destination.platform == platform, Destination.chat_id == chat_id, Destination.thread_id == thread_id
    )
    return (await session.execute(query)).scalar()


async def subscribe(session: AsyncSession, wish: Subscription, now: datetime) -> tuple[Destination, bool]:
    """Create or update (and re-enable) a destination; return it and whether it is new."""
    destination = await find(session, wish.platform, wish.chat_id, wish.thread_id)
    created = destination is None
    if destination is None:
        destination = Destination(
            platform=wish.platform, chat_id=wish.chat_id, thread_id=wish.thread_id, created_at=now
        )
        session.add(destination)
    destination.kind = wish.kind
    destination.title = wish.title or destination.title or ""
    destination.categories = list(wish.categories)
    destination.mode = DestinationMode.DIGEST if wish.digest_cron else DestinationMode.INSTANT
    destination.digest_cron = wish.digest_cron
    destination.digest_tz = wish.digest_tz if wish.digest_cron else None
    destination.language = wish.language
    destination.silent = wish.silent
    destination.active, destination.disabled_reason = True, None
    if wish.digest_cron and destination.last_digest_at is None:
        destination.last_digest_at = now  # a new digest covers posts from now on
    destination.next_digest_at = None  # planned afresh from the (maybe changed) schedule
    await session.flush()
    return destination, created


async def listing(session: AsyncSession) -> Sequence[Destination]:
    """Return every destination, by platform then id."""
    query = select(Destination).order_by(Destination.platform, Destination.id)
    return (await session.execute(query)).scalars().all()


async def settle_pending(session: AsyncSession, where: ColumnElement[bool], reason: str) -> int:
    """Cancel the queued deliveries of disabled destinations (`where` picks the destinations).

    Nothing goes to a disabled destination, so its rows would otherwise stay pending for ever and
    the queue would never drain.
    """
    chosen = select(Destination.id).where(where).scalar_subquery()
    result = await session.execute(
        update(Delivery)
        .where(Delivery.destination_id.in_(chosen), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def disable(session: AsyncSession, destination: Destination, reason: str) -> None:
    """Turn a destination off with `reason` and cancel what was queued for it."""
    destination.active, destination.disabled_reason = False, reason
    await session.flush()
    await settle_pending(session, Destination.id == destination.id, f"destination disabled: {reason}")


async def move_chat(
    session: AsyncSession, destination: Destination, new_chat_id: str, reason: str | None
) -> None:
    """Point a destination at its chat's new id (a group became a supergroup)."""
    clash = await find(session, destination.platform, new_chat_id, destination.thread_id)
    if clash is not None and clash.id != destination.id:
        # The new chat is subscribed already: keep that one, retire this one and its queue.
        await disable(session, destination, f"moved to {new_chat_id} ({reason}), subscribed there already")
        return
    destination.chat_id = new_chat_id


async def move_all(session: AsyncSession, platform: str, old_chat_id: str, new_chat_id: str) -> int:
    """Move every destination (topics included) of a chat to its new id; return how many."""
    query = select(Destination).where(Destination.platform == platform, Destination.chat_id == old_chat_id)
    moved = 0
    for destination in (await session.execute(query)).scalars().all():
        await move_chat(session, destination, new_chat_id, "chat migrated")
        moved += 1
    return moved


async def reactivate(session: AsyncSession, platform: str, chat_id: str, keep_off: str) -> int:
    """Re-enable a chat's destinations disabled for lost access (not those turned off on purpose)."""
    query = select(Destination).where(
        Destination.platform == platform, Destination.chat_id == chat_id, Destination.active.is_(False)
    )
    revived = 0
    for destination in (await session.execute(query)).scalars():
        if destination.disabled_reason != keep_off:
            destination.active, destination.disabled_reason = True, None
            revived += 1
    return revived


async def deactivate(session: AsyncSession, platform: str, chat_id: str, reason: str) -> int:
    """Disable every active destination of a chat with `reason`; return how many."""
    query = select(Destination).where(
        Destination.platform == platform, Destination.chat_id == chat_id, Destination.active.is_(True)
    )
    disabled = 0
    for destination in (await session.execute(query)).scalars().all():
        await disable(session, destination, reason)
        disabled += 1
    return disabled
