"""A Discord platform logged in to the fake Discord API, fed interactions the way the gateway would."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select

from bot.platforms.discord.platform import DiscordPlatform
from bot.store.models import Destination
from tests.fakes.discord_interactions import FakeInteraction
from tests.fakes.discord_server import FakeDiscord

MANAGE_CHANNELS = 16


def make_platform(app, server: FakeDiscord, **options) -> DiscordPlatform:
    """The platform as bot/app.py would build it, minus the gateway (which the fake does not emulate)."""
    options.setdefault("gateway", False)
    return DiscordPlatform(
        token=server.token, commands=app.commands, services=app.services, zone=UTC,
        default_lang="zh", wake=app.wake, api_base_url=server.base_url, **options,
    )  # fmt: skip


@pytest.fixture
async def discord_app(app, write_post):
    for i in range(7):
        write_post(f"p{i}.md", f"文章 {i}", date=f"2026-11-0{i + 1}", slug=f"p{i}", category="生成模型")
    write_post("en.md", "Diffusion notes", date="2026-11-10", slug="diffusion", category="Notes", lang="en")
    await app.scan()
    async with FakeDiscord(enforce_limits=False) as server:
        platform = make_platform(app, server)
        await platform.start()
        try:
            yield app, platform, server
        finally:
            await platform.stop()


def option(name: str, value: object, focused: bool = False, kind: int = 3) -> dict:
    """One slash-command option as Discord sends it (3 string, 4 integer, 7 channel)."""
    out = {"name": name, "type": kind, "value": str(value) if kind == 7 else value}
    return out | ({"focused": True} if focused else {})


async def feed(
    platform: DiscordPlatform, server: FakeDiscord, kind: int, data: dict, **context
) -> FakeInteraction:
    """Deliver an interaction as the gateway would and wait for the bot's first answer."""
    context.setdefault("channel_id", 555)
    payload = server.new_interaction(kind, data, **context)
    # discord.py's own gateway state (not the bot's): what its websocket calls for INTERACTION_CREATE.
    platform.client._connection.parse_interaction_create(payload)
    return await server.answer_to(payload)


async def command(platform, server, name: str, *options: dict, **context) -> FakeInteraction:
    """Run `/name` with options in a channel (555 unless told) and wait for the answer."""
    return await feed(platform, server, 2, {"name": name, "options": list(options)}, **context)


async def press(platform, server, message, custom_id: str, **context) -> FakeInteraction:
    """Press the button `custom_id` on a message the bot sent."""
    data = {"custom_id": custom_id, "component_type": 2}
    return await feed(platform, server, 3, data, channel_id=message.channel_id, message=message, **context)


def shown(interaction: FakeInteraction) -> str:
    """Everything the reply shows: text, embed titles and descriptions."""
    body = interaction.original.body if interaction.original else interaction.callbacks[0]["data"]
    parts = [body.get("content") or ""]
    parts += [f"{e.get('title', '')}\n{e.get('description', '')}" for e in body.get("embeds") or []]
    return "\n".join(parts)


def ephemeral(interaction: FakeInteraction) -> bool:
    """Whether only the user who asked sees the reply."""
    return bool(int(interaction.callbacks[0]["data"].get("flags") or 0) & 64)


async def destinations(app) -> dict[tuple[str, str], Destination]:
    async with app.sessions() as session:
        return {(d.chat_id, d.thread_id): d for d in (await session.execute(select(Destination))).scalars()}
