"""What a platform is to the rest of the bot: one `PlatformSpec`, read by app, cli and settings.

Adding a platform means one module that defines a spec (and its sender), plus a line in
`bot.platforms.registry`. The spec says how the platform is switched on, how fast it may send,
and how to start its sender and chat front end from what the app `Host` offers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Protocol

from bot.broadcast.pacing import Limits, Pacer
from bot.broadcast.sender import Sender
from bot.clock import Clock
from bot.services.bundle import Services
from bot.services.reading import Commands
from bot.settings import Settings


class StartupError(RuntimeError):
    """A platform could not start (bad token, unreachable API); the message is safe to show."""


class Host(Protocol):
    """What a platform may use of the running bot: services, never the store's sessions."""

    settings: Settings
    clock: Clock
    commands: Commands
    services: Services

    def wake(self) -> None:
        """Tell the senders that deliveries were queued."""
        ...


@dataclass(frozen=True, slots=True)
class Started:
    """A started platform: the sender the engine paces, and the pacer its replies share, if any."""

    sender: Sender
    pacer: Pacer | None = None


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """One platform: its name, the setting that turns it on, its limits, and how to start it."""

    name: str
    setting: str | None  # e.g. TELEGRAM_BOT_TOKEN; None for the console, the fallback
    enabled: Callable[[Settings], bool]
    limits: Callable[[Settings], Limits]
    # Starts the sender and front end; registers their shutdown on the stack.
    start: Callable[[Host, AsyncExitStack], Awaitable[Started]] | None = None
    # False for a push-only platform (webhooks): it has no chat, so the console still starts.
    front_end: bool = True
