"""The real PTB Application against the fake Bot API: updates arrive through getUpdates."""

import asyncio
import itertools
import logging
from contextlib import asynccontextmanager
from datetime import UTC

import pytest
from sqlalchemy import select

from bot.broadcast.pacing import Pacer
from bot.platforms.telegram.platform import TelegramPlatform
from bot.services.reading import COMMANDS
from bot.store.models import Destination
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:TEST-token"
OWNER = 999
_ids = itertools.count(1)


def waiting_on(clock):
    """A reply's wait for its slot: the test clock moves on instead of the test sleeping."""

    async def wait(seconds):
        clock.advance(seconds=seconds)

    return wait


@asynccontextmanager
async def running(app, **server_options):
    async with FakeTelegram(token=TOKEN, **server_options) as server:
        platform = TelegramPlatform(
            token=TOKEN,
            commands=app.commands,
            services=app.services,
            clock=app.clock,
            zone=UTC,
            default_lang="zh",
            owners=frozenset({OWNER}),
            base_url=server.base_url,
            pacer=Pacer(app.limits_for("telegram")),
            wait=waiting_on(app.clock),
        )
        app.add_platform(platform.sender, pacer=platform.pacer)
        await platform.start()
        try:
            yield app, server
        finally:
            await platform.stop()


async def seven_posts(app, write_post):
    for i in range(7):
        write_post(f"p{i}.md", f"文章 {i}", date=f"2026-11-0{i + 1}", slug=f"p{i}", category="生成模型")
    await app.scan()


@pytest.fixture
async def tg(app, monkeypatch, write_post):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await seven_posts(app, write_post)
    async with running(app, enforce_limits=False) as both:
        yield both


@pytest.fixture
async def limited(app, monkeypatch, write_post):
    """The fake Bot API enforces Telegram's limits (429) on the test clock."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await seven_posts(app, write_post)
    async with running(app, clock=lambda: app.clock.now().timestamp()) as both:
        yield both


def chat_of(chat_id):
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Reader"}
    if chat_id < -1_000_000:
        return {"id": chat_id, "type": "channel", "title": "Channel"}
    return {"id": chat_id, "type": "supergroup", "title": "ML 群", "is_forum": True}


def message(chat_id, text, user=1, lang="en", **extra):
    body = {"message_id": next(_ids), "date": 1_790_000_000, "chat": chat_of(chat_id), "text": text, **extra}
    if user is not None:
        body["from"] = {"id": user, "is_bot": False, "first_name": "U", "language_code": lang}
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return body


async def say(server, chat_id, text, **options):
    """Send a command as a user and wait for the bot's reply in that chat."""
    before = len(server.messages.get(chat_id, []))
    key = "channel_post" if chat_id < -1_000_000 else "message"
    server.push_update({key: message(chat_id, text, **options)})
    return await reply(server, chat_id, before)


async def reply(server, chat_id, before, limit=10.0):
    async with asyncio.timeout(limit):
        while len(server.messages.get(chat_id, [])) <= before:
            await asyncio.sleep(0.01)
    return server.messages[chat_id][-1]


def press(page, data, lang="en"):
    """A callback query update: the user pressed a button carrying `data` under `page`."""
    user = {"id": 5, "is_bot": False, "first_name": "U", "language_code": lang}
    pressed = message(5, "x", user=None) | {"message_id": page.message_id}
    return {
        "callback_query": {"id": "q1", "from": user, "chat_instance": "c", "data": data, "message": pressed}
    }


def member_update(status):
    """The bot's own membership in group -100 changed to `status`."""
    bot = {"id": 123456, "is_bot": True, "first_name": "Bot"}
    new = {"status": status, "user": bot} | ({"until_date": 0} if status == "kicked" else {})
    admin = {"id": 7, "is_bot": False, "first_name": "U"}
    change = {"chat": chat_of(-100), "from": admin, "date": 1, "new_chat_member": new}
    return {"my_chat_member": change | {"old_chat_member": {"status": "member", "user": bot}}}


async def destinations(app):
    async with app.sessions() as session:
        return {(d.chat_id, d.thread_id): d for d in (await session.execute(select(Destination))).scalars()}


async def test_menus_are_registered_in_both_languages(tg):
    _app, server = tg
    names = [c.name for c in COMMANDS]
    for scope in server.commands.values():
        assert [c["command"] for c in scope][: len(names) + 1] == ["start", *names]
    descriptions = {c["description"] for scope in server.commands.values() for c in scope}
    assert "最新文章，分页浏览" in descriptions and "Latest updates, page by page" in descriptions


async def test_start_and_help_in_the_users_language(tg):
    _app, server = tg
    zh = await say(server, 5, "/start", lang="zh-hans")
    assert "私聊里发送 /subscribe" in zh.text and "/latest" in zh.text
    en = await say(server, 5, "/help", lang="en-GB")
    assert "/subscribe" in en.text and "Latest updates" in en.text
    other = await say(server, 5, "/help", lang="de")
    assert "最新文章" in other.text  # the configured default


async def test_latest_pages_with_buttons_that_edit_in_place(tg):
    _app, server = tg
    page = await say(server, 5, "/latest")
    opens, pager = page.reply_markup["inline_keyboard"]
    assert [b["text"] for b in opens] == ["📄 1", "📄 2", "📄 3", "📄 4", "📄 5"]  # one tap opens each post
    assert all(b["callback_data"].startswith("open:") for b in opens)
    assert [b["callback_data"] for b in pager] == ["latest:1", "latest:2", "latest:2"]
    server.push_update(press(page, "latest:2"))
    async with asyncio.timeout(10):
        while not any(r.method.lower() == "answercallbackquery" for r in server.requests):
            await asyncio.sleep(0.01)
    [edited] = [m for m in server.messages[5] if m.message_id == page.message_id]
    assert "6. 文章 1" in edited.text and "7. 文章 0" in edited.text and edited.edit_date is not None


@pytest.mark.parametrize("data", ["latest:9", "garbage", "latest:-1"])
async def test_stale_or_malformed_buttons_get_a_polite_answer(tg, data):
    _app, server = tg
    page = await say(server, 5, "/latest")
    server.push_update(press(page, data))
    async with asyncio.timeout(10):
        while not (answers := [r for r in server.requests if r.method.lower() == "answercallbackquery"]):
            await asyncio.sleep(0.01)
    assert answers[0].status == 200 and answers[0].params.get("text")


async def test_private_chat_subscribes_itself_and_receives_posts(tg, write_post, clock):
    app, server = tg
    answer = await say(server, 5, "/subscribe", lang="en")
    assert "Subscribed" in answer.text
    write_post("new.md", "新文章", date="2026-11-22", slug="new")
    await app.tick()
    clock.advance(seconds=1.1)  # the reply took this second of the chat's limit
    await app.drain()
    assert server.messages[5][-1].text.splitlines()[1] == "新文章"


async def test_group_members_are_refused_admins_and_anonymous_admins_subscribe(tg):
    app, server = tg
    refused = await say(server, -100, "/subscribe", user=7)  # from a user whose Telegram is in English
    assert refused.text == "Only an admin of this chat can change its subscription."
    assert await destinations(app) == {}
    server.admins[-100] = {7}
    await say(server, -100, "/subscribe 生成模型", user=7)
    assert (await destinations(app))[("-100", "")].categories == ["生成模型"]
    await say(server, -200, "/subscribe", user=None, sender_chat=chat_of(-200))
    assert ("-200", "") in await destinations(app)


async def test_forum_topic_subscription_is_for_that_topic(tg):
    app, server = tg
    server.admins[-100] = {7}
    topic = await say(server, -100, "/subscribe", user=7, is_topic_message=True, message_thread_id=42)
    assert topic.message_thread_id == 42
    assert (await destinations(app))[("-100", "42")].kind == "thread"


async def test_channels_subscribe_by_posting_or_from_a_private_chat(tg):
    app, server = tg
    server.channels.add(-1_000_001)
    await say(server, -1_000_001, "/subscribe", user=None, sender_chat=chat_of(-1_000_001))
    assert (await destinations(app))[("-1000001", "")].kind == "channel"
    server.channels.add(-1_000_002)
    server.usernames["@mlchan"] = -1_000_002
    refused = await say(server, 5, "/subscribe @mlchan", lang="en")
    assert "Only an admin" in refused.text
    server.admins[-1_000_002] = {1}
    await say(server, 5, "/subscribe @mlchan", lang="en")
    assert ("-1000002", "") in await destinations(app)
    missing = await say(server, 5, "/subscribe @nochannel", lang="en")
    assert "Can't find @nochannel" in missing.text


async def test_kicked_bot_disables_and_readding_restores(tg):
    app, server = tg
    server.admins[-100] = {7}
    await say(server, -100, "/subscribe", user=7)

    server.push_update(member_update("kicked"))
    async with asyncio.timeout(10):
        while (await destinations(app))[("-100", "")].active:
            await asyncio.sleep(0.02)
    server.push_update(member_update("member"))
    async with asyncio.timeout(10):
        while not (await destinations(app))[("-100", "")].active:
            await asyncio.sleep(0.02)


async def test_migration_message_moves_the_subscription(tg):
    app, server = tg
    server.admins[-100] = {7}
    await say(server, -100, "/subscribe", user=7)
    server.push_update(
        {"message": message(-100, "", user=7) | {"migrate_to_chat_id": -1_009_999} | {"text": None}}
    )
    async with asyncio.timeout(10):
        while ("-1009999", "") not in await destinations(app):
            await asyncio.sleep(0.02)


async def test_owner_commands(tg):
    app, server = tg
    refused = await say(server, 5, "/status", lang="en")
    assert "Only the bot's owners" in refused.text
    status = await say(server, OWNER, "/status", user=OWNER, lang="en")
    assert "queue 0" in status.text
    await say(server, 5, "/subscribe")
    resent = await say(server, OWNER, "/broadcast p3", user=OWNER, lang="en")
    assert "Re-sending “文章 3” to 1 destinations" in resent.text
    app.clock.advance(seconds=1.1)  # chat 5's last reply took this second
    await app.drain()
    assert "文章 3" in server.messages[5][-1].text


async def test_one_user_cannot_flood_commands(tg):
    _app, server = tg
    for _ in range(12):
        server.push_update({"message": message(5, "/categories")})
    await reply(server, 5, 7)  # the eighth answer
    await asyncio.sleep(0.5)  # give any (wrong) extra answers time to arrive before counting
    assert len(server.messages[5]) == 8


async def test_commands_for_another_bot_are_ignored(tg):
    _app, server = tg
    server.push_update({"message": message(-100, "/latest@SomeOtherBot", user=7)})
    answer = await say(server, -100, "/help", user=7)
    assert len(server.messages[-100]) == 1 and "/latest" in answer.text


async def test_a_rate_limited_reply_is_dropped_without_breaking_the_bot(tg):
    _app, server = tg
    server.fail_next(
        5, error_code=429, description="Too Many Requests: retry after 3", parameters={"retry_after": 3}
    )
    server.push_update({"message": message(5, "/help")})
    async with asyncio.timeout(10):
        while not any(r.status == 429 for r in server.requests):
            await asyncio.sleep(0.01)
    answer = await say(server, 5, "/categories")
    assert "生成模型" in answer.text
    assert len(server.messages[5]) == 1


async def until(condition, limit=10.0):
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_hundred_users_asking_in_one_group_draw_no_429(limited):
    _app, server = limited
    for user in range(100):
        server.push_update({"message": message(-100, "/latest", user=1000 + user)})
    await until(lambda: len(server.messages.get(-100, [])) >= 20)
    await say(server, 5, "/help")  # the updates behind them were handled too
    assert server.rate_limited == 0
    assert len(server.messages[-100]) == 20  # the chat's own guard: a group's 20 messages a minute
    sends = sorted(
        r.time for r in server.requests if r.method.lower() == "sendmessage" and r.params["chat_id"] == "-100"
    )
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(sends))  # one a second in the chat


async def test_one_users_eight_commands_in_two_seconds_are_all_answered_without_429(limited):
    app, server = limited
    for _ in range(8):
        server.push_update({"message": message(5, "/categories")})
        app.clock.advance(seconds=0.25)
    await until(lambda: len(server.messages.get(5, [])) >= 8)
    assert server.rate_limited == 0 and len(server.messages[5]) == 8


async def test_channel_posts_have_a_guard_too(limited):
    _app, server = limited
    for _ in range(30):
        server.push_update({"channel_post": message(-1_000_001, "/help", user=None)})
    await until(lambda: len(server.messages.get(-1_000_001, [])) >= 20)
    await say(server, 5, "/help")
    assert server.rate_limited == 0 and len(server.messages[-1_000_001]) == 20


async def test_replies_and_transmissions_share_one_pacing(limited, write_post):
    app, server = limited
    server.admins[-100] = {7}
    await say(server, -100, "/subscribe", user=7)
    write_post("new.md", "新文章", date="2026-11-22", slug="new")
    await app.tick()
    await app.drain()  # the reply just went: the transmission waits for the chat's next slot
    assert len(server.messages[-100]) == 1
    app.clock.advance(seconds=1.1)
    await app.drain()
    assert len(server.messages[-100]) == 2 and server.rate_limited == 0


async def test_a_failing_command_still_gets_an_answer_and_is_logged(tg, monkeypatch, caplog):
    app, server = tg

    async def broken(text, who):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.commands, "run", broken)
    with caplog.at_level(logging.ERROR):
        answer = await say(server, 5, "/latest", lang="zh")
    assert answer.text == "出错了，这条命令没能完成。请稍后再试。"
    assert any("database on fire" in str(r.exc_info) for r in caplog.records)


async def test_commands_before_the_first_index_say_indexing(app, monkeypatch, write_post):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    for i in range(3):
        write_post(f"p{i}.md", f"文章 {i}", slug=f"p{i}")
    async with running(app, enforce_limits=False) as (_app, server):
        app.commands.index.progress(2, 3)  # the first scan is under way
        answer = await say(server, 5, "/latest", lang="zh")
        assert answer.text == "正在建立文章索引，已读 2 篇，请稍后再试。"
        assert "还没有已发布的文章" not in answer.text
        english = await say(server, 6, "/search 文章", lang="en")
        assert english.text.startswith("Indexing the posts: 2 read so far")
        assert "/latest" in (await say(server, 7, "/help", lang="en")).text  # help needs no posts
        await app.tick()
        assert "文章 2" in (await say(server, 5, "/latest", lang="zh")).text
