"""Every platform the bot can use, in one place: app, cli and settings read them from here."""

from __future__ import annotations

from bot.broadcast.pacing import NO_LIMITS
from bot.platforms.discord.spec import SPEC as DISCORD
from bot.platforms.spec import PlatformSpec
from bot.platforms.telegram.spec import SPEC as TELEGRAM
from bot.platforms.webhook.spec import SPEC as WEBHOOK
from bot.settings import Settings

# The console is the fallback front end: on when no other chat platform is, never paced.
CONSOLE = PlatformSpec("console", None, enabled=lambda settings: False, limits=lambda settings: NO_LIMITS)
PLATFORMS: tuple[PlatformSpec, ...] = (TELEGRAM, DISCORD, WEBHOOK, CONSOLE)


def spec_for(name: str) -> PlatformSpec:
    """Return a platform's spec; KeyError names the platforms there are."""
    for spec in PLATFORMS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown platform {name!r}: {', '.join(names())}")


def names() -> tuple[str, ...]:
    """Return the platform names, as destinations store them."""
    return tuple(spec.name for spec in PLATFORMS)


def enabled(settings: Settings) -> tuple[PlatformSpec, ...]:
    """Return the platforms the settings turn on (none means the console)."""
    return tuple(spec for spec in PLATFORMS if spec.enabled(settings))
