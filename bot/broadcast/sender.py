"""The port the engine sends through: `Sender`, what it sends to, and the failures it may report.

Each platform's sender (`TelegramSender`, `DiscordSender`, the console) implements `Sender`; the
chat front ends (`TelegramPlatform`, `DiscordPlatform`) own one as their `.sender`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.content.models import FullPost, View


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: a chat or channel, optionally a topic or thread inside it."""

    chat_id: str
    thread_id: str = ""
    silent: bool = False
    paid: bool = False  # a paid broadcast send (Telegram's allow_paid_broadcast): above the free limit


class Sender(Protocol):
    """Send, edit and delete rendered views; map platform errors to `SendError` subclasses."""

    name: str  # the platform's name, as destinations store it

    async def send(self, target: Target, view: View | FullPost) -> list[str]:
        """Send `view` (a whole post may become several messages); return their ids, in order."""
        ...

    async def edit(self, target: Target, message_ids: list[str], view: View | FullPost) -> list[str] | None:
        """Replace sent messages with a new rendering of `view`; the new ids if they changed, else None."""
        ...

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete sent messages."""
        ...


class SendError(Exception):
    """A send that did not happen; subclasses tell the engine what to do next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryAfter(SendError):
    """The platform asked us to wait `seconds` (429); `everywhere` pauses the whole platform."""

    def __init__(self, seconds: float, everywhere: bool = False) -> None:
        super().__init__(f"rate limited: retry after {seconds:g}s")
        self.seconds = seconds
        self.everywhere = everywhere


class RetryLater(SendError):
    """A transient failure (5xx, timeout, connection): back off and try again."""


class PaidRefused(RetryAfter):
    """A paid send was refused (not enough Stars): send it again without paying, stop paying a while."""

    def __init__(self, reason: str) -> None:
        super().__init__(1.0)
        self.reason = reason
        self.args = (reason,)


class DestinationGone(SendError):
    """Blocked, kicked, chat deleted, access lost: disable the destination."""


class DestinationMoved(SendError):
    """The chat has a new id (a group became a supergroup): move there and send again."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class BadMessage(SendError):
    """The platform refused the message itself; retrying cannot help."""
