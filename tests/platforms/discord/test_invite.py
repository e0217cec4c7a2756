"""The invite link: exactly the permissions the bot uses, both scopes, printed at start."""

import logging
from urllib.parse import parse_qs, urlsplit

import discord

from bot.platforms.discord.invite import bot_permissions, invite_url
from tests.fakes.discord_server import FakeDiscord
from tests.platforms.discord.conftest import make_platform

# View Channel, Send Messages, Send Messages in Threads, Embed Links, Attach Files,
# Read Message History, Create Public Threads, from Discord's table of permission bits.
EXPECTED = (1 << 10) | (1 << 11) | (1 << 38) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 35)


def test_invite_url_has_both_scopes_and_exact_permissions():
    url = urlsplit(invite_url(900_000_000_000_000_001))
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == ["900000000000000001"]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(EXPECTED)] == ["309237763072"]


def test_no_administrative_permission():
    granted = {name for name, value in bot_permissions() if value}
    assert granted == {
        "read_messages",  # discord.py's name for View Channel
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
        "create_public_threads",
    }
    assert not bot_permissions() & discord.Permissions.elevated()
    assert not bot_permissions().mention_everyone


async def test_start_logs_the_invite_url(app, caplog):
    async with FakeDiscord(enforce_limits=False) as server:
        platform = make_platform(app, server)
        with caplog.at_level(logging.INFO, logger="bot.platforms.discord.platform"):
            await platform.start()
        await platform.stop()
    assert invite_url(server.application_id) in caplog.text
