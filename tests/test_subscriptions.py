import pytest
from sqlalchemy import select

from bot.commands import Chat
from bot.content.models import Notice
from bot.store.models import Destination
from bot.subscriptions import parse_digest
from tests.both_databases import database_url  # noqa: F401  (these queries run on both databases)

ADMIN = Chat("telegram", "-100", kind="group", title="ML 群", is_admin=True, lang="zh")
MEMBER = Chat("telegram", "-100", kind="group", is_admin=False, lang="en")


async def only_destination(app):
    async with app.sessions() as session:
        return (await session.execute(select(Destination))).scalar_one()


async def with_categories(app, write_post):
    write_post("a.md", "A", category="生成模型", slug="a")
    write_post("b.md", "B", category="Reinforcement Learning", slug="b")
    await app.scan()


async def test_admin_subscribes_the_chat(app):
    reply = await app.commands.run("/subscribe", ADMIN)
    assert isinstance(reply, Notice) and not reply.is_error and "已订阅" in reply.text
    destination = await only_destination(app)
    assert (destination.platform, destination.chat_id, destination.kind, destination.title) == (
        "telegram", "-100", "group", "ML 群",
    )  # fmt: skip
    assert destination.active and destination.mode == "instant" and destination.categories == []


async def test_non_admin_is_refused_clearly(app):
    reply = await app.commands.run("/subscribe", MEMBER)
    assert reply.is_error and reply.text == "Only an admin of this chat can change its subscription."
    async with app.sessions() as session:
        assert (await session.execute(select(Destination))).first() is None


async def test_categories_are_checked_and_normalised(app, write_post):
    await with_categories(app, write_post)
    reply = await app.commands.run("/subscribe reinforcement learning, 生成模型", ADMIN)
    assert not reply.is_error
    assert (await only_destination(app)).categories == ["Reinforcement Learning", "生成模型"]
    reply = await app.commands.run("/subscribe Cooking", ADMIN)
    assert reply.is_error and "Cooking" in reply.text and "生成模型" in reply.text


@pytest.mark.parametrize(
    ("args", "schedule", "zone"),
    [("digest 09:30", "09:30", "UTC"), ("digest 21:00 Asia/Shanghai", "21:00", "Asia/Shanghai"),
     ("digest 0 9 * * 1 Europe/Berlin", "0 9 * * 1", "Europe/Berlin")],
)  # fmt: skip
async def test_digest_subscriptions(app, args, schedule, zone):
    reply = await app.commands.run(f"/subscribe {args}", ADMIN)
    assert not reply.is_error, reply.text
    destination = await only_destination(app)
    assert (destination.mode, destination.digest_cron, destination.digest_tz) == ("digest", schedule, zone)


@pytest.mark.parametrize(
    "args", ["digest", "digest 25:00", "digest 09:30 Mars/Base", "digest 1 2 3", "digest 9:30 UTC x"]
)
async def test_bad_digest_schedules_get_a_helpful_reply(app, args):
    reply = await app.commands.run(f"/subscribe {args}", ADMIN)
    assert reply.is_error and "/subscribe digest 09:30" in reply.text


async def test_unsubscribe_and_subscribe_again(app):
    await app.commands.run("/subscribe", ADMIN)
    assert not (await app.commands.run("/unsubscribe", ADMIN)).is_error
    destination = await only_destination(app)
    assert not destination.active and destination.disabled_reason == "unsubscribed"
    assert (await app.commands.run("/unsubscribe", ADMIN)).is_error
    await app.commands.run("/subscribe", ADMIN)
    assert (await only_destination(app)).active


async def test_settings_show_and_change(app):
    assert (await app.commands.run("/settings", ADMIN)).is_error  # not subscribed yet
    await app.commands.run("/subscribe", ADMIN)
    shown = await app.commands.run("/settings", MEMBER)
    assert "silent: off" in shown.lines
    assert (await app.commands.run("/settings silent on", MEMBER)).is_error
    changed = await app.commands.run("/settings silent on", ADMIN)
    assert "silent: on" in changed.lines
    await app.commands.run("/settings language en", ADMIN)
    assert (await only_destination(app)).language == "en"
    assert (await app.commands.run("/settings loud yes", ADMIN)).is_error
    await app.commands.run("/subscribe", ADMIN)  # subscribing again keeps silent
    assert (await only_destination(app)).silent


def test_parse_digest():
    assert parse_digest(["7:05"]) == ("7:05", "UTC")
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_digest(["07:05", "Nowhere/Land"])
