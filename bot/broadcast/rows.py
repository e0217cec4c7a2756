"""The outbox's rows, typed: what the outbox writes, and what the dispatcher reads back to send.

Plain values, no database: the store hands these over at its edge (`values()`, `Due.read`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from bot.store.states import DeliveryKind, DeliveryStatus, DestinationKind


@dataclass(frozen=True, slots=True)
class Payload:
    """The JSON a delivery carries: the messages an edit or delete acts on, or a page's posts."""

    message_ids: tuple[str, ...] = ()
    chat_id: str | None = None  # the chat those messages are in (a group may have moved since)
    post_ids: tuple[int, ...] = ()  # a digest's or a collapsed burst's posts, newest first
    more: int = 0  # posts that did not fit on that page

    @classmethod
    def sent(cls, message_ids: list[str], chat_id: str | None) -> Payload:
        """Point an edit or a delete at messages sent before, in the chat they went to."""
        return cls(message_ids=tuple(message_ids), chat_id=chat_id or None)

    @classmethod
    def page(cls, post_ids: list[int], more: int) -> Payload:
        """List the posts of a LATEST UPDATES page."""
        return cls(post_ids=tuple(post_ids), more=max(more, 0))

    @classmethod
    def read(cls, stored: Mapping[str, object] | None) -> Payload:
        """Read the stored JSON back (rows written before this type have the same keys)."""
        stored = stored or {}
        ids = stored.get("message_ids")
        posts = stored.get("post_ids")
        chat = stored.get("chat_id")
        more = stored.get("more")
        return cls(
            message_ids=tuple(str(i) for i in ids) if isinstance(ids, list) else (),
            chat_id=str(chat) if chat else None,
            post_ids=tuple(int(i) for i in posts) if isinstance(posts, list) else (),
            more=more if isinstance(more, int) else 0,
        )

    def to_json(self) -> dict[str, object]:
        """Return the JSON column's value: only the keys that say something."""
        stored: dict[str, object] = {}
        if self.message_ids or self.chat_id:
            stored["message_ids"] = list(self.message_ids)
        if self.chat_id:
            stored["chat_id"] = self.chat_id
        if self.post_ids or self.more:
            stored |= {"post_ids": list(self.post_ids), "more": self.more}
        return stored


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to queue: one row of the outbox, pending from `now`."""

    destination_id: int
    kind: DeliveryKind
    dedupe_key: str
    now: datetime
    post_id: int | None = None
    post_version: int = 0
    payload: Payload = Payload()

    def values(self) -> dict[str, object]:
        """Return the row's column values, for one INSERT of many rows."""
        return {
            "dedupe_key": self.dedupe_key,
            "post_id": self.post_id,
            "destination_id": self.destination_id,
            "kind": self.kind,
            "post_version": self.post_version,
            "payload": self.payload.to_json(),
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": self.now,
            "message_ids": [],
            "created_at": self.now,
        }


class Due(NamedTuple):
    """A pending delivery that is due, with the destination it goes to (one row of one query)."""

    delivery_id: int
    kind: DeliveryKind
    post_id: int | None
    post_version: int
    payload: Payload
    attempts: int  # attempts made so far
    destination_id: int
    chat_id: str
    thread_id: str
    silent: bool
    destination_kind: DestinationKind
    language: str | None  # the destination's own language, if it chose one
    full_posts: bool = False  # the destination wants whole posts, not the transmission card
