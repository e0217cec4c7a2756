"""Slash commands and page buttons: real discord.py dispatch, answers checked at the fake Discord API."""

import asyncio

from bot.store.destinations import Subscription, subscribe
from tests.fakes.discord_payloads import FORUM, PUBLIC_THREAD, FakeMessage
from tests.platforms.discord.conftest import (
    MANAGE_CHANNELS,
    command,
    destinations,
    ephemeral,
    feed,
    make_platform,
    option,
    press,
    shown,
)


async def test_latest_pages_with_buttons_that_edit_in_place(discord_app):
    _app, platform, server = discord_app
    page = await command(platform, server, "latest")
    assert (page.answered_type, ephemeral(page)) == (4, False)
    assert page.original.custom_ids == ["open:latest:1", "latest:1", "latest:2", "latest:2:next"]
    assert "1. [Diffusion notes]" in shown(page) and "LATEST UPDATES" in shown(page)
    turned = await press(platform, server, page.original, "latest:2:next")
    assert turned.answered_type == 7  # the message itself changes: no new message in the channel
    assert page.original.edited and "6. [文章 2]" in shown(page) and "8. [文章 0]" in shown(page)
    assert page.original.custom_ids == ["open:latest:2", "latest:1:prev", "latest:1", "latest:2"]
    second = await command(platform, server, "latest", option("page", 2, kind=4))
    assert second.original.embeds == page.original.embeds


async def test_buttons_keep_working_after_a_restart(discord_app):
    app, platform, server = discord_app
    page = await command(platform, server, "latest")
    await platform.stop()
    restarted = make_platform(app, server)
    await restarted.start()
    try:
        turned = await press(restarted, server, page.original, "latest:2")
        assert turned.answered_type == 7 and "8. [文章 0]" in shown(page)
        assert len(server.syncs) == 1  # same definitions: the restart did not sync them again
    finally:
        await restarted.stop()


async def test_stale_buttons_get_a_private_answer(discord_app):
    _app, platform, server = discord_app
    # An old message whose pages no longer exist (posts were removed since it was sent).
    buttons = [{"type": 2, "style": 2, "label": n, "custom_id": f"latest:{n}"} for n in ("9", "0")]
    body = {"embeds": [{"title": "LATEST UPDATES"}], "components": [{"type": 1, "components": buttons}]}
    old = FakeMessage(42, 555, body)
    for custom_id in ("latest:9", "latest:0"):
        answer = await press(platform, server, old, custom_id)
        assert answer.answered_type == 4 and ephemeral(answer)
        assert "This button has expired" in answer.callbacks[0]["data"]["content"]
    assert not old.edited


async def test_post_autocompletes_titles(discord_app):
    _app, platform, server = discord_app
    focused = {"name": "post", "options": [option("slug", "文章 3", focused=True)]}
    suggestions = await feed(platform, server, 4, focused)
    assert suggestions.answered_type == 8
    assert suggestions.callbacks[0]["data"]["choices"] == [{"name": "文章 3", "value": "p3"}]
    newest = await feed(platform, server, 4, {"name": "post", "options": [option("slug", "", focused=True)]})
    assert [c["value"] for c in newest.callbacks[0]["data"]["choices"]][:2] == ["diffusion", "p6"]
    post = await command(platform, server, "post", option("slug", "p3"))
    assert post.original.embeds[0]["title"] == "文章 3" and not ephemeral(post)
    missing = await command(platform, server, "post", option("slug", "nope"), locale="en-US")
    assert ephemeral(missing) and "No post called “nope”" in shown(missing)


async def test_read_commands_answer_in_the_users_language(discord_app):
    _app, platform, server = discord_app
    zh = await command(platform, server, "help", locale="zh-CN")
    assert "最新文章，分页浏览" in shown(zh)
    en = await command(platform, server, "help", locale="en-GB")
    assert "Latest updates, page by page" in shown(en) and "/subscribe" in shown(en)
    other = await command(platform, server, "help", locale="de")
    assert "最新文章" in shown(other)  # the configured default
    categories = await command(platform, server, "categories", locale="en-US")
    assert "生成模型 — 7 posts" in shown(categories)
    found = await command(platform, server, "search", option("words", "diffusion"), locale="en-US")
    assert "Diffusion notes" in shown(found)


async def test_subscribing_needs_manage_channels(discord_app):
    app, platform, server = discord_app
    refused = await command(platform, server, "subscribe", locale="en-US")
    assert ephemeral(refused) and "Manage Channels" in shown(refused)
    refused_zh = await command(platform, server, "unsubscribe", locale="zh-CN")
    assert "管理频道" in shown(refused_zh)
    assert await destinations(app) == {}
    done = await command(platform, server, "subscribe", permissions=MANAGE_CHANNELS, locale="en-US")
    assert ephemeral(done) and "Subscribed" in shown(done)
    found = (await destinations(app))[("555", "")]
    assert (found.platform, found.kind, found.title, found.active) == ("discord", "channel", "general", True)


async def test_threads_forums_and_other_channels(discord_app):
    app, platform, server = discord_app
    server.add_channel(801, PUBLIC_THREAD, parent_id=800, name="papers")
    await command(platform, server, "subscribe", channel_id=801, permissions=MANAGE_CHANNELS)
    assert (await destinations(app))[("800", "801")].kind == "thread"
    server.add_channel(900, FORUM, name="transmissions")
    elsewhere = option("channel", 900, kind=7)
    refused = await command(platform, server, "subscribe", elsewhere, permissions=MANAGE_CHANNELS,
                            resolved_permissions=0, locale="en-US")  # fmt: skip
    assert ephemeral(refused) and "Manage Channels permission in #transmissions" in shown(refused)
    await command(platform, server, "subscribe", elsewhere, permissions=MANAGE_CHANNELS)
    assert (await destinations(app))[("900", "")].title == "transmissions"
    await command(platform, server, "unsubscribe", elsewhere, permissions=MANAGE_CHANNELS)
    assert not (await destinations(app))[("900", "")].active


async def test_categories_digests_and_their_mistakes(discord_app):
    app, platform, server = discord_app
    admin = {"permissions": MANAGE_CHANNELS, "locale": "en-US"}
    typed = await feed(
        platform, server, 4, {"name": "subscribe", "options": [option("category", "生成", True)]}
    )
    assert typed.callbacks[0]["data"]["choices"] == [{"name": "生成模型", "value": "生成模型"}]
    zones = await feed(
        platform, server, 4, {"name": "subscribe", "options": [option("timezone", "shang", True)]}
    )
    assert {"name": "Asia/Shanghai", "value": "Asia/Shanghai"} in zones.callbacks[0]["data"]["choices"]
    await command(platform, server, "subscribe", option("category", "生成模型"), **admin)
    assert (await destinations(app))[("555", "")].categories == ["生成模型"]
    both = await command(
        platform, server, "subscribe", option("category", "x"), option("digest", "09:30"), **admin
    )
    assert "not both" in shown(both)
    zone_only = await command(platform, server, "subscribe", option("timezone", "UTC"), **admin)
    assert "only goes with a digest" in shown(zone_only)
    bad = await command(platform, server, "subscribe", option("digest", "25:99"), **admin)
    assert ephemeral(bad) and "The time “25:99” is not valid" in shown(bad)
    unknown = await command(platform, server, "subscribe", option("category", "Cooking"), **admin)
    assert "no category “Cooking”" in shown(unknown)
    at, zone = option("digest", "09:30"), option("timezone", "Asia/Shanghai")
    digest = await command(platform, server, "subscribe", at, zone, **admin)
    assert r"09:30 \(Asia/Shanghai\)" in shown(digest)  # Markdown-escaped
    found = (await destinations(app))[("555", "")]
    assert (found.mode, found.digest_cron, found.digest_tz) == ("digest", "09:30", "Asia/Shanghai")


async def test_settings_then_unsubscribe(discord_app):
    app, platform, server = discord_app
    admin = {"permissions": MANAGE_CHANNELS, "locale": "en-US"}
    assert "not subscribed" in shown(await command(platform, server, "settings", **admin))
    await command(platform, server, "subscribe", **admin)
    changed = await command(
        platform, server, "settings", option("silent", "on"), option("language", "en"), **admin
    )
    assert "Settings saved." in shown(changed) and "silent: on" in shown(changed)
    found = (await destinations(app))[("555", "")]
    assert (found.silent, found.language, found.full_posts) == (True, "en", False)
    whole = await command(platform, server, "settings", option("full", "on"), **admin)
    assert r"whole posts \(full\): on" in shown(whole)
    assert (await destinations(app))[("555", "")].full_posts
    assert "language: en" in shown(await command(platform, server, "settings", **admin))
    assert "Unsubscribed" in shown(await command(platform, server, "unsubscribe", **admin))
    assert "not subscribed" in shown(await command(platform, server, "unsubscribe", **admin))


async def test_lost_access_comes_back_when_an_admin_subscribes_again(discord_app):
    app, platform, server = discord_app
    async with app.sessions.begin() as session:
        gone, _ = await subscribe(session, Subscription("discord", "555", kind="channel"), app.clock.now())
        gone.active, gone.disabled_reason = False, "403 Forbidden (error code: 50001): Missing Access"
    view_only = {"permissions": MANAGE_CHANNELS, "app_permissions": 1024, "locale": "en-US"}
    no_rights = await command(platform, server, "subscribe", **view_only)
    assert "lacks these permissions here: Send Messages, Embed Links" in shown(no_rights)
    assert not (await destinations(app))[("555", "")].active
    await command(platform, server, "subscribe", permissions=MANAGE_CHANNELS)
    back = (await destinations(app))[("555", "")]
    assert (back.active, back.disabled_reason) == (True, None)


async def test_slow_answers_are_deferred_within_three_seconds(discord_app, monkeypatch):
    app, platform, server = discord_app
    page = await command(platform, server, "latest")
    platform.handlers.defer_after = 0.05
    release = asyncio.Event()
    run, latest_page = app.commands.run, app.commands.latest_page

    async def slow_run(*args):
        await release.wait()
        return await run(*args)

    async def slow_page(*args):
        await release.wait()
        return await latest_page(*args)

    monkeypatch.setattr(app.commands, "run", slow_run)
    monkeypatch.setattr(app.commands, "latest_page", slow_page)
    deferred = await command(platform, server, "categories", locale="en-US")
    assert deferred.answered_type == 5 and not deferred.followups  # "thinking…", answer still to come
    release.set()
    await server.wait_until(lambda: deferred.followups)
    assert "生成模型 — 7 posts" in shown(deferred)
    release.clear()
    turned = await press(platform, server, page.original, "latest:2")
    assert turned.answered_type == 6  # deferred update: the message waits for its edit
    release.set()
    await server.wait_until(lambda: page.original.edited)
    assert "8. [文章 0]" in shown(page)


async def test_a_failing_command_is_logged_and_answered(discord_app, monkeypatch, caplog):
    app, platform, server = discord_app

    async def broken(*args):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.commands, "run", broken)
    answer = await command(platform, server, "help", locale="en-US")
    assert ephemeral(answer) and "Something went wrong" in shown(answer)
    assert "database on fire" in caplog.text
