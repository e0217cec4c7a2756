"""Paid broadcasts end to end: the engine, the Telegram sender and the fake Bot API's paid mode over HTTP."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.clock import SystemClock
from bot.metrics import REGISTRY
from bot.platforms.telegram.sender import TelegramSender, open_bot
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from bot.store.models import PaidUsage
from tests.conftest import post_text
from tests.fakes.telegram_server import FakeTelegram
from tests.live import until_settled

TOKEN = "123456:TEST-token"
CHATS = [str(1000 + i) for i in range(150)]


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def broadcast(tmp_path, posts_dir, fake: FakeTelegram, **paid: object):
    """Queue one post to CHATS and send it all; return the app (closed) and the day's counted paid sends."""
    settings = load_settings(
        posts_dir=posts_dir, database_url=f"sqlite:///{tmp_path / 'paid.db'}", send_concurrency=32,
        broadcast_max_age=10**9, _env_file=None, **paid,
    )  # fmt: skip
    async with open_bot(TOKEN, fake.base_url) as telegram:
        app = build_app(settings, SystemClock())
        await app.prepare()
        app.add_platform(TelegramSender(telegram, settings.zone))
        await app.tick()
        async with app.sessions.begin() as session:
            for chat in CHATS:
                await subscribe(session, Subscription("telegram", chat), app.clock.now())
        name = f"p{len(os.listdir(posts_dir))}.md"
        (posts_dir / name).write_text(post_text("Paid news", "2026-11-22", "Body."))
        await app.tick()
        await until_settled(app, "telegram")
        async with app.sessions() as session:
            counted = sum((await session.execute(select(PaidUsage.messages))).scalars())
        await app.close()
    return counted


def flagged(fake: FakeTelegram) -> int:
    """Sends that carried allow_paid_broadcast and were accepted."""
    sends = [r for r in fake.requests if r.method.lower() == "sendmessage" and r.status == 200]
    return sum(str(r.params.get("allow_paid_broadcast")) == "true" for r in sends)


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"platform": "telegram"}) or 0.0


async def test_a_big_broadcast_pays_above_the_free_limit_and_counts_what_it_paid(tmp_path, posts_dir):
    before = metric("transmission_paid_sends_total")
    async with FakeTelegram(token=TOKEN) as fake:
        counted = await broadcast(
            tmp_path, posts_dir, fake, telegram_paid_broadcast="on", telegram_paid_daily_stars=100
        )
    assert {chat: len(messages) for chat, messages in fake.messages.items()} == {int(c): 1 for c in CHATS}
    assert fake.rate_limited == 0
    assert fake.paid_billed > 0, "nothing went above the free limit"
    # Every accepted paid send is counted; Telegram bills a subset (those above its free window).
    assert counted == flagged(fake) == metric("transmission_paid_sends_total") - before >= fake.paid_billed
    assert counted <= len(CHATS) - 30


async def test_the_daily_budget_caps_paid_sends_and_the_rest_go_free(tmp_path, posts_dir):
    async with FakeTelegram(token=TOKEN) as fake:
        counted = await broadcast(
            tmp_path, posts_dir, fake, telegram_paid_broadcast="on", telegram_paid_daily_stars=4
        )
    assert len(fake.messages) == len(CHATS) and fake.rate_limited == 0
    assert counted == flagged(fake) == 40  # 4 Stars = 40 messages, then the free limit only


async def test_the_budget_is_counted_across_restarts(tmp_path, posts_dir):
    paid = {"telegram_paid_broadcast": "on", "telegram_paid_daily_stars": 4}
    async with FakeTelegram(token=TOKEN) as fake:
        first = await broadcast(tmp_path, posts_dir, fake, **paid)
    async with FakeTelegram(token=TOKEN) as fake:
        second = await broadcast(tmp_path, posts_dir, fake, **paid)
        assert flagged(fake) == 0, "the day's budget was spent before the restart"
    assert first == second == 40


async def test_a_spent_balance_falls_back_to_the_free_limit(tmp_path, posts_dir):
    async with FakeTelegram(token=TOKEN, stars=1.0) as fake:  # 10 billed messages, then 429s
        counted = await broadcast(
            tmp_path, posts_dir, fake, telegram_paid_broadcast="on", telegram_paid_daily_stars=100
        )
    assert {chat: len(messages) for chat, messages in fake.messages.items()} == {int(c): 1 for c in CHATS}
    assert fake.paid_billed == 10
    assert fake.rate_limited <= 32, "paying stopped after the first refusals (one batch in flight)"
    assert counted == flagged(fake), "refused paid sends are given back"


async def test_auto_mode_pays_only_for_a_queue_above_its_threshold(tmp_path, posts_dir):
    async with FakeTelegram(token=TOKEN) as fake:
        await broadcast(
            tmp_path, posts_dir, fake, telegram_paid_broadcast="auto", telegram_paid_daily_stars=100,
            telegram_paid_min_queue=100,
        )  # fmt: skip
        assert flagged(fake) > 0
    async with FakeTelegram(token=TOKEN) as fake:
        await broadcast(
            tmp_path / "b", posts_dir, fake, telegram_paid_broadcast="auto", telegram_paid_daily_stars=100,
            telegram_paid_min_queue=len(CHATS),
        )  # fmt: skip
        assert flagged(fake) == 0 and len(fake.messages) == len(CHATS)
