import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.content.models import Notice
from bot.services.schedules import ScheduleError, parse_digest
from bot.services.subscriptions import Chat, split_categories
from bot.store.models import Destination
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
    assert "silent: off" in shown.lines  # MEMBER speaks English
    assert (await app.commands.run("/settings silent on", MEMBER)).is_error
    changed = await app.commands.run("/settings silent on", ADMIN)
    assert "静默（silent）：开" in changed.lines
    await app.commands.run("/settings language en", ADMIN)
    assert (await only_destination(app)).language == "en"
    assert (await app.commands.run("/settings loud yes", ADMIN)).is_error
    await app.commands.run("/subscribe", ADMIN)  # subscribing again keeps silent
    assert (await only_destination(app)).silent


def test_parse_digest():
    assert parse_digest(["7:05"]) == ("7:05", "UTC")
    with pytest.raises(ScheduleError) as caught:
        parse_digest(["07:05", "Nowhere/Land"])
    assert (caught.value.key, caught.value.values) == ("unknown_zone", {"zone": "Nowhere/Land"})


@pytest.mark.parametrize(
    "separated",
    ["生成模型，Reinforcement Learning", "生成模型、Reinforcement Learning",
     "生成模型；reinforcement learning", "生成模型;Reinforcement Learning,",
     "Reinforcement Learning 生成模型", "reinforcement learning 生成模型"],
)  # fmt: skip
async def test_full_width_separators_and_multi_word_categories(app, write_post, separated):
    await with_categories(app, write_post)
    reply = await app.commands.run(f"/subscribe {separated}", ADMIN)
    assert not reply.is_error, reply.text
    assert sorted((await only_destination(app)).categories) == ["Reinforcement Learning", "生成模型"]
    assert re.search("生成模型、Reinforcement Learning|Reinforcement Learning、生成模型", reply.text)


async def test_a_multi_word_category_alone_needs_no_trailing_comma(app, write_post):
    await with_categories(app, write_post)
    reply = await app.commands.run("/subscribe Reinforcement Learning", ADMIN)
    assert not reply.is_error, reply.text
    assert (await only_destination(app)).categories == ["Reinforcement Learning"]
    refused = await app.commands.run("/subscribe Reinforcement Cooking", ADMIN)
    assert refused.is_error and "“Reinforcement”" in refused.text


async def test_an_unknown_time_zone_is_reported_as_such_in_one_language(app):
    zh = await app.commands.run("/subscribe digest 09:30 Mars/Base", ADMIN)
    assert zh.is_error and zh.text.startswith("不认识时区 “Mars/Base”") and "时间格式" not in zh.text
    en = await app.commands.run("/subscribe digest 09:30 Mars/Base", replace(ADMIN, lang="en"))
    assert en.text.startswith("Unknown time zone “Mars/Base”")


@pytest.mark.parametrize(
    ("args", "zh_start"),
    [("digest 25:99", "时间 “25:99” 不对"), ("digest 1 2 3", "“1 2 3” 不是有效的 cron"),
     ("digest", "缺少时间"), ("digest 9:30 UTC x", "看不懂时区后面的 “x”")],
)  # fmt: skip
async def test_schedule_errors_speak_one_language(app, args, zh_start):
    zh = await app.commands.run(f"/subscribe {args}", ADMIN)
    assert zh.is_error and zh.text.startswith(zh_start), zh.text
    assert not re.search(r"\b(use|bad|time|unexpected|missing)\b", zh.text, re.IGNORECASE)
    en = await app.commands.run(f"/subscribe {args}", replace(ADMIN, lang="en"))
    assert not re.search(r"[\u4e00-\u9fff]", en.text), en.text


@pytest.mark.parametrize("schedule", ["* * * * *", "*/30 * * * *", "0,30 9 * * *", "59 * * * *  "])
async def test_digests_more_often_than_hourly_are_refused_helpfully(app, schedule):
    reply = await app.commands.run(f"/subscribe digest {schedule}", ADMIN)
    if schedule.strip() == "59 * * * *":
        assert not reply.is_error, reply.text  # hourly is the minimum, and allowed
        return
    assert reply.is_error and "最多每小时一次" in reply.text and "/subscribe digest 09:30" in reply.text
    async with app.sessions() as session:
        assert (await session.execute(select(Destination))).first() is None


async def test_settings_accepts_both_changes_at_once(app):
    await app.commands.run("/subscribe", ADMIN)
    for line in ("/settings silent on language en", "/settings language en silent on"):
        reply = await app.commands.run(line, ADMIN)
        assert not reply.is_error, reply.text
        destination = await only_destination(app)
        assert destination.silent and destination.language == "en"
    for bad in ("/settings silent on language", "/settings silent on silent off", "/settings language fr"):
        assert (await app.commands.run(bad, ADMIN)).is_error


async def test_settings_lines_are_in_the_chats_language(app):
    await app.commands.run("/subscribe digest 09:30 Asia/Shanghai", ADMIN)
    zh = await app.commands.run("/settings", ADMIN)
    assert zh.lines[0] == "方式：摘要 09:30（Asia/Shanghai）" and "分类：全部" in zh.lines
    en = await app.commands.run("/settings", MEMBER)
    assert en.lines[0] == "mode: digest 09:30 (Asia/Shanghai)" and "categories: all" in en.lines


async def test_ensure_adds_a_chat_once_and_keeps_what_it_chose(app):
    terminal = Chat("console", "stdout", title="terminal", is_admin=True, lang="en")
    assert await app.commands.subscriptions.ensure(terminal)
    await app.commands.run("/settings silent on", terminal)
    assert not await app.commands.subscriptions.ensure(terminal)
    found = await only_destination(app)
    assert (found.chat_id, found.title, found.silent) == ("stdout", "terminal", True)


def test_category_lists_take_ascii_and_full_width_separators():
    known = {"生成模型": "生成模型", "reinforcement learning": "Reinforcement Learning", "python": "Python"}
    for typed in ("生成模型，Reinforcement Learning；Python", "生成模型、Reinforcement Learning,Python",
                  "生成模型; Reinforcement Learning ，Python"):  # fmt: skip
        assert split_categories(typed, known) == ["生成模型", "Reinforcement Learning", "Python"], typed
