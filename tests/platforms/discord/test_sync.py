"""Slash commands are uploaded only when their definitions changed (Discord caps creates per day)."""

import asyncio

import discord
import pytest

from bot.platforms.discord import slash
from bot.platforms.discord.platform import TransmissionClient, force_sync
from bot.services.reading import COMMANDS, CommandSpec
from bot.store.commands_sync import synced_hash
from tests.fakes.discord_payloads import ApiError
from tests.fakes.discord_server import GUILD, FakeDiscord
from tests.platforms.discord.conftest import make_platform

NAMES = [c.name for c in COMMANDS]


@pytest.fixture
async def server():
    async with FakeDiscord() as fake:
        yield fake


async def restart(app, server, **options):
    """Start a platform as a fresh process would, then stop it."""
    platform = make_platform(app, server, **options)
    await platform.start()
    await platform.stop()
    return platform


async def test_synced_once_then_only_when_changed(app, server, monkeypatch):
    await restart(app, server)
    await restart(app, server)
    assert [(guild, [c["name"] for c in commands]) for guild, commands in server.syncs] == [(None, NAMES)]
    assert server.syncs[0][1][0]["description_localizations"]["zh-CN"] == COMMANDS[0].help_zh
    changed = CommandSpec("latest", "[page]", "最新文章", "The newest posts")
    monkeypatch.setitem(slash._HELP, "latest", changed)
    await restart(app, server)
    assert len(server.syncs) == 2 and server.syncs[1][1][0]["description"] == "The newest posts"
    server.application_id += 1  # another bot token: its application has none of these commands yet
    await restart(app, server)
    assert len(server.syncs) == 3


async def test_guild_scope_is_synced_and_remembered_separately(app, server):
    await restart(app, server, guild_id=GUILD)
    await restart(app, server, guild_id=GUILD)
    await restart(app, server)
    assert [guild for guild, _ in server.syncs] == [GUILD, None]
    assert [c["name"] for c in server.commands[GUILD]] == NAMES
    async with app.sessions() as session:
        assert await synced_hash(session, "discord", f"guild:{GUILD}") is not None
        assert await synced_hash(session, "discord", "global") is not None


async def test_force_sync_uploads_even_when_unchanged(app, server):
    await restart(app, server)
    names = await force_sync(make_platform(app, server))
    assert names == NAMES
    assert len(server.syncs) == 2


async def test_a_failed_sync_does_not_stop_the_bot_and_is_retried(app, server, caplog):
    server.sync_error = ApiError(403, 50001, "Missing Access")  # no applications.commands scope
    platform = await restart(app, server)
    assert "could not sync the Discord slash commands" in caplog.text
    assert server.syncs == [] and platform.client.user is not None
    await restart(app, server)
    assert len(server.syncs) == 1


async def test_the_gateway_runs_beside_and_stops_with_the_platform(app, server, monkeypatch, caplog):
    connected = asyncio.Event()

    async def connect(self, *, reconnect=True):
        connected.set()
        await asyncio.Event().wait()  # a gateway that never closes by itself

    monkeypatch.setattr(TransmissionClient, "connect", connect)
    platform = make_platform(app, server, gateway=True)
    platform.close_grace = 0.05
    await platform.start()
    await asyncio.wait_for(connected.wait(), 5)
    assert platform.gateway_running
    await platform.stop()
    assert not platform.gateway_running

    async def refused(self, *, reconnect=True):
        raise discord.GatewayNotFound()

    monkeypatch.setattr(TransmissionClient, "connect", refused)
    platform = make_platform(app, server, gateway=True)
    await platform.start()
    await platform.stop()
    assert "the Discord gateway stopped" in caplog.text
    assert len(server.syncs) == 1  # the second start found the definitions synced already
