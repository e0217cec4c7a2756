"""The fake's sendRichMessage and editMessageText(rich_message), driven by python-telegram-bot over HTTP."""

from __future__ import annotations

import datetime as dtm
import json
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, EndPointNotFound, RetryAfter

from tests.fakes.telegram_rich import EMPTY, TOO_DEEP, check_rich_html
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.test_telegram_rich import ARTICLE, repeat


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def now() -> list[float]:
    return [1000.0]


@pytest.fixture
async def server(now: list[float]) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=lambda: now[0]) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url) as client:
        yield client


def bad_request(fragment: str):
    """BadRequest whose message contains ``fragment``; PTB strips "Bad Request: " and re-cases it."""
    return pytest.raises(BadRequest, match=f"(?i){re.escape(fragment.removeprefix('Bad Request: '))}")


async def send_rich(bot: Bot, chat: int, rich: object, **more: object) -> object:
    return await bot.do_api_request(
        "sendRichMessage", api_kwargs={"chat_id": chat, "rich_message": rich, **more}
    )


async def test_send_rich_message_is_answered_and_recorded(server: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data="post:1")]])
    result = await send_rich(bot, -100123, {"html": ARTICLE}, message_thread_id=7, reply_markup=markup)

    assert isinstance(result, dict)
    assert (result["message_id"], result["message_thread_id"], "text" in result) == (1, 7, False)
    assert result["reply_markup"] == markup.to_dict()
    assert result["rich_message"]["text"].startswith("梯度下降 Gradient descent")
    assert [b["type"] for b in result["rich_message"]["blocks"]][:3] == [
        "section_heading", "paragraph", "mathematical_expression",
    ]  # fmt: skip
    [stored] = server.messages_in(-100123)
    assert (stored.rich, stored.rich_html, stored.parse_mode, stored.text) == (
        True, ARTICLE, None, result["rich_message"]["text"],
    )  # fmt: skip
    assert server.requests[-1].params["rich_message"] == {"html": ARTICLE}  # PTB sent it as JSON text


async def test_parts_keep_their_order_and_return_type_gives_a_message(
    server: FakeTelegram, bot: Bot, now: list[float]
):
    parts = ["<h1>Part 1</h1><p>一</p>", "<h2>Part 2</h2><p>二</p>", "<footer>3</footer>"]
    for part in parts:
        sent = await bot.do_api_request(
            "sendRichMessage", api_kwargs={"chat_id": 42, "rich_message": {"html": part}}, return_type=Message
        )
        assert isinstance(sent, Message) and sent.text is None
        assert sent.api_kwargs["rich_message"]["text"] == check_rich_html(part).text
        now[0] += 1
    assert [m.rich_html for m in server.messages_in(42)] == parts
    assert [m.message_id for m in server.messages_in("42")] == [1, 2, 3]
    assert server.messages_in(43) == [] and server.messages_in("@nobody") == []


async def test_invalid_rich_messages_are_refused_and_leave_no_trace(server: FakeTelegram, bot: Bot) -> None:
    with bad_request('can\'t parse rich message: Unsupported start tag "div" at byte offset 0'):
        await send_rich(bot, 42, {"html": "<div>x</div>"})
    with bad_request(TOO_DEEP):
        await send_rich(bot, 42, {"html": repeat("blockquote", "<p>x</p>", 16)})
    with bad_request("exactly one of html, markdown and blocks"):
        await send_rich(bot, 42, {"html": "<p>a</p>", "markdown": "a"})
    with bad_request(EMPTY):
        await bot.do_api_request("sendRichMessage", api_kwargs={"chat_id": 42})
    with bad_request("chat not found"):
        await send_rich(bot, 0, {"html": "<p>x</p>"})
    assert server.messages_in(42) == []
    assert [r.status for r in server.requests if r.method == "sendRichMessage"] == [400] * 5


# PTB nudges do_api_request("editMessageText") towards its typed method, which has no rich_message.
OWN_EDIT = pytest.mark.filterwarnings("ignore:Please use 'Bot.editMessageText'")


@OWN_EDIT
async def test_edit_message_text_with_rich_message(server: FakeTelegram, bot: Bot, now: list[float]) -> None:
    classic = await bot.send_message(42, "<b>old</b>", parse_mode="HTML")
    now[0] += 1
    args = {
        "chat_id": 42,
        "message_id": classic.message_id,
        "rich_message": {"html": "<p>new <b>body</b></p>"},
    }
    edited = await bot.do_api_request("editMessageText", api_kwargs=args)
    assert isinstance(edited, dict) and edited["rich_message"]["text"] == "new body" and "edit_date" in edited
    [stored] = server.messages_in(42)
    assert (stored.rich, stored.rich_html, stored.text) == (True, "<p>new <b>body</b></p>", "new body")
    now[0] += 1
    with bad_request("message is not modified"):
        await bot.do_api_request("editMessageText", api_kwargs=args)
    with bad_request("can't parse rich message"):
        await bot.do_api_request("editMessageText", api_kwargs=args | {"rich_message": {"html": "<p>x"}})
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    await bot.do_api_request(
        "editMessageText", api_kwargs=args | {"reply_markup": markup}
    )  # the keyboard changed
    now[0] += 1
    back = await bot.edit_message_text(
        "new body", 42, classic.message_id
    )  # same plain text, but classic again
    assert back.text == "new body" and not server.messages_in(42)[0].rich
    with bad_request("message to edit not found"):
        await bot.do_api_request("editMessageText", api_kwargs=args | {"message_id": 99})


async def test_rich_sends_count_towards_the_flood_limits(
    server: FakeTelegram, bot: Bot, now: list[float]
) -> None:
    await send_rich(bot, 42, {"html": "<p>one</p>"})
    now[0] += 0.5
    with pytest.raises(RetryAfter) as flood:
        await send_rich(bot, 42, {"html": "<p>two</p>"})
    assert flood.value.retry_after == dtm.timedelta(seconds=1)
    assert (server.rate_limited, server.requests[-1].status) == (1, 429)
    with pytest.raises(RetryAfter):  # a plain message shares the chat's window
        await bot.send_message(42, "three")
    now[0] += 0.5
    await send_rich(bot, 42, {"html": "<p>two</p>"})
    assert [m.text for m in server.messages_in(42)] == ["one", "two"]


@OWN_EDIT
async def test_an_older_server_does_not_know_rich_messages(now: list[float]) -> None:
    async with (
        FakeTelegram(clock=lambda: now[0], rich_messages=False) as old,
        Bot(old.token, base_url=old.base_url) as bot,
    ):
        with pytest.raises(EndPointNotFound, match="sendRichMessage"):
            await send_rich(bot, 42, {"html": "<p>x</p>"})
        assert old.requests[-1].status == 404
        sent = await bot.send_message(42, "classic")
        now[0] += 1
        with bad_request("message text is empty"):  # the unknown parameter is ignored
            args = {"chat_id": 42, "message_id": sent.message_id, "rich_message": {"html": "<p>x</p>"}}
            await bot.do_api_request("editMessageText", api_kwargs=args)
        assert old.messages_in(42)[0].text == "classic"


async def test_raw_json_bodies_carry_the_object_or_its_text(server: FakeTelegram, now: list[float]) -> None:
    url = f"{server.base_url}{server.token}/sendRichMessage"
    async with aiohttp.ClientSession() as http:
        for rich in ({"html": "<p>object</p>"}, json.dumps({"html": "<p>text</p>"}), {"markdown": "*md*"}):
            async with http.post(url, json={"chat_id": 42, "rich_message": rich}) as response:
                assert (response.status, (await response.json())["ok"]) == (200, True)
            now[0] += 1
        async with http.post(
            url, json={"chat_id": 42, "rich_message": {"blocks": [{"type": "cover"}]}}
        ) as response:
            answer = await response.json()
            assert (response.status, answer["description"]) == (
                400,
                'Bad Request: unsupported rich block type "cover"',
            )
        async with http.post(url.replace("sendRich", "sendRichX")) as response:  # other unknown methods
            assert (response.status, (await response.json())["description"]) == (404, "Not Found")
    assert [m.text for m in server.messages_in(42)] == ["object", "text", "*md*"]
    assert [m.rich_html for m in server.messages_in(42)] == ["<p>object</p>", "<p>text</p>", None]
