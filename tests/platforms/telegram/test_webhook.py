"""Webhook mode: the bot registers its URL and answers updates Telegram POSTs to it.

The receiver always has a secret (one is generated when TELEGRAM_WEBHOOK_SECRET is unset), listens on
TELEGRAM_WEBHOOK_HOST (127.0.0.1 unless set), refuses bodies over 1 MB before reading them, and never
logs the secret.
"""

import asyncio
import json
import logging
import os
import re
import socket
from contextlib import asynccontextmanager
from datetime import UTC

import aiohttp
import pytest

from bot.platforms.telegram.platform import TelegramPlatform
from bot.platforms.telegram.webhook import MAX_BODY
from bot.settings import SettingsError, load_settings
from tests.fakes.telegram_server import FakeTelegram
from tests.live import start_bot

TOKEN = "123456:TEST-token"
HELP = {
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
JSON_TYPE = {"Content-Type": "application/json"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def webhook_platform(app, secret, **extra):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    async with FakeTelegram(token=TOKEN) as server:
        platform = TelegramPlatform(
            token=TOKEN,
            commands=app.commands,
            services=app.services,
            clock=app.clock,
            zone=UTC,
            default_lang="en",
            owners=frozenset(),
            base_url=server.base_url,
            webhook_url=url,
            webhook_port=port,
            webhook_secret=secret,
            **extra,
        )
        await platform.start()
        try:
            yield platform, server, url
        finally:
            await platform.stop()


async def wait_for_reply(server, chat=5):
    async with asyncio.timeout(10):
        while not server.messages.get(chat):
            await asyncio.sleep(0.02)
    return server.messages[chat][0].text


async def raw_request(port, head: bytes, body_parts=(b"",)) -> bytes:
    """Send a request by hand (headers may promise more than is sent); return the status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
            try:
                await writer.drain()
            except ConnectionError:
                break  # the server stopped reading: the answer is already on its way
        async with asyncio.timeout(10):
            return await reader.readline()
    finally:
        writer.close()


async def test_webhook_receives_updates(app, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with webhook_platform(app, "hook-secret") as (_platform, server, url):
        assert server.webhook == url and server.webhook_secret == "hook-secret"
        async with aiohttp.ClientSession() as http:
            missing = await http.post(url, data=json.dumps(HELP), headers=JSON_TYPE)
            assert missing.status == 403  # no secret: refused
            wrong = await http.post(
                url, data=json.dumps(HELP), headers=JSON_TYPE | {"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status == 403
            assert not server.messages
            headers = JSON_TYPE | {"X-Telegram-Bot-Api-Secret-Token": "hook-secret"}
            malformed = await http.post(url, data=b"[1, 2", headers=headers)
            assert malformed.status == 400
            right = await http.post(url, data=json.dumps(HELP), headers=headers)
            assert right.status == 200
        assert "/subscribe" in await wait_for_reply(server)


async def test_without_a_secret_one_is_generated_and_required(app, monkeypatch, caplog):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    caplog.set_level(logging.DEBUG)
    async with webhook_platform(app, None) as (_platform, server, url):
        secret = server.webhook_secret
        assert secret and re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)
        async with aiohttp.ClientSession() as http:
            forged = await http.post(url, data=json.dumps(HELP), headers=JSON_TYPE)
            assert forged.status == 403  # the forged-owner /broadcast of the trial is refused
            headers = JSON_TYPE | {"X-Telegram-Bot-Api-Secret-Token": secret}
            assert (await http.post(url, data=json.dumps(HELP), headers=headers)).status == 200
        await wait_for_reply(server)
    # The warning says a secret was made, not what it is (caplog does not redact; see the run test).
    [warning] = [r for r in caplog.records if "TELEGRAM_WEBHOOK_SECRET is not set" in r.getMessage()]
    assert "generated" in warning.getMessage() and secret not in warning.getMessage()


async def test_listens_on_loopback_unless_told(app):
    async with webhook_platform(app, "s3cret") as (platform, _, _):
        assert platform.webhook is not None
        assert {address[0] for address in platform.webhook.addresses} == {"127.0.0.1"}


async def test_bodies_over_a_megabyte_are_refused_before_they_are_read(app):
    async with webhook_platform(app, "s3cret") as (platform, _server, url):
        port = platform.webhook.port
        head = (
            "POST /telegram-hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "X-Telegram-Bot-Api-Secret-Token: s3cret\r\nContent-Length: {}\r\n\r\n"
        )
        # 50 MB promised, 1 byte sent: the answer comes at once, so the body was never waited for.
        assert b" 413 " in await raw_request(port, head.format(50 * 1024 * 1024).encode(), [b"{"])
        # Without the secret the size does not matter: 403 before anything else.
        forged = head.replace("X-Telegram-Bot-Api-Secret-Token: s3cret\r\n", "")
        assert b" 403 " in await raw_request(port, forged.format(50 * 1024 * 1024).encode(), [b"{"])
        # No length at all (chunked): reading stops at the bound.
        chunked = head.replace("Content-Length: {}", "Transfer-Encoding: chunked")
        chunk = b"x" * 65536
        parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (MAX_BODY // len(chunk) + 4) + [b"0\r\n\r\n"]
        assert b" 413 " in await raw_request(port, chunked.encode(), parts)
        # And an update of ordinary size still goes through.
        async with aiohttp.ClientSession() as http:
            headers = JSON_TYPE | {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            assert (await http.post(url, data=json.dumps(HELP), headers=headers)).status == 200


def test_webhook_settings_defaults_and_secret_alphabet(tmp_path):
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None)
    assert settings.telegram_webhook_host == "127.0.0.1" and settings.http_host == "127.0.0.1"
    with pytest.raises(SettingsError) as refused:
        load_settings(telegram_webhook_secret="has spaces and $ign", _env_file=None)
    assert "TELEGRAM_WEBHOOK_SECRET" in str(refused.value) and "$ign" not in str(refused.value)
    with pytest.raises(SettingsError, match="16-256"):
        load_settings(telegram_webhook_secret="short", _env_file=None)


@pytest.mark.slow
@pytest.mark.process
async def test_run_never_logs_the_webhook_secret(tmp_path, posts_dir):
    """A real `run` at DEBUG: PTB logs every request's parameters, setWebhook's secret among them."""
    port = free_port()
    token = "424242:WEBHOOK-run-token"
    for configured in ("Configured-Secret_1234567", None):
        async with FakeTelegram(token=token) as server:
            env = {
                **os.environ,
                "POSTS_DIR": str(posts_dir),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
                "TELEGRAM_BOT_TOKEN": token,
                "TELEGRAM_BASE_URL": server.base_url,
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                "TELEGRAM_WEBHOOK_PORT": str(port),
                "LOG_LEVEL": "DEBUG",
                "HTTP_PORT": "0",
                "SCAN_INTERVAL": "3600",
            }
            env.pop("TELEGRAM_WEBHOOK_SECRET", None)
            if configured:
                env["TELEGRAM_WEBHOOK_SECRET"] = configured
            process = await start_bot(env)
            reader = asyncio.create_task(process.stdout.read())
            try:
                async with asyncio.timeout(30):
                    while server.webhook is None:
                        await asyncio.sleep(0.05)
                secret = server.webhook_secret
                assert secret and (configured is None or secret == configured)
                async with aiohttp.ClientSession() as http:  # it listens before calling setWebhook
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
                    answer = await http.post(f"http://127.0.0.1:{port}/hook", json=HELP, headers=headers)
                    assert answer.status == 200
                await wait_for_reply(server)
            finally:
                process.terminate()
                await process.wait()
            output = (await reader).decode()
            assert "setWebhook" in output or "setwebhook" in output.lower()  # PTB did log the call
            assert secret not in output and secret.lower() not in output.lower()
            assert ("generated a random one" in output) is (configured is None)
