"""Discord registers exactly the shared command list, described in both languages."""

from bot.platforms.discord.platform import command_names
from bot.platforms.discord.slash import ChineseDescriptions, definitions
from bot.services.reading import COMMANDS
from tests.fakes.discord_server import GUILD, FakeDiscord
from tests.platforms.discord.conftest import make_platform

NAMES = [c.name for c in COMMANDS]


async def test_discord_slash_commands_are_the_shared_command_list(app):
    for options in ({}, {"guild_id": GUILD}):
        platform = make_platform(app, FakeDiscord(), **options)  # built, never connected
        assert command_names(platform) == NAMES
        await platform.tree.set_translator(ChineseDescriptions())
        payload = await definitions(platform.tree, platform.guild)
        assert [c["name"] for c in payload] == NAMES
        for spec, command in zip(COMMANDS, payload, strict=True):
            assert command["description"] == spec.help_en
            assert command["description_localizations"] == {"zh-CN": spec.help_zh, "zh-TW": spec.help_zh}
        await platform.stop()


async def test_only_subscription_commands_need_manage_channels(app):
    platform = make_platform(app, FakeDiscord())
    payload = {c["name"]: c for c in await definitions(platform.tree, None)}
    managed = {name for name, c in payload.items() if c.get("default_member_permissions") == 16}
    assert managed == {"subscribe", "unsubscribe", "settings"}
    assert all(payload[name]["contexts"] == [0] for name in managed)  # servers only
    await platform.stop()
