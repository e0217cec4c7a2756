"""Two `run` replicas on one PostgreSQL: the leader is SIGKILLed midway, the standby finishes."""

import asyncio
import os
import signal
import time
from datetime import UTC, datetime

import pytest

from bot.app import build_app
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from tests.conftest import fresh_postgres_database, post_text
from tests.fakes.telegram_server import FakeTelegram
from tests.live import paid_counted, start_bot

TOKEN = "123456:TEST-token"
DESTINATIONS = 2000
CONCURRENCY = 8


def delivered(server):
    return sum(len(messages) for messages in server.messages.values())


async def until(condition, limit):
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.01)


PAID = {  # the paid rate is the fake's too; the free limit stays Telegram's 30/s
    "TELEGRAM_GLOBAL_PER_S": "30",
    "TELEGRAM_PAID_BROADCAST": "on",
    "TELEGRAM_PAID_PER_S": "300",
    "TELEGRAM_PAID_DAILY_STARS": "1000",
}
PREFETCH = 256  # rows a leader claims ahead of its senders (EngineSettings.prefetch)


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.postgres
@pytest.mark.parametrize("paid", [False, True], ids=["free", "paid"])
async def test_standby_takes_over_when_the_leader_dies(tmp_path, posts_dir, postgres_server, spawned, paid):
    url = await fresh_postgres_database(postgres_server)
    app = build_app(load_settings(posts_dir=posts_dir, database_url=url, _env_file=None))
    await app.prepare()
    await app.scan()
    async with app.sessions.begin() as session:
        for chat in range(1, DESTINATIONS + 1):
            await subscribe(session, Subscription("telegram", str(chat)), app.clock.now())
    await app.close()
    (posts_dir / "news.md").write_text(post_text("Replicated news", datetime.now(UTC).isoformat(), "Body."))

    async with FakeTelegram(token=TOKEN, enforce_limits=paid, paid_per_s=300) as server:
        env = {
            **os.environ,
            "POSTS_DIR": str(posts_dir),
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": server.base_url,
            "TELEGRAM_GLOBAL_PER_S": "300",
            "SEND_CONCURRENCY": str(CONCURRENCY),
            "SCAN_INTERVAL": "3600",
            "LOG_LEVEL": "WARNING",
            "HTTP_PORT": "0",
            **(PAID if paid else {}),
        }

        async def start():
            process = await start_bot(env, output=False)
            spawned.append(process)
            return process

        leader = await start()
        await until(lambda: delivered(server) > 0, 60)
        standby = await start()
        await until(lambda: delivered(server) >= 500, 60)
        assert delivered(server) < DESTINATIONS, "the leader finished before it could be killed"
        leader.send_signal(signal.SIGKILL)
        await leader.wait()
        killed_at, count_at_kill = time.monotonic(), delivered(server)
        await until(lambda: delivered(server) > count_at_kill + CONCURRENCY, 30)
        takeover = time.monotonic() - killed_at
        await until(lambda: len(server.messages) >= DESTINATIONS, 60)
        standby.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(standby.wait(), 30) == 0

    assert takeover <= 10, f"the standby took {takeover:.1f} s to take over"
    counts = {chat: len(messages) for chat, messages in server.messages.items()}
    assert set(counts) == set(range(1, DESTINATIONS + 1))
    repeats = sum(count - 1 for count in counts.values())
    assert repeats <= CONCURRENCY, f"{repeats} repeats"
    if paid:
        assert server.rate_limited == 0 and server.paid_billed > DESTINATIONS / 2
        billed = [sum(m.billed for m in messages) for messages in server.messages.values()]
        assert sum(max(count - 1, 0) for count in billed) <= CONCURRENCY, "deliveries paid twice"
        counted = await paid_counted(url)
        # Never less than was billed; more only by what the dead leader had claimed and not sent.
        assert server.paid_billed <= counted <= DESTINATIONS + PREFETCH
