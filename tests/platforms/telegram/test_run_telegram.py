"""`run` with a Telegram token: posts reach subscribed chats over HTTP, and the token never leaks."""

import asyncio
import os
import signal
import socket
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.app import build_app
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from tests.conftest import post_text
from tests.fakes.telegram_server import FakeTelegram
from tests.live import start_bot


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TOKEN = "987654:SECRET-token-never-logged"


@pytest.mark.slow
@pytest.mark.process
async def test_run_sends_new_posts_and_never_logs_the_token(tmp_path, posts_dir):
    url = f"sqlite:///{tmp_path / 'tg.db'}"
    app = build_app(load_settings(posts_dir=posts_dir, database_url=url, _env_file=None))
    await app.prepare()
    async with app.sessions.begin() as session:
        await subscribe(session, Subscription("telegram", "4242"), app.clock.now())
        await subscribe(
            session, Subscription("telegram", "-100777", kind="group", thread_id="12"), app.clock.now()
        )
    await app.close()
    port = free_port()
    async with FakeTelegram(token=TOKEN) as server:
        env = {
            **os.environ,
            "POSTS_DIR": str(posts_dir),
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": server.base_url,
            "SCAN_INTERVAL": "3600",
            "LOG_LEVEL": "DEBUG",
            "HTTP_PORT": str(port),
            "HTTP_HOST": "127.0.0.1",
        }
        process = await start_bot(env)
        output = b""
        try:
            async with asyncio.timeout(30):
                while b"posts indexed" not in output:
                    output += await process.stdout.read(4096)
                (posts_dir / "new.md").write_text(
                    post_text("新文章", datetime.now(UTC).isoformat(), "正文。")
                )
                while len(server.messages) < 2:
                    await asyncio.sleep(0.05)
                async with aiohttp.ClientSession() as http:
                    health = await http.get(f"http://127.0.0.1:{port}/healthz")
                    assert health.status == 200 and (await health.json())["role"] == "leader"
                    scraped = await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
        finally:
            process.send_signal(signal.SIGTERM)
            rest, _ = await asyncio.wait_for(process.communicate(), 30)
            output += rest
    assert process.returncode == 0, output.decode()
    assert [m.text.splitlines()[1] for m in server.messages[4242]] == ["新文章"]
    assert server.messages[-100777][0].message_thread_id == 12
    assert 'transmission_deliveries_total{outcome="sent",platform="telegram"} 2.0' in scraped
    assert 'transmission_queue_depth{platform="telegram"} 0.0' in scraped
    assert "transmission_posts_indexed 1.0" in scraped and "transmission_leader 1.0" in scraped
    text = output.decode()
    assert "DEBUG" in text  # debug logging was really on
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
