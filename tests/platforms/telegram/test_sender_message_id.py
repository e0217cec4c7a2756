"""TelegramSender reads a sent message's id from Telegram's JSON: the same call as send_message sends."""

from datetime import UTC

from telegram import Bot, LinkPreviewOptions

from bot.broadcast.sender import Target
from bot.content.render.telegram import ReadLinks, render_view
from bot.platforms.telegram.request import AiohttpRequest
from bot.platforms.telegram.sender import TelegramSender, keyboard, open_bot, post_message
from tests.content.render.samples import item
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:TEST-token"


async def test_a_send_stores_what_send_message_would_have_sent():
    view = item(post_id=7)
    async with FakeTelegram(token=TOKEN) as server, open_bot(TOKEN, server.base_url) as bot:
        sender = TelegramSender(bot, UTC)
        ids = await sender.send(Target("1000", silent=True), view)
        message = render_view(view, UTC, ReadLinks(bot.username, private=True))
        await bot.send_message(
            2000, message.html, parse_mode="HTML", disable_notification=True,
            link_preview_options=LinkPreviewOptions(**message.link_preview), reply_markup=keyboard(message),
        )  # fmt: skip
    (ours,), (ptb,) = server.messages[1000], server.messages[2000]
    assert ids == [str(ours.message_id)]
    assert (ours.raw, ours.entities, ours.reply_markup) == (ptb.raw, ptb.entities, ptb.reply_markup)
    assert ours.link_preview_options == ptb.link_preview_options and ours.reply_markup
    sends = [r.params for r in server.requests if r.method == "sendMessage"]
    assert sends[0]["disable_notification"] == sends[1]["disable_notification"] == "true"


async def test_the_raw_call_answers_telegrams_json():
    async with (
        FakeTelegram(token=TOKEN) as server,
        Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot,
    ):
        answer = await post_message(bot, chat_id=5, text="<b>hi</b>", parse_mode="HTML", reply_markup=None)
    assert answer["message_id"] == 1 and answer["chat"]["id"] == 5 and answer["text"] == "hi"
    assert "reply_markup" not in server.requests[-1].params  # None is left out, as send_message does
