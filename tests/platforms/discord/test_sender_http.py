"""The engine and the Discord sender over real HTTP against the limit-enforcing fake Discord API."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.broadcast.dispatcher import EngineSettings
from bot.broadcast.sender import BadMessage, DestinationGone, RetryAfter, RetryLater, Target
from bot.clock import SystemClock
from bot.content.full import render_discord
from bot.content.models import FullPost, LatestPage, Transmission
from bot.platforms.discord.sender import DiscordSender, open_client, post_name
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from bot.store.models import Delivery, Destination
from tests.conftest import post_text
from tests.fakes.discord_payloads import FORUM
from tests.fakes.discord_server import FakeDiscord
from tests.live import until_settled

ITEM = Transmission(
    "p", "扩散 @everyone", "ML", datetime(2026, 11, 20, tzinfo=UTC), "摘要 **粗**", "https://b.example/p"
)


@pytest.fixture
async def live(tmp_path, posts_dir):
    """A real-clock app whose Discord sender talks HTTP to a fake server on 127.0.0.1."""
    settings = load_settings(
        posts_dir=posts_dir, database_url=f"sqlite:///{tmp_path / 'live.db'}", site_url="https://b.example/p",
        broadcast_max_age=10**9, _env_file=None,
        # Discord's 50/s counts every request, and the adapter makes a few the pacer does not see
        # (login, a forum's first probe): pacing sends at 45/s leaves them room.
        discord_global_per_s=45,
    )  # fmt: skip
    async with FakeDiscord() as server, open_client(server.token, server.base_url) as client:
        app = build_app(settings, SystemClock())
        await app.prepare()
        app.add_platform(DiscordSender(client, settings.zone))
        await app.tick()
        yield app, server
        await app.close()


@pytest.fixture
async def sender():
    async with FakeDiscord() as server, open_client(server.token, server.base_url) as client:
        yield DiscordSender(client), server


async def add(app, *targets):
    async with app.sessions.begin() as session:
        for chat_id, thread in targets:
            wish = Subscription("discord", chat_id, thread, "thread" if thread else "channel")
            await subscribe(session, wish, app.clock.now())


async def destinations(app):
    async with app.sessions() as session:
        return {(d.chat_id, d.thread_id): d for d in (await session.execute(select(Destination))).scalars()}


async def test_broadcast_reaches_channels_threads_and_forums_once_within_limits(live, posts_dir):
    app, server = live
    server.add_channel(900, FORUM)
    server.add_channel(801, 11, parent_id=800)
    channels = [(str(100 + i), "") for i in range(60)]
    await add(app, *channels, ("800", "801"), ("900", ""))
    (posts_dir / "p.md").write_text(
        post_text("扩散 <模型> & @everyone", "2026-11-22", "正文 $x^2$。", slug="p")
    )
    await app.tick()
    await until_settled(app, "discord")
    assert server.rate_limited == 0  # 62 sends in over a second: the engine kept under 50/s itself
    assert {c: len(server.sent(c)) for c in range(100, 160)} == dict.fromkeys(range(100, 160), 1)
    assert len(server.sent(801)) == 1 and server.sent(800) == []  # the thread, not its parent
    [post] = server.threads_of(900)
    assert post.name == "扩散 <模型> & @everyone"
    [embed] = server.sent(post.id)[0].embeds
    assert embed["url"] == "https://b.example/p/p" and "x²" in embed["description"]
    assert server.sent(100)[0].body["allowed_mentions"] == {"parse": []}
    async with app.sessions() as session:
        ids = {tuple(d.message_ids) for d in (await session.execute(select(Delivery))).scalars()}
    assert (f"{post.id}/{post.id}",) in ids


async def test_lost_access_rate_limits_and_server_errors(live, posts_dir):
    app, server = live
    await add(app, ("1", ""), ("2", ""), ("3", ""), ("4", ""), ("5", ""), ("6", ""))
    server.forbid(1, code=50001)
    server.forbid(2, code=50013)
    server.remove_channel(3)
    server.fail_with_5xx(4)
    server.rate_limit(5, retry_after=0.3, via=False)  # given up by discord.py: back to the engine
    server.rate_limit(6, retry_after=0.05)  # waited out by discord.py itself
    app.add_platform(app.dispatchers["discord"].sender, engine=EngineSettings(backoff_base=0.2))
    (posts_dir / "p.md").write_text(post_text("T", "2026-11-22", "Body.", slug="p"))
    await app.tick()
    await until_settled(app, "discord")
    assert {c: len(server.sent(c)) for c in range(1, 7)} == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 1}
    found = await destinations(app)
    assert found[("1", "")].disabled_reason == "403 Forbidden (error code: 50001): Missing Access"
    assert found[("2", "")].disabled_reason == "403 Forbidden (error code: 50013): Missing Permissions"
    assert found[("3", "")].disabled_reason == "404 Not Found (error code: 10003): Unknown Channel"
    assert all(found[(c, "")].active for c in "456")
    assert server.rate_limited == 2


async def test_edits_and_deletes_follow_the_post(live, posts_dir):
    app, server = live
    server.add_channel(900, FORUM)
    await add(app, ("10", ""), ("900", ""))
    app.settings.delete_removed = True
    (posts_dir / "p.md").write_text(post_text("Title", "2026-11-22", "First body.", slug="p"))
    await app.tick()
    await until_settled(app, "discord")
    [post] = server.threads_of(900)
    (posts_dir / "p.md").write_text(post_text("Title", "2026-11-22", "Second body.", slug="p"))
    await app.tick()
    await until_settled(app, "discord")
    for channel_id in (10, post.id):
        [message] = server.sent(channel_id)
        assert message.edited and "Second body." in message.embeds[0]["description"]
    (posts_dir / "p.md").unlink()
    await app.tick()
    await until_settled(app, "discord")
    assert server.sent(10) == [] and server.threads_of(900) == []


async def test_sender_maps_every_failure(sender):
    send, server = sender
    server.rate_limit(1, retry_after=60, everywhere=True)  # longer than discord.py will sleep
    with pytest.raises(RetryAfter) as long_wait:
        await send.send(Target("1"), ITEM)
    assert (long_wait.value.seconds, long_wait.value.everywhere) == (60, False)
    server.rate_limit(1, retry_after=2, via=False)
    with pytest.raises(RetryAfter) as banned:
        await send.send(Target("1"), ITEM)
    assert (banned.value.seconds, banned.value.everywhere) == (2, True)
    server.fail_next(1, 400, 50035, "Invalid Form Body")
    with pytest.raises(BadMessage, match="50035"):
        await send.send(Target("1"), ITEM)
    server.fail_next(1, 400, 50083, "Tried to perform an operation on an archived thread")
    with pytest.raises(DestinationGone, match="archived thread"):
        await send.send(Target("800", "1"), ITEM)
    server.add_channel(2, 2)  # a voice channel
    with pytest.raises(DestinationGone, match="takes no messages"):
        await send.send(Target("2"), ITEM)
    server.fail_next(3, 401, 0, "401: Unauthorized")
    with pytest.raises(RetryLater, match="401"):
        await send.send(Target("3"), ITEM)
    [message_id] = await send.send(Target("3", silent=True), ITEM)
    assert server.sent(3)[0].body["flags"] == 4096  # silent: no notification sound
    await send.delete(Target("3"), [message_id])
    await send.delete(Target("3"), [message_id])  # already gone counts as deleted
    with pytest.raises(BadMessage, match="10008"):
        await send.edit(Target("3"), [message_id], ITEM)
    await server.stop()
    with pytest.raises(RetryLater, match="Client"):  # aiohttp: connection refused or reset
        await send.send(Target("3"), ITEM)


async def test_forum_posts_are_tagged_by_category_and_remembered(sender):
    send, server = sender
    tags = [{"id": str(i), "name": name, "moderated": False, "emoji_id": None, "emoji_name": None}
            for i, name in enumerate(["news", "ml"], start=1)]  # fmt: skip
    server.add_channel(50, FORUM, tags=tags, require_tag=True)
    await send.send(Target("50"), ITEM)
    await send.send(Target("50"), LatestPage((ITEM,), 1, 1, 1, "en"))
    assert [t.applied_tags for t in server.threads_of(50)] == [["2"], ["1"]]  # category, else required first
    assert [t.name for t in server.threads_of(50)] == ["扩散 @everyone", "LATEST UPDATES"]
    probes = [r.status for r in server.requests if r.path.endswith("/50/messages")]
    assert probes == [400]  # learned once that it is a forum; the second post went straight there
    assert post_name(LatestPage((), 1, 1, 0, "en", heading="x" * 300)) == "x" * 99 + "…"


# --- whole posts (`/settings full on`): a post as its parts -------------------------------------------

# Three parts: Discord's 5 messages per 5 s in a channel leave the fake's limits unmet, and the test quick.
LONG = "\n\n".join(f"## 第 {n} 节\n\n" + "正文很长，一段接一段。" * 120 for n in range(1, 4))


async def whole_posts(app) -> None:
    async with app.sessions.begin() as session:
        for destination in (await session.execute(select(Destination))).scalars():
            destination.full_posts = True


async def test_whole_post_destinations_get_the_parts_and_their_edits(live, posts_dir):
    app, server = live
    server.add_channel(900, FORUM)
    await add(app, ("10", ""), ("900", ""))
    await whole_posts(app)
    (posts_dir / "p.md").write_text(post_text("长文", "2026-11-22", LONG, slug="p"))
    await app.tick()
    await until_settled(app, "discord")
    parts = render_discord(await app.services.articles.full_by_slug("p", "zh"))
    assert len(parts) >= 3 and all(len(part) <= 2000 for part in parts)
    [post] = server.threads_of(900)
    for channel_id in (10, post.id):  # a forum gets one post that holds every part
        assert [m.content for m in server.sent(channel_id)] == parts
        assert all(m.body["allowed_mentions"] == {"parse": []} for m in server.sent(channel_id))
    assert post.name == "长文"

    (posts_dir / "p.md").write_text(post_text("长文", "2026-11-22", "短了。", slug="p"))
    await app.tick()
    await until_settled(app, "discord")
    shorter = render_discord(replace(await app.services.articles.full_by_slug("p", "zh"), edited=True))
    for channel_id in (10, post.id):  # edited in place; the parts it lost are deleted
        assert [m.content for m in server.sent(channel_id)] == shorter
        assert server.sent(channel_id)[0].edited


@pytest.fixture
async def roomy():
    """A sender whose channel allows many messages at once (discord.py would pace 5 per 5 s)."""
    async with FakeDiscord(per_channel=1000) as server, open_client(server.token, server.base_url) as client:
        yield DiscordSender(client), server


async def test_a_whole_post_cut_off_midway_is_taken_back_for_the_retry(roomy):
    send, server = roomy
    post = FullPost(1, "p", "长文", "ML", datetime(2026, 11, 20, tzinfo=UTC), "", None, "zh", LONG)
    parts = render_discord(post)
    server.fail_after(7, 2, 503, 0, "Service Unavailable")  # parts 1 and 2 go, part 3 fails
    with pytest.raises(RetryLater):
        await send.send(Target("7"), post)
    assert server.sent(7) == []  # the retry sends the whole post again: nothing half-sent stays
    ids = await send.send(Target("7"), post)
    assert [m.content for m in server.sent(7)] == parts and len(ids) == len(parts)
    longer = replace(post, body=LONG + "\n\n" + LONG)
    grown = await send.edit(Target("7"), ids, longer)
    assert grown is not None and grown[: len(ids)] == ids
    assert [m.content for m in server.sent(7)] == render_discord(longer)
    assert await send.edit(Target("7"), grown, longer) is None  # same parts: the ids stay
