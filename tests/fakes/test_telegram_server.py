"""The fake Bot API server, driven by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import math
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from tests.fakes.telegram_html import TelegramHTMLError, check_message_text
from tests.fakes.telegram_server import FakeTelegram

GROUP = -1001234567890


def ptb_text(description: str) -> str:
    """What PTB makes of a server description: "Bad Request: " stripped, then str.capitalize()."""
    return description.removeprefix("Bad Request: ").lower()


def bad_request(fragment: str):
    """Expect BadRequest whose message contains ``fragment``, ignoring PTB's re-casing."""
    return pytest.raises(BadRequest, match=f"(?i){re.escape(fragment)}")


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as timedelta, no deprecation warning


@pytest.fixture
def now() -> list[float]:
    return [1000.0]  # the fake clock: tests move it by hand instead of sleeping


@pytest.fixture
async def server(now: list[float]) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=lambda: now[0]) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


async def test_send_message_is_answered_and_recorded(server: FakeTelegram, bot: Bot, now: list[float]):
    sent = await bot.send_message(
        42, "<b>hi</b> &amp; bye", parse_mode="HTML", reply_markup=keyboard("a"), message_thread_id=7,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )  # fmt: skip
    assert (sent.message_id, sent.text, sent.chat.type) == (1, "hi & bye", "private")
    assert sent.message_thread_id == 7
    assert sent.reply_markup == keyboard("a")
    [stored] = server.messages[42]
    assert (stored.raw, stored.parse_mode, stored.message_thread_id) == ("<b>hi</b> &amp; bye", "HTML", 7)
    assert stored.link_preview_options == {"is_disabled": True}
    assert [r.method for r in server.requests] == ["getMe", "sendMessage"]
    params = server.requests[-1].params
    assert (params["chat_id"], params["parse_mode"], server.requests[-1].status) == ("42", "HTML", 200)
    assert params["reply_markup"] == {"inline_keyboard": [[{"callback_data": "a", "text": "a"}]]}
    now[0] += 1
    assert (await bot.send_message(42, "again")).message_id == 2
    channel = await bot.send_message(GROUP, "to the group")
    assert (channel.message_id, channel.chat.type) == (1, "supergroup")


@pytest.mark.parametrize(
    "raw", ["<b>unclosed", "<p>paragraph</p>", "a < b", "<a href='x'>link</a>", "<code>a</b>"]
)
async def test_bad_html_gets_the_validators_description(bot: Bot, raw: str) -> None:
    with pytest.raises(TelegramHTMLError) as expected:
        check_message_text(raw)
    with pytest.raises(BadRequest) as got:
        await bot.send_message(42, raw, parse_mode="HTML")
    assert got.value.message.lower() == ptb_text(expected.value.description)


async def test_length_limits_count_code_points(server: FakeTelegram, bot: Bot, now: list[float]) -> None:
    with bad_request("message is too long"):
        await bot.send_message(42, "x" * 4097)
    await bot.send_message(42, "😀" * 4096, parse_mode="HTML")  # 8192 UTF-16 units, still accepted
    now[0] += 1
    with bad_request("message caption is too long"):
        await bot.send_photo(42, "https://example.org/a.png", caption="y" * 1025)
    with bad_request("message text is empty"):
        await bot.send_message(42, "<b> </b>", parse_mode="HTML")
    assert len(server.messages[42]) == 1  # refused requests leave no trace in the chat


async def test_strict_html_off_only_refuses_what_telegram_refuses(now: list[float]) -> None:
    async with (
        FakeTelegram(clock=lambda: now[0], strict_html=False) as lenient,
        Bot(lenient.token, base_url=lenient.base_url) as bot,
    ):
        await bot.send_message(42, "a & b", parse_mode="HTML")  # Telegram keeps a bare "&"
        with bad_request("unsupported start tag"):
            await bot.send_message(43, "<p>x</p>", parse_mode="HTML")


async def test_request_validation(server: FakeTelegram, bot: Bot) -> None:
    with bad_request("unsupported parse_mode"):
        await bot.send_message(42, "*hi*", parse_mode="Markdown")
    with bad_request("chat not found"):
        await bot.send_message("@nochat", "hi")
    with bad_request("message thread not found"):
        await bot.send_message(GROUP, "hi", message_thread_id=1)
    with bad_request("button_data_invalid"):
        await bot.send_message(42, "hi", reply_markup=keyboard("é" * 33))  # 66 bytes of UTF-8
    server.usernames["@blog"] = GROUP
    server.channels.add(GROUP)
    sent = await bot.send_message("@blog", "hi")
    assert (sent.chat.id, sent.chat.type, sent.sender_chat.id) == (GROUP, "channel", GROUP)


async def test_scripted_failures_map_to_ptb_errors(server: FakeTelegram, bot: Bot, now: list[float]) -> None:
    server.block(42)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(42, "hi")
    server.migrate(-5, GROUP)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-5, "hi")
    assert migrated.value.new_chat_id == GROUP
    server.fail_with_5xx(7)
    with pytest.raises(NetworkError, match="Bad Gateway") as gateway:
        await bot.send_message(7, "hi")
    assert not isinstance(gateway.value, BadRequest)
    await bot.send_message(7, "hi")  # a single scripted failure, then back to normal
    rights = "Bad Request: not enough rights to send text messages"
    server.fail_next(8, error_code=400, description=rights, times=2)
    for _ in range(2):
        now[0] += 1
        with bad_request("not enough rights"):
            await bot.send_message(8, "hi")
    assert {r.status for r in server.requests if r.method == "sendMessage"} == {200, 400, 403, 502}
    assert 42 not in server.messages


async def test_private_chat_allows_one_message_per_second(server: FakeTelegram, bot: Bot, now: list[float]):
    await bot.send_message(42, "one")
    now[0] += 0.5
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(42, "two")
    assert flood.value.retry_after == dtm.timedelta(seconds=1)
    assert server.rate_limited == 1
    assert server.requests[-1].status == 429
    await bot.send_message(43, "another chat is unaffected")
    now[0] += 0.5
    await bot.send_message(42, "two")  # the window has freed and the refused one did not count
    assert [m.text for m in server.messages[42]] == ["one", "two"]


async def test_group_allows_twenty_messages_per_minute(server: FakeTelegram, bot: Bot, now: list[float]):
    start = now[0]
    for i in range(20):
        await bot.send_message(GROUP, f"post {i}")
        now[0] += 1.1
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(GROUP, "post 21")
    assert flood.value.retry_after == dtm.timedelta(seconds=math.ceil(start + 60 - now[0]))
    now[0] = start + 60.01
    await bot.send_message(GROUP, "post 21")
    now[0] += 0.2
    with pytest.raises(RetryAfter):  # groups are also held to one message per second
        await bot.send_message(GROUP, "post 22")


async def test_global_limit_across_chats(server: FakeTelegram, bot: Bot, now: list[float]) -> None:
    outcomes = []
    for chat in range(1, 32):
        try:
            await bot.send_message(chat, "news")
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
    assert outcomes == ["ok"] * 30 + ["429"]
    assert server.rate_limited == 1
    now[0] += 1
    await bot.send_message(31, "news")


async def test_limits_can_be_switched_off(now: list[float]) -> None:
    async with (
        FakeTelegram(clock=lambda: now[0], enforce_limits=False) as fake,
        Bot(fake.token, base_url=fake.base_url) as bot,
    ):
        for _ in range(5):
            await bot.send_message(GROUP, "burst")
        assert len(fake.messages[GROUP]) == 5


async def test_edit_and_delete(server: FakeTelegram, bot: Bot, now: list[float]) -> None:
    sent = await bot.send_message(42, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard("a"))
    with pytest.raises(RetryAfter):  # edits count towards the flood limits too
        await bot.edit_message_text("v2", 42, sent.message_id)
    now[0] += 1
    same_keys = {"parse_mode": "HTML", "reply_markup": keyboard("a")}
    edited = await bot.edit_message_text("<i>v2</i>", 42, sent.message_id, **same_keys)
    assert (edited.text, edited.edit_date is not None) == ("v2", True)
    assert server.messages[42][0].raw == "<i>v2</i>"
    now[0] += 1
    with bad_request("message is not modified: specified new message content"):
        await bot.edit_message_text("<em>v2</em>", 42, sent.message_id, **same_keys)  # same visible result
    with bad_request("message to edit not found"):
        await bot.edit_message_text("v3", 42, 999)
    await bot.edit_message_reply_markup(42, sent.message_id, reply_markup=keyboard("b"))
    assert server.messages[42][0].reply_markup == keyboard("b").to_dict()
    now[0] += 1
    photo = await bot.send_photo(42, "https://example.org/a.png", caption="<b>cap</b>", parse_mode="HTML")
    assert (photo.caption, photo.message_id) == ("cap", 2)
    with bad_request("there is no text in the message to edit"):
        await bot.edit_message_text("text", 42, photo.message_id)
    now[0] += 1
    assert (await bot.edit_message_caption(42, photo.message_id, caption="new")).caption == "new"
    assert await bot.delete_message(42, sent.message_id)
    assert [m.message_id for m in server.messages[42]] == [photo.message_id]
    with bad_request("message to delete not found"):
        await bot.delete_message(42, sent.message_id)


async def test_get_updates_returns_pushed_updates(server: FakeTelegram, bot: Bot) -> None:
    message = {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "/start"}
    server.push_update({"message": message})
    server.push_update({"update_id": 10, "message": message | {"message_id": 6}})
    updates = await bot.get_updates(timeout=0)
    assert [(u.update_id, u.message.message_id) for u in updates] == [(1, 5), (10, 6)]
    assert await bot.get_updates(offset=11, timeout=0) == ()
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(offset=11, timeout=30))
    await asyncio.sleep(0.1)
    server.push_update({"message": message | {"message_id": 7}})
    [update] = await poll
    assert (update.update_id, time.monotonic() - started < 0.9) == (11, True)  # woken by the push
    started = time.monotonic()
    assert await bot.get_updates(offset=12, timeout=30) == ()
    assert 0.9 < time.monotonic() - started < 3  # an empty long poll is capped at 1 s


async def test_chat_member_chat_and_commands(server: FakeTelegram, bot: Bot) -> None:
    server.admins[GROUP] = {99}
    assert (await bot.get_chat_member(GROUP, 99)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 100)).status == "member"
    assert (await bot.get_chat(GROUP)).type == "supergroup"
    with bad_request("chat not found"):
        await bot.get_chat("@nochat")
    await bot.set_my_commands([BotCommand("subscribe", "Get new posts")])
    assert await bot.get_my_commands() == (BotCommand("subscribe", "Get new posts"),)
    with bad_request("bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Subscribe", "Uppercase is refused")])
    assert await bot.answer_callback_query("query-1")
    assert await bot.delete_webhook()


async def test_raw_http_token_method_and_json_bodies(server: FakeTelegram) -> None:
    root = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{root}/bot999:wrong/getMe") as response:
            assert response.status == 401
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{server.base_url}{server.token}/sendTelepathy") as response:
            assert (response.status, (await response.json())["description"]) == (404, "Not Found")
        body = {"chat_id": 42, "text": "<b>json</b>", "parse_mode": "HTML", "link_preview_options": {}}
        async with http.post(f"{server.base_url}{server.token}/sendMessage", json=body) as response:
            answer = await response.json()
            assert (response.status, answer["ok"], answer["result"]["text"]) == (200, True, "json")
        async with http.get(f"{server.base_url}{server.token}/getChat", params={"chat_id": "42"}) as response:
            assert (await response.json())["result"]["type"] == "private"
    assert [r.status for r in server.requests] == [401, 404, 200, 200]
