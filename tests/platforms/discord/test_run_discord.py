"""`run` with a Discord token: new posts reach subscribed channels; commands are synced once."""

import asyncio
import os
import signal
from datetime import UTC, datetime

import pytest

from bot.app import build_app
from bot.services.reading import COMMANDS
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from tests.conftest import post_text
from tests.fakes.discord_server import FakeDiscord
from tests.live import start_bot


@pytest.mark.slow
@pytest.mark.process
async def test_run_sends_to_discord_and_syncs_commands_once(tmp_path, posts_dir):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    app = build_app(load_settings(posts_dir=posts_dir, database_url=url, _env_file=None))
    await app.prepare()
    async with app.sessions.begin() as session:
        await subscribe(session, Subscription("discord", "111", kind="channel"), app.clock.now())
    await app.close()
    async with FakeDiscord(enforce_limits=False) as server:
        env = {
            **os.environ,
            "POSTS_DIR": str(posts_dir),
            "DATABASE_URL": url,
            "DISCORD_BOT_TOKEN": server.token,
            "DISCORD_API_BASE_URL": server.base_url,
            "SCAN_INTERVAL": "3600",
            "LOG_LEVEL": "DEBUG",
            "HTTP_PORT": "0",
        }

        async def run_once(write_post: bool) -> str:
            process = await start_bot(env)
            output = b""
            try:
                async with asyncio.timeout(30):
                    while b"posts indexed" not in output:
                        output += await process.stdout.read(4096)
                    if write_post:
                        post = post_text("新文章 @everyone", datetime.now(UTC).isoformat(), "正文。")
                        (posts_dir / "new.md").write_text(post)
                        while not server.messages.get(111):
                            await asyncio.sleep(0.05)
            finally:
                process.send_signal(signal.SIGTERM)
                rest, _ = await asyncio.wait_for(process.communicate(), 30)
            assert process.returncode == 0, (output + rest).decode()
            return (output + rest).decode()

        first = await run_once(write_post=True)
        second = await run_once(write_post=False)
    [message] = server.messages[111]
    assert message.embeds[0]["title"] == "新文章 @everyone"
    assert server.token not in first + second
    assert len(server.syncs) == 1  # the second start found the definitions unchanged
    assert [c["name"] for c in server.syncs[0][1]] == [c.name for c in COMMANDS]


@pytest.mark.process
async def test_a_rejected_token_stops_with_a_clear_message(tmp_path, posts_dir):
    async with FakeDiscord(token="the-right-token") as server:
        env = {
            **os.environ,
            "POSTS_DIR": str(posts_dir),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "DISCORD_BOT_TOKEN": "wrong-token-kept-secret",
            "DISCORD_API_BASE_URL": server.base_url,
            "HTTP_PORT": "0",
            "LOG_LEVEL": "DEBUG",
        }
        process = await start_bot(env)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 1 and "Discord refused DISCORD_BOT_TOKEN" in text, text
    assert "wrong-token-kept-secret" not in text
