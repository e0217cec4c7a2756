"""The sync record: a platform uploads its command definitions again only when they changed."""

from bot.services.command_sync import definitions_hash
from bot.store.commands_sync import meta_key


def test_definitions_hash_ignores_key_order():
    assert definitions_hash({"a": 1, "b": [1, 2]}) == definitions_hash({"b": [1, 2], "a": 1})
    assert definitions_hash({"a": 1}) != definitions_hash({"a": 2})
    assert meta_key("discord", "guild:1") == "commands:discord:guild:1"


async def test_a_remembered_digest_is_current_in_its_scope_only(app):
    sync = app.services.command_sync
    assert not await sync.is_current("discord", "global", "abc")
    await sync.remember("discord", "global", "abc")
    assert await sync.is_current("discord", "global", "abc")
    assert not await sync.is_current("discord", "global", "abd")
    assert not await sync.is_current("discord", "guild:1", "abc")
    await sync.remember("discord", "global", "abd")
    assert await sync.is_current("discord", "global", "abd")
