"""The closed sets of values the store keeps as strings: states, statuses, kinds and modes.

Each is a `StrEnum`, so a member is the very string the column holds (no migration, and comparing
with a plain string still works), while mypy checks every place that sets or compares one.
"""

from __future__ import annotations

from enum import StrEnum


class PostState(StrEnum):
    """Whether a stored post's file is still there."""

    ACTIVE = "active"
    REMOVED = "removed"


class DeliveryStatus(StrEnum):
    """Where a delivery row is in the outbox."""

    PENDING = "pending"  # queued, due at next_attempt_at (a retry waits here too)
    SENDING = "sending"  # claimed by the sender, with a lease (next_attempt_at) in case it crashes
    SENT = "sent"
    FAILED = "failed"  # given up, with last_error saying why
    CANCELLED = "cancelled"  # its destination was disabled before it went
    DELETED = "deleted"  # sent, then a delete of its messages was queued (the post was removed)

    @classmethod
    def queued(cls) -> tuple[DeliveryStatus, ...]:
        """Return the statuses of rows still to be sent."""
        return (cls.PENDING, cls.SENDING)


class DeliveryKind(StrEnum):
    """What a delivery does."""

    POST = "post"  # send one post
    EDIT = "edit"  # change the messages a post was sent as
    DELETE = "delete"  # delete them
    DIGEST = "digest"  # a scheduled LATEST UPDATES page
    COLLAPSE = "collapse"  # a LATEST UPDATES page instead of a burst of posts

    @property
    def changes_sent(self) -> bool:
        """Whether it acts on messages sent before (which stay in the chat they went to)."""
        return self in (DeliveryKind.EDIT, DeliveryKind.DELETE)

    @property
    def shows_post(self) -> bool:
        """Whether it shows one post (and so needs that post still published)."""
        return self in (DeliveryKind.POST, DeliveryKind.EDIT)

    @property
    def shows_page(self) -> bool:
        """Whether it shows a LATEST UPDATES page of several posts."""
        return self in (DeliveryKind.DIGEST, DeliveryKind.COLLAPSE)


class DestinationMode(StrEnum):
    """How a destination gets posts: each as it is published, or a digest on a schedule."""

    INSTANT = "instant"
    DIGEST = "digest"


class DestinationKind(StrEnum):
    """What a destination is; groups and channels have their own, slower, limits."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"
    THREAD = "thread"  # a topic or thread inside a group or channel

    @property
    def is_group(self) -> bool:
        """Whether more than one person reads it (the per-group limits apply)."""
        return self is not DestinationKind.PRIVATE
