"""Reading whole posts on Telegram, end to end: PTB against the fake Bot API over real HTTP."""

import asyncio
import re

import pytest

from bot.content.render.telegram import MAX_TEXT
from tests.fakes.telegram_rich import check_rich_html
from tests.platforms.telegram.test_commands_telegram import press, reply, running, say

PRIVATE, GROUP = 5, -100
FORMULA = (
    r"$$\mathcal{L}(\theta)=\mathbb{E}_{t,x_0,\epsilon}\left[\|\epsilon-\epsilon_\theta(x_t,t)\|^2\right]$$"
)


def math_body(chars: int) -> str:
    """A Chinese math post of about `chars` characters: prose, inline and display formulas, code."""
    paragraph = (
        "扩散模型把数据逐步加噪，再学习逆过程。"
        "设 $x_t=\\sqrt{\\bar\\alpha_t}x_0+\\sqrt{1-\\bar\\alpha_t}\\epsilon$，"
        "其中 $\\epsilon\\sim\\mathcal{N}(0,I)$。训练目标是预测噪声。\n\n"
        f"{FORMULA}\n\n"
    )
    code = "```python\nloss = ((eps - model(x_t, t)) ** 2).mean()\n```\n\n"
    parts, size, index = [], 0, 0
    while size < chars:
        block = f"## 第 {index} 节\n\n" + paragraph + (code if index % 3 == 0 else "")
        parts.append(block)
        size += len(block)
        index += 1
    return "".join(parts)


@pytest.fixture
async def blog(app, monkeypatch, write_post):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    write_post("short.md", "短文", date="2026-11-01", slug="short", body=math_body(3_000))
    write_post("long20k.md", "两万字", date="2026-11-02", slug="long20k", body=math_body(20_000))
    write_post("long60k.md", "六万字", date="2026-11-03", slug="long60k", body=math_body(60_000))
    await app.scan()
    return app


def read_button(sent):
    """The Read button of a sent card: (kind, value) where kind is callback_data or url."""
    buttons = [b for row in (sent.reply_markup or {}).get("inline_keyboard", []) for b in row]
    found = [b for b in buttons if "阅读" in b["text"] or "Read" in b["text"]]
    assert found, buttons
    button = found[0]
    return ("url", button["url"]) if "url" in button else ("callback_data", button["callback_data"])


async def until_count(server, chat_id, count, limit=10.0):
    async with asyncio.timeout(limit):
        while len(server.messages.get(chat_id, [])) < count:
            await asyncio.sleep(0.01)
    return server.messages[chat_id]


async def test_read_button_sends_the_whole_post_as_one_rich_message(blog):
    async with running(blog, enforce_limits=False) as (_, server):
        card = await say(server, PRIVATE, "/post long20k")
        kind, data = read_button(card)
        assert kind == "callback_data" and re.fullmatch(r"read:\d+", data)
        before = len(server.messages[PRIVATE])
        server.push_update(press(card, data))
        sent = await reply(server, PRIVATE, before)
        assert sent.rich and sent.rich_html is not None
        check_rich_html(sent.rich_html)  # the fake's own validator accepted it; check again
        assert "<tg-math" in sent.rich_html and "\\mathcal{L}" in sent.rich_html
        assert "$" not in sent.text.replace("\\$", "")  # no Markdown math delimiters reach the reader
        await asyncio.sleep(0.2)
        assert len(server.messages[PRIVATE]) == before + 1  # 20,000 characters fit one rich message


async def test_a_60k_post_arrives_in_numbered_parts_in_order(blog):
    async with running(blog, enforce_limits=False) as (_, server):
        card = await say(server, PRIVATE, "/post long60k")
        before = len(server.messages[PRIVATE])
        server.push_update(press(card, read_button(card)[1]))
        await until_count(server, PRIVATE, before + 2)
        await asyncio.sleep(0.3)
        parts = server.messages[PRIVATE][before:]
        assert len(parts) >= 2 and all(p.rich for p in parts)
        numbers = [re.search(r"(\d+)/(\d+)", p.text) for p in parts]
        assert all(numbers), [p.text[:80] for p in parts]
        assert [int(n[1]) for n in numbers] == list(range(1, len(parts) + 1))
        assert {int(n[2]) for n in numbers} == {len(parts)}
        for part in parts:
            assert part.rich_html is not None
            check_rich_html(part.rich_html)
            assert part.rich_html.count("<pre") == part.rich_html.count("</pre>")


async def test_in_a_group_the_read_button_is_a_deep_link_and_start_opens_the_post(blog):
    async with running(blog, enforce_limits=False) as (_, server):
        card = await say(server, GROUP, "/post short")
        kind, url = read_button(card)
        assert kind == "url"
        match = re.fullmatch(r"https://t\.me/(\w+)\?start=(read_\d+)", url)
        assert match, url
        group_messages = len(server.messages[GROUP])
        sent = await say(server, PRIVATE, f"/start {match[2]}")
        assert sent.rich and "<tg-math" in (sent.rich_html or "")
        assert len(server.messages[GROUP]) == group_messages  # nothing more landed in the group


async def test_post_full_by_command_private_and_group(blog):
    async with running(blog, enforce_limits=False) as (_, server):
        sent = await say(server, PRIVATE, "/post short full")
        assert sent.rich
        notice = await say(server, GROUP, "/post short full")
        assert not notice.rich and ("私聊" in notice.text or "private" in notice.text)
        kind, url = read_button(notice)
        assert kind == "url" and "start=read_" in url


async def test_a_server_without_rich_messages_gets_html_parts_and_is_not_asked_again(blog):
    async with running(blog, enforce_limits=False, rich_messages=False) as (_, server):
        await say(server, PRIVATE, "/post long20k full")
        first = server.messages[PRIVATE][0]
        count = int(re.search(r"\(1/(\d+)\)", first.text)[1])
        assert count >= 2  # 20,000 characters need several classic parts
        parts = await until_count(server, PRIVATE, count)
        assert not any(m.rich for m in parts) and all(len(m.text) <= MAX_TEXT for m in parts)
        assert [f"({i}/{count})" in m.text for i, m in enumerate(parts, 1)] == [True] * count
        assert all("$" not in m.text and "\\mathcal" not in m.text for m in parts)  # math as Unicode
        await say(server, PRIVATE, "/post short full")
        tried = [r for r in server.requests if r.method.lower() == "sendrichmessage"]
        assert len(tried) == 1  # learned once, not asked again until restart


async def test_open_buttons_under_latest_open_a_card(blog):
    async with running(blog, enforce_limits=False) as (_, server):
        page = await say(server, PRIVATE, "/latest")
        rows = page.reply_markup["inline_keyboard"]
        opens = [b for row in rows for b in row if b.get("callback_data", "").startswith("open:")]
        assert len(opens) == 3
        before = len(server.messages[PRIVATE])
        server.push_update(press(page, opens[0]["callback_data"]))
        card = await reply(server, PRIVATE, before)
        assert "六万字" in card.text  # the newest post, number 1 of the list
        assert read_button(card)[0] == "callback_data"
        group_page = await say(server, GROUP, "/latest")
        links = [b for row in group_page.reply_markup["inline_keyboard"] for b in row if "url" in b]
        assert len(links) == 3 and all("?start=post_" in b["url"] for b in links)


async def test_search_pages_turn_in_place(app, monkeypatch, write_post):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    for i in range(12):
        write_post(
            f"d{i}.md", f"文章 {i}", date=f"2026-11-{i + 1:02d}", slug=f"d{i}", body=f"关于扩散的第 {i} 篇。"
        )
    await app.scan()
    async with running(app, enforce_limits=False) as (_, server):
        results = await say(server, PRIVATE, "/search 扩散")
        assert "12" in results.text
        pager = [
            b
            for row in results.reply_markup["inline_keyboard"]
            for b in row
            if b.get("callback_data", "").startswith("search:")
        ]
        assert pager, results.reply_markup
        second = next(b for b in pager if b["text"] == "2")
        server.push_update(press(results, second["callback_data"]))
        async with asyncio.timeout(10):
            while server.messages[PRIVATE][-1].edit_date is None:
                await asyncio.sleep(0.01)
        edited = server.messages[PRIVATE][-1]
        assert "文章 6" in edited.text and "文章 11" not in edited.text


async def test_a_long_query_pages_through_a_remembered_key(app, monkeypatch, write_post):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    word = "扩散" * 12  # 24 characters, 72 bytes: more than a callback's 64
    for i in range(7):
        write_post(f"w{i}.md", f"长词 {i}", date=f"2026-11-{i + 1:02d}", slug=f"w{i}", body=f"{word} {i}")
    await app.scan()
    async with running(app, enforce_limits=False) as (_, server):
        results = await say(server, PRIVATE, f"/search {word}")
        data = [
            b["callback_data"]
            for row in results.reply_markup["inline_keyboard"]
            for b in row
            if b.get("callback_data", "").startswith("search:2")
        ]
        assert data and data[0].startswith("search:2:#") and len(data[0].encode()) <= 64
        server.push_update(press(results, data[0]))
        async with asyncio.timeout(10):
            while server.messages[PRIVATE][-1].edit_date is None:
                await asyncio.sleep(0.01)


async def test_a_destination_with_full_on_receives_whole_posts_and_their_edits(
    app, monkeypatch, write_post, clock
):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await app.scan()  # the first index records what is there; later posts are broadcast
    async with running(app, enforce_limits=False) as (_, server):
        await say(server, PRIVATE, "/subscribe", lang="en")
        saved = await say(server, PRIVATE, "/settings full on", lang="en")
        assert "whole posts (full): on" in saved.text
        write_post(
            "new.md",
            "新文章",
            date="2026-11-22",
            slug="new",
            body="公式 $E=mc^2$ 在这里。\n\n## 小节\n\n正文。",
        )
        await app.tick()
        clock.advance(seconds=1.1)
        await app.drain()
        sent = server.messages[PRIVATE][-1]
        assert (
            sent.rich
            and "<tg-math>E=mc^2</tg-math>" in (sent.rich_html or "")
            and "<h2>小节</h2>" in sent.rich_html
        )
        write_post("new.md", "新文章", date="2026-11-22", slug="new", body="公式 $E=mc^3$ 改了。")
        await app.tick()
        clock.advance(seconds=1.1)
        await app.drain()
        assert sent.edit_date is not None and "E=mc^3" in (sent.rich_html or "")


async def test_an_edited_post_edits_the_copies_readers_opened(blog, write_post, clock):
    async with running(blog, enforce_limits=False) as (_, server):
        sent = await say(server, PRIVATE, "/post short full")
        assert sent.rich and sent.edit_date is None
        write_post("short.md", "短文", date="2026-11-01", slug="short", body="改写后的全文，$a+b$。")
        await blog.tick()
        async with asyncio.timeout(10):
            while sent.edit_date is None:
                await asyncio.sleep(0.01)
        assert "改写后的全文" in sent.text and "<tg-math>a+b</tg-math>" in (sent.rich_html or "")
