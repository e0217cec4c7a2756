"""Webhook mode: the bot registers its URL and answers updates Telegram POSTs to it."""

import asyncio
import json
import socket
from datetime import UTC

import aiohttp

from bot.platforms.telegram.platform import TelegramPlatform
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:TEST-token"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_receives_updates(app, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    async with FakeTelegram(token=TOKEN) as server:
        platform = TelegramPlatform(
            token=TOKEN,
            commands=app.commands,
            sessions=app.sessions,
            clock=app.clock,
            zone=UTC,
            default_lang="en",
            owners=frozenset(),
            wake=app.wake,
            base_url=server.base_url,
            webhook_url=url,
            webhook_port=port,
            webhook_secret="hook-secret",
        )
        await platform.start()
        try:
            assert server.webhook == url
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 1,
                    "chat": {"id": 5, "type": "private", "first_name": "R"},
                    "from": {"id": 5, "is_bot": False, "first_name": "R", "language_code": "en"},
                    "text": "/help",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
            async with aiohttp.ClientSession() as http:
                wrong = await http.post(
                    url, data=json.dumps(update), headers={"Content-Type": "application/json"}
                )
                assert wrong.status == 403  # no secret: refused
                headers = {
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": "hook-secret",
                }
                right = await http.post(url, data=json.dumps(update), headers=headers)
                assert right.status == 200
            async with asyncio.timeout(10):
                while not server.messages.get(5):
                    await asyncio.sleep(0.02)
            assert "/subscribe" in server.messages[5][0].text
        finally:
            await platform.stop()
