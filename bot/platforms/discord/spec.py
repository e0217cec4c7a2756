"""Discord as the registry knows it: on with DISCORD_BOT_TOKEN, Discord's published limits."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from bot.broadcast.pacing import Limits, Window
from bot.platforms.spec import Host, PlatformSpec, Started
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.platforms.discord.platform import DiscordPlatform


def limits(settings: Settings) -> Limits:
    """Overall and per-channel windows from the settings."""
    return Limits(
        overall=Window.per_second(settings.discord_global_per_s),
        per_chat=Window.rate(settings.discord_channel_per_5s, 5.0),
    )


def build(host: Host, gateway: bool = True) -> DiscordPlatform:
    """Build the Discord platform from settings (imported lazily: discord.py is heavy)."""
    from bot.platforms.discord.platform import DiscordPlatform

    settings = host.settings
    assert settings.discord_bot_token is not None
    return DiscordPlatform(
        token=settings.discord_bot_token.get_secret_value(),
        commands=host.commands,
        services=host.services,
        zone=settings.zone,
        default_lang=settings.language,
        wake=host.wake,
        guild_id=settings.discord_guild_id,
        api_base_url=settings.discord_api_base_url,
        gateway=gateway,
        global_per_s=settings.discord_global_per_s,
    )


async def start(host: Host, stack: AsyncExitStack) -> Started:
    """Log in, sync commands when they changed, connect the gateway, and start the sender."""
    discord = build(host)
    await discord.start()
    stack.push_async_callback(discord.stop)
    return Started(discord.sender)


SPEC = PlatformSpec(
    name="discord",
    setting="DISCORD_BOT_TOKEN",
    enabled=lambda settings: settings.discord_bot_token is not None,
    limits=limits,
    start=start,
)
