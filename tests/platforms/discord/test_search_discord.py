"""/search on Discord: pages turned in place by ◀ ▶ buttons that carry the query, snippets, the open menu."""

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content.models import SearchResults
from bot.content.render.discord import render_view
from bot.platforms.discord.views import SEARCH_TEMPLATE
from tests.content.render.samples import item
from tests.fakes.discord_server import FakeDiscord
from tests.platforms.discord.conftest import command, ephemeral, make_platform, option, press, shown

LONG = "流匹配" * 31  # a 93-character query: too long for a button's custom_id


@pytest.fixture
async def searching(app, write_post):
    for i in range(12):
        write_post(
            f"d{i:02}.md", f"扩散 第{i}篇", date=f"2026-11-{i + 1:02}", slug=f"d{i}", category="生成模型"
        )
    for i in range(7):
        write_post(f"f{i}.md", f"{LONG}{i}", date=f"2026-10-{i + 1:02}", slug=f"f{i}")
    await app.scan()
    async with FakeDiscord(enforce_limits=False) as server:
        platform = make_platform(app, server)
        await platform.start()
        try:
            yield app, platform, server
        finally:
            await platform.stop()


async def test_search_results_turn_page_by_page_in_place(searching):
    _app, platform, server = searching
    found = await command(platform, server, "search", option("words", "扩散"), locale="en-US")
    assert found.answered_type == 4 and not ephemeral(found)
    message = found.original
    assert message.custom_ids[0] == "open:search:1"  # the menu first, then the page row
    assert message.custom_ids[1:] == ["search:1:扩散", "search:2:扩散", "search:3:扩散", "search:2n:扩散"]
    assert "1. [扩散 第11篇]" in shown(found) and "Page 1/3 · 12 posts" in message.embeds[0]["footer"]["text"]

    turned = await press(platform, server, message, "search:2n:扩散", locale="en-US")

    assert turned.answered_type == 7 and message.edited
    assert "6. [扩散 第6篇]" in shown(found) and "10. [扩散 第2篇]" in shown(found)
    assert message.custom_ids[0] == "open:search:2" and "search:1p:扩散" in message.custom_ids
    assert message.menu["options"][0]["label"] == "6. 扩散 第6篇"
    assert len(server.sent(555)) == 0  # pages turn in place: no new message


async def test_a_long_query_pages_by_its_key_and_a_forgotten_key_says_search_again(searching):
    app, platform, server = searching
    found = await command(platform, server, "search", option("words", LONG), locale="en-US")
    keyed = [cid for cid in found.original.custom_ids if cid.startswith("search:")]
    assert keyed and all(len(cid) <= 100 and ":#" in cid for cid in keyed)  # the query does not fit
    turned = await press(platform, server, found.original, keyed[-1], locale="en-US")
    assert turned.answered_type == 7 and "Page 2/2" in found.original.embeds[0]["footer"]["text"]

    await platform.stop()  # a restart forgets long queries: their buttons ask for a new search
    restarted = make_platform(app, server)
    await restarted.start()
    try:
        stale = await press(restarted, server, found.original, keyed[0], locale="en-US")
        assert ephemeral(stale) and "send /search again" in shown(stale)
    finally:
        await restarted.stop()


async def test_a_slow_search_page_is_a_deferred_update(searching, monkeypatch):
    app, platform, server = searching
    found = await command(platform, server, "search", option("words", "扩散"), locale="en-US")
    platform.handlers.defer_after = 0.05
    release = asyncio.Event()
    search = app.commands.search

    async def slow(*args):
        await release.wait()
        return await search(*args)

    monkeypatch.setattr(app.commands, "search", slow)
    turned = await press(platform, server, found.original, "search:3:扩散", locale="en-US")
    assert turned.answered_type == 6 and not found.original.edited
    release.set()
    await server.wait_until(lambda: found.original.edited)
    assert "11. [扩散 第1篇]" in shown(found)


@given(query=st.text(min_size=1, max_size=300), page=st.integers(1, 999_999), pages=st.integers(2, 999_999))
def test_search_buttons_always_fit_and_read_back(query: str, page: int, pages: int) -> None:
    page = min(page, pages)
    view = SearchResults(query, (item(post_id=1),), pages * 5, page=page, pages=pages)
    for _label, custom_id, _current in render_view(view).buttons:
        assert 1 <= len(custom_id) <= 100
        match = SEARCH_TEMPLATE.fullmatch(custom_id)
        assert match is not None
        assert match["query"] == query or match["query"].startswith("#")
