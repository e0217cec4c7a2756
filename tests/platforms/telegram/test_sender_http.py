"""The engine and the Telegram sender over real HTTP against the limit-enforcing fake Bot API."""

import os

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.broadcast.dispatcher import EngineSettings
from bot.clock import SystemClock
from bot.platforms.telegram.sender import TelegramSender, open_bot
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from bot.store.models import Destination
from tests.conftest import post_text
from tests.fakes.telegram_server import FakeTelegram
from tests.live import until_settled

TOKEN = "123456:TEST-token"


@pytest.fixture
async def live(tmp_path, posts_dir, monkeypatch):
    """A real-clock app whose Telegram sender talks HTTP to a fake server on 127.0.0.1."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    settings = load_settings(
        posts_dir=posts_dir, database_url=f"sqlite:///{tmp_path / 'live.db'}", site_url="https://b.example/p",
        _env_file=None,
    )  # fmt: skip
    async with FakeTelegram(token=TOKEN) as server, open_bot(TOKEN, server.base_url) as telegram:
        app = build_app(settings, SystemClock())
        await app.prepare()
        app.add_platform(TelegramSender(telegram, settings.zone))
        await app.tick()
        yield app, server
        await app.close()


async def add(app, *chat_ids):
    async with app.sessions.begin() as session:
        for chat_id in chat_ids:
            kind = "group" if chat_id.startswith("-") else "private"
            await subscribe(session, Subscription("telegram", chat_id, kind=kind), app.clock.now())


async def test_broadcast_within_limits_reaches_every_chat_once(live, posts_dir):
    app, server = live
    chats = [str(1000 + i) for i in range(40)] + [f"-100{i}" for i in range(5)]
    await add(app, *chats)
    (posts_dir / "p.md").write_text(
        post_text("扩散 <模型> & 采样", "2026-11-22", "正文 $x^2$ 与代码。", slug="p")
    )
    os.utime(posts_dir / "p.md")
    app.settings.broadcast_max_age = 10**9
    await app.tick()
    await until_settled(app, "telegram")
    assert server.rate_limited == 0
    assert {chat: len(messages) for chat, messages in server.messages.items()} == {int(c): 1 for c in chats}
    message = server.messages[1000][0]
    assert "扩散 <模型> & 采样" in message.text and "x²" in message.text
    assert message.link_preview_options == {"url": "https://b.example/p/p", "prefer_small_media": True}


async def test_blocked_migrated_and_flaky_chats(live, posts_dir):
    app, server = live
    await add(app, "5", "-7", "9", "11")
    server.block(5)
    server.migrate(-7, -1007)
    server.fail_with_5xx(9)
    app.add_platform(app.dispatchers["telegram"].sender, engine=EngineSettings(backoff_base=0.2))
    (posts_dir / "p.md").write_text(post_text("T", "2026-11-22", "Body.", slug="p"))
    app.settings.broadcast_max_age = 10**9
    await app.tick()
    await until_settled(app, "telegram")
    assert set(server.messages) == {-1007, 9, 11}
    async with app.sessions() as session:
        destinations = {d.chat_id: d for d in (await session.execute(select(Destination))).scalars()}
    assert not destinations["5"].active
    assert destinations["5"].disabled_reason == "Forbidden: bot was blocked by the user"
    assert "-7" not in destinations and destinations["-1007"].active


async def test_cover_image_goes_as_photo_and_edits_change_the_caption(live, posts_dir):
    app, server = live
    await add(app, "77")
    app.settings.broadcast_max_age = 10**9
    cover = "https://img.example/cover.png"
    (posts_dir / "c.md").write_text(
        post_text("Cover post", "2026-11-22", "First body.", slug="c", image=cover)
    )
    await app.tick()
    await until_settled(app, "telegram")
    [sent] = server.messages[77]
    assert sent.photo == cover and "First body." in sent.text
    (posts_dir / "c.md").write_text(
        post_text("Cover post", "2026-11-22", "Second body.", slug="c", image=cover)
    )
    await app.tick()
    await until_settled(app, "telegram")
    [edited] = server.messages[77]
    assert "Second body." in edited.text and edited.edit_date is not None
    assert any(r.method.lower() == "editmessagecaption" for r in server.requests)


@pytest.mark.slow
async def test_after_a_group_became_a_supergroup_edits_go_where_each_message_is(live, posts_dir):
    app, server = live
    await add(app, "-7")
    app.settings.broadcast_max_age = 10**9
    (posts_dir / "old.md").write_text(post_text("Old", "2026-11-21", "Before.", slug="old"))
    await app.tick()
    await until_settled(app, "telegram")
    server.migrate(-7, -1007)
    (posts_dir / "new.md").write_text(post_text("New", "2026-11-22", "After.", slug="new"))
    await app.tick()
    await until_settled(app, "telegram")
    assert [m.text.splitlines()[1] for m in server.messages[-1007]] == ["New"]
    for slug, title, date in (("old", "Old", "2026-11-21"), ("new", "New", "2026-11-22")):
        (posts_dir / f"{slug}.md").write_text(post_text(title, date, "Changed.", slug=slug))
    await app.tick()
    await until_settled(app, "telegram")
    edits = [r for r in server.requests if r.method.lower() == "editmessagetext"]
    # Each edit goes to the chat its message is in: "New" in the supergroup, "Old" in the old group,
    # which Telegram refuses (it was upgraded), so that edit fails once with the reason.
    assert sorted((str(r.params["chat_id"]), r.status) for r in edits) == [("-1007", 200), ("-7", 400)]
    [moved] = server.messages[-1007]
    assert "Changed." in moved.text and "· edited" in moved.text  # an English post
    async with app.sessions() as session:
        from bot.store.models import Delivery

        rows = (await session.execute(select(Delivery).where(Delivery.kind == "edit"))).scalars().all()
    assert sorted(r.status for r in rows) == ["failed", "sent"]
    assert any("stays in chat -7, now -1007" in (r.last_error or "") for r in rows)
