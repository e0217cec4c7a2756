"""Reading in chat on Discord: the Read button's thread, private parts, /post full, the open menu.

Every answer goes over real HTTP to the fake Discord API, which checks bodies like Discord does.
"""

import asyncio
from datetime import UTC

import pytest

from bot.broadcast.sender import Target
from bot.content import full
from tests.fakes.discord_interactions import CAN_POST, CAN_THREAD
from tests.fakes.discord_payloads import DM, FORUM, PUBLIC_THREAD, FakeMessage
from tests.fakes.discord_server import FakeDiscord
from tests.platforms.discord.conftest import command, ephemeral, feed, make_platform, option, press, shown

# Long enough for several 2000-character parts, with the things a part must never cut.
SECTION = "扩散模型把数据一步步加上噪声，再学会一步步去掉它。@everyone 不会被提到。" * 24
LONG_BODY = "\n\n".join(
    f"## 第 {n} 节\n\n{SECTION}\n\n$$\\int_0^1 x^{n}\\,dx = \\frac{{1}}{{{n + 1}}}$$\n\n"
    f"```python\nprint({n})\n```"
    for n in range(1, 9)
)
TITLE = "扩散模型：从噪声到图像"


@pytest.fixture
async def reading_app(app, write_post):
    for i in range(7):
        write_post(f"p{i}.md", f"文章 {i}", date=f"2026-11-0{i + 1}", slug=f"p{i}", category="生成模型")
    write_post("long.md", TITLE, date="2026-11-12", body=LONG_BODY, slug="long", category="生成模型")
    await app.scan()
    # Discord paces 5 messages per 5 s in a channel and discord.py keeps to it (it sleeps when a bucket
    # runs out); a roomier bucket lets the tests run without those real pauses.
    async with FakeDiscord(enforce_limits=False, per_channel=1000) as server:
        platform = make_platform(app, server)
        await platform.start()
        try:
            yield app, platform, server
        finally:
            await platform.stop()


async def parts_of(app, slug: str = "long") -> list[str]:
    """The parts Discord should receive for a stored post."""
    return full.render_discord(await app.services.articles.full_by_slug(slug, "zh"), UTC)


async def card_of(app, slug: str = "long"):
    """The post's transmission card, as the engine broadcasts it."""
    post = await app.services.articles.full_by_slug(slug, "zh")
    return await app.services.articles.card(post.post_id, "zh")


async def broadcast(app, platform, server: FakeDiscord, channel_id: int, slug: str = "long") -> FakeMessage:
    """Send the post's transmission to a channel (a forum: as a new post); return the message."""
    await platform.sender.send(Target(str(channel_id)), await card_of(app, slug))
    if server.channels[channel_id].type == FORUM:
        return server.sent(server.threads_of(channel_id)[-1].id)[-1]
    return server.sent(channel_id)[-1]


def read_id(message: FakeMessage) -> str:
    return next(cid for cid in message.custom_ids if cid.startswith("read:"))


def private_parts(answer) -> list[str]:
    """What the reader alone was sent: the answer and its follow-ups, each checked to be ephemeral."""
    first = answer.callbacks[0]
    assert first["type"] == 4 and int(first["data"]["flags"]) & 64
    assert all(int(f.body.get("flags") or 0) & 64 for f in answer.followups)
    return [first["data"]["content"], *(f.content for f in answer.followups)]


async def test_read_opens_a_thread_on_the_transmission_with_every_part_in_order(reading_app):
    app, platform, server = reading_app
    message = await broadcast(app, platform, server, 555)
    parts = await parts_of(app)
    assert len(parts) >= 3 and all(len(part) <= 2000 for part in parts)
    # One 429 on the new thread: discord.py waits it out and the parts still arrive once, in order.
    server.rate_limit(message.id, retry_after=0.05)

    rights = {"app_permissions": CAN_THREAD, "locale": "en-US"}
    answer = await press(platform, server, message, read_id(message), **rights)

    assert ephemeral(answer) and f"<#{message.id}>" in shown(answer)
    thread = server.thread_on(message)
    assert thread is not None and (thread.name, thread.parent_id, thread.type) == (TITLE, 555, PUBLIC_THREAD)
    await server.wait_until(lambda: len(server.sent(thread.id)) == len(parts))
    assert [m.content for m in server.sent(thread.id)] == parts
    assert server.rate_limited == 1
    assert all(m.body["allowed_mentions"]["parse"] == [] for m in server.sent(thread.id))
    assert len(server.sent(555)) == 1  # the channel itself shows only the transmission


async def test_a_second_read_links_to_the_thread_already_there(reading_app):
    app, platform, server = reading_app
    message = await broadcast(app, platform, server, 555)
    parts = await parts_of(app)
    await press(platform, server, message, read_id(message), app_permissions=CAN_THREAD)
    await server.wait_until(lambda: len(server.sent(message.id)) == len(parts))
    # As Discord shows the message now (flagged "has thread"), and as a stale copy another process holds.
    stale = FakeMessage(message.id, message.channel_id, {**message.body, "flags": 0})
    # The link needs no rights in the channel: reading a thread that is there asks nothing of the bot.
    for shown_message, rights in ((message, CAN_THREAD), (stale, CAN_THREAD), (message, CAN_POST)):
        again = await press(platform, server, shown_message, read_id(message), app_permissions=rights)
        assert ephemeral(again) and "The whole post is in the thread" in shown(again)
        assert f"<#{message.id}>" in shown(again)
    assert len(server.sent(message.id)) == len(parts)  # nothing sent twice
    assert len(server.threads_of(555)) == 1


@pytest.mark.parametrize("where", ["dm", "thread", "forum post", "no permission"])
async def test_where_no_thread_can_open_the_parts_go_to_the_reader_alone(reading_app, where):
    app, platform, server = reading_app
    server.add_channel(700, DM)
    server.add_channel(801, PUBLIC_THREAD, parent_id=800, name="papers")
    server.add_channel(900, FORUM, name="transmissions")
    channel = {"dm": 700, "thread": 801, "forum post": 900, "no permission": 555}[where]
    message = await broadcast(app, platform, server, channel)
    parts = await parts_of(app)
    rights = CAN_POST if where == "no permission" else CAN_THREAD

    answer = await press(platform, server, message, read_id(message), app_permissions=rights)

    await server.wait_until(lambda: len(answer.followups) == len(parts) - 1)
    assert private_parts(answer) == parts
    assert server.threads_of(555) == [] and server.threads_of(801) == []
    assert len(server.threads_of(900)) <= 1  # only the forum post the transmission itself is


async def test_a_post_gone_since_is_a_private_notice(reading_app):
    _app, platform, server = reading_app
    button = {"type": 2, "style": 2, "label": "📖 Read", "custom_id": "read:987654"}
    old = FakeMessage(
        42, 555, {"embeds": [{"title": "x"}], "components": [{"type": 1, "components": [button]}]}
    )
    answer = await press(platform, server, old, "read:987654", app_permissions=CAN_THREAD, locale="en-US")
    assert ephemeral(answer) and "That post is gone" in shown(answer)
    assert server.threads_of(555) == []


async def test_post_full_replies_with_the_card_and_opens_a_thread_on_it(reading_app):
    app, platform, server = reading_app
    parts = await parts_of(app)
    for typed in ({"options": [option("slug", "long"), option("full", True, kind=5)]},
                  {"options": [option("slug", "long full")]}):  # fmt: skip
        answer = await feed(platform, server, 2, {"name": "post", **typed}, app_permissions=CAN_THREAD)
        assert answer.answered_type == 4 and not ephemeral(answer)
        assert answer.original.embeds[0]["title"] == TITLE and read_id(answer.original)
        thread_id = answer.original.id
        await server.wait_until(lambda thread_id=thread_id: len(server.sent(thread_id)) == len(parts))
        assert [m.content for m in server.sent(thread_id)] == parts
        assert server.channels[thread_id].name == TITLE


async def test_post_full_in_a_dm_sends_the_parts_privately(reading_app):
    app, platform, server = reading_app
    server.add_channel(700, DM)
    parts = await parts_of(app)
    answer = await command(platform, server, "post", option("slug", "long"), option("full", True, kind=5),
                           channel_id=700, app_permissions=CAN_THREAD)  # fmt: skip
    await server.wait_until(lambda: len(answer.followups) == len(parts) - 1)
    assert private_parts(answer) == parts
    missing = await command(platform, server, "post", option("slug", "nope"), option("full", True, kind=5),
                            locale="en-US")  # fmt: skip
    assert ephemeral(missing) and "nope" in shown(missing)


async def test_the_menu_under_a_list_opens_a_post_card_privately_with_its_read_button(reading_app):
    app, platform, server = reading_app
    page = await command(platform, server, "latest", locale="en-US")
    menu = page.original.menu
    assert menu is not None and menu["custom_id"] == "open:latest:1"
    labels = [o["label"] for o in menu["options"]]
    assert labels[0] == f"1. {TITLE}" and labels[1] == "2. 文章 6"
    chosen = menu["options"][1]["value"]
    data = {"custom_id": menu["custom_id"], "component_type": 3, "values": [chosen]}

    opened = await feed(platform, server, 3, data, channel_id=555, message=page.original)

    assert opened.answered_type == 4 and ephemeral(opened)
    assert opened.original.embeds[0]["title"] == "文章 6"
    assert opened.original.custom_ids == [f"read:{chosen}"]
    # Read on that private card: the parts come privately too (an ephemeral message takes no thread).
    card = FakeMessage(opened.original.id, 555, {**opened.original.body, "flags": 64})
    parts = await parts_of(app, "p6")
    read = await press(platform, server, card, f"read:{chosen}", app_permissions=CAN_THREAD)
    await server.wait_until(lambda: len(read.followups) == len(parts) - 1)
    assert private_parts(read) == parts
    assert server.threads_of(555) == []


async def test_a_slow_database_defers_the_answer_and_the_parts_follow(reading_app, monkeypatch):
    app, platform, server = reading_app
    message = await broadcast(app, platform, server, 555)
    parts = await parts_of(app)
    platform.handlers.defer_after = 0.05
    release = asyncio.Event()
    articles = app.services.articles
    fetch = articles.full

    async def slow(*args):
        await release.wait()
        return await fetch(*args)

    monkeypatch.setattr(articles, "full", slow)
    answer = await press(platform, server, message, read_id(message), app_permissions=CAN_POST)
    assert answer.answered_type == 5 and int(answer.callbacks[0]["data"]["flags"]) & 64  # thinking, privately
    release.set()
    await server.wait_until(lambda: len(answer.followups) == len(parts))
    assert [f.content for f in answer.followups] == parts


async def test_a_thread_is_edited_when_its_post_changes(reading_app, write_post):
    app, platform, server = reading_app
    message = await broadcast(app, platform, server, 555)
    parts = await parts_of(app)
    await press(platform, server, message, read_id(message), app_permissions=CAN_THREAD)
    await server.wait_until(lambda: len(server.sent(message.id)) == len(parts))
    write_post("long.md", TITLE, date="2026-11-12", body="改写后的全文，短了。", slug="long")
    await app.scan()

    assert await app.services.readings.edit_changed({"discord": platform.sender}) == 1

    [only] = server.sent(message.id)  # edited in place; the parts it no longer needs are deleted
    assert only.edited and "改写后的全文" in only.content and "已更新" in only.content
    assert await app.services.readings.edit_changed({"discord": platform.sender}) == 0
