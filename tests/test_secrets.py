"""Feed a token through every error path of a real `run` process and grep the output for it."""

import asyncio
import os
import socket
from datetime import UTC, datetime

import pytest

from bot.app import build_app
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from tests.conftest import post_text
from tests.fakes.telegram_server import FakeTelegram
from tests.live import start_bot

pytestmark = [pytest.mark.process, pytest.mark.slow]  # every test runs `python -m bot run`

TOKEN = "555111:SECRET-never-in-logs-7f3a"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run_bot(env, until=None, limit=30.0):
    """Run `python -m bot run` at DEBUG until it exits or `until()` holds; return (code, output)."""
    process = await start_bot(env)
    reader = asyncio.create_task(process.stdout.read())
    try:
        async with asyncio.timeout(limit):
            while process.returncode is None and not (until and until()):
                await asyncio.sleep(0.05)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
    return process.returncode, (await reader).decode()


def base_env(tmp_path, posts_dir, **extra):
    return {
        **os.environ,
        "POSTS_DIR": str(posts_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "LOG_LEVEL": "DEBUG",
        "HTTP_PORT": "0",
        "SCAN_INTERVAL": "3600",
        **extra,
    }


def assert_clean(output):
    assert "DEBUG" in output  # the most talkative level was on
    assert TOKEN not in output and TOKEN.split(":")[1] not in output


async def test_rejected_token(tmp_path, posts_dir):
    async with FakeTelegram(token="999:another-token") as server:
        code, output = await run_bot(base_env(tmp_path, posts_dir, TELEGRAM_BASE_URL=server.base_url))
    assert code == 1 and "Telegram refused TELEGRAM_BOT_TOKEN" in output
    assert "Traceback" not in output
    assert_clean(output)


async def test_unreachable_api(tmp_path, posts_dir):
    url = f"http://127.0.0.1:{closed_port()}/bot"
    code, output = await run_bot(base_env(tmp_path, posts_dir, TELEGRAM_BASE_URL=url))
    assert code == 1 and "cannot reach the Telegram Bot API" in output
    assert_clean(output)


async def test_send_failures_429_403_5xx_and_bad_requests(tmp_path, posts_dir):
    env_app = build_app(
        load_settings(posts_dir=posts_dir, database_url=f"sqlite:///{tmp_path / 's.db'}", _env_file=None)
    )
    await env_app.prepare()
    await env_app.scan()
    async with env_app.sessions.begin() as session:
        for chat in ("1", "2", "3", "4"):
            await subscribe(session, Subscription("telegram", chat), env_app.clock.now())
    await env_app.close()
    (posts_dir / "p.md").write_text(post_text("T", datetime.now(UTC).isoformat(), "Body."))
    async with FakeTelegram(token=TOKEN) as server:
        server.fail_next(
            1, error_code=429, description="Too Many Requests: retry after 1", parameters={"retry_after": 1}
        )
        server.block(2)
        server.fail_with_5xx(3)
        server.fail_next(4, error_code=400, description="Bad Request: can't parse entities: boom")
        _, output = await run_bot(
            base_env(tmp_path, posts_dir, TELEGRAM_BASE_URL=server.base_url),
            until=lambda: 1 in server.messages and 3 in server.messages,
        )
    assert "rate limited" in output and "blocked" in output and "Bad Gateway" in output
    assert_clean(output)
