"""Crash safety: a real `run` process SIGKILLed mid-broadcast, 20 times, loses no delivery."""

import asyncio
import os
import random
import signal
from datetime import UTC, datetime

import pytest

from bot.app import build_app
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from tests.conftest import post_text
from tests.fakes.telegram_server import FakeTelegram
from tests.live import paid_counted, start_bot

TOKEN = "123456:TEST-token"
DESTINATIONS = 1000
KILLS = 20
CONCURRENCY = 8


async def prepare(tmp_path, posts_dir):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    app = build_app(load_settings(posts_dir=posts_dir, database_url=url, _env_file=None))
    await app.prepare()
    await app.scan()  # the first scan: from now on new posts are broadcast
    async with app.sessions.begin() as session:
        for chat in range(1, DESTINATIONS + 1):
            await subscribe(session, Subscription("telegram", str(chat)), app.clock.now())
    await app.close()
    return url


def delivered(server):
    return sum(len(messages) for messages in server.messages.values())


async def wait_for(condition, process, limit):
    deadline = asyncio.get_running_loop().time() + limit
    while not condition() and process.returncode is None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


PAID = {  # paid broadcasts at 1,000/s above the real free limit, against a fake that enforces both
    "TELEGRAM_GLOBAL_PER_S": "30",
    "TELEGRAM_PAID_BROADCAST": "on",
    "TELEGRAM_PAID_PER_S": "1000",
    "TELEGRAM_PAID_DAILY_STARS": "1000",
}


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.timeout(300)
@pytest.mark.parametrize("paid", [False, True], ids=["free", "paid"])
async def test_sigkill_at_random_points_loses_nothing(tmp_path, posts_dir, spawned, paid):
    rng = random.Random(20261122)
    async with FakeTelegram(token=TOKEN, enforce_limits=paid) as server:
        url = await prepare(tmp_path, posts_dir)
        (posts_dir / "news.md").write_text(
            post_text("Crash-safe news", datetime.now(UTC).isoformat(), "Body.")
        )
        env = {
            **os.environ,
            "POSTS_DIR": str(posts_dir),
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": server.base_url,
            "TELEGRAM_GLOBAL_PER_S": "5000",
            "SEND_CONCURRENCY": str(CONCURRENCY),
            "HTTP_PORT": "0",
            "SCAN_INTERVAL": "3600",
            "WATCH": "false",
            "LOG_LEVEL": "ERROR",
            **(PAID if paid else {}),
        }

        async def start():
            process = await start_bot(env, output=False)
            spawned.append(process)
            return process

        kills = 0
        for _ in range(KILLS):
            process = await start()
            target = delivered(server) + rng.randint(1, 40)
            await wait_for(lambda t=target: delivered(server) >= t, process, 60)
            if process.returncode is not None:
                break  # everything was sent before this kill
            process.send_signal(signal.SIGKILL)
            await process.wait()
            kills += 1
        assert kills >= 10, "the broadcast finished too early to test crashes"

        process = await start()
        await wait_for(lambda: len(server.messages) >= DESTINATIONS, process, 120)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0

    counts = {chat: len(messages) for chat, messages in server.messages.items()}
    assert set(counts) == set(range(1, DESTINATIONS + 1)), "a destination never got the post"
    repeats = sum(count - 1 for count in counts.values())
    assert repeats <= kills * CONCURRENCY, f"{repeats} repeats after {kills} kills"
    if paid:
        assert server.rate_limited == 0
        assert server.paid_billed > DESTINATIONS / 2, "the broadcast did not go above the free limit"
        billed = [sum(m.billed for m in messages) for messages in server.messages.values()]
        twice = sum(max(count - 1, 0) for count in billed)
        assert twice <= kills * CONCURRENCY, f"{twice} deliveries paid twice after {kills} kills"
        assert await paid_counted(url) >= server.paid_billed, "the budget counted less than was spent"
