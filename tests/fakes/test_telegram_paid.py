"""The fake Bot API's paid broadcasts: allow_paid_broadcast lifts the rate, billed above the free limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def now() -> list[float]:
    return [1000.0]  # the fake clock stands still: every send below falls in the same second


async def fake(now: list[float], stars: float = 1_000_000.0) -> FakeTelegram:
    server = FakeTelegram(clock=lambda: now[0], paid_per_s=100, stars=stars)
    await server.start()
    return server


@pytest.fixture
async def server(now: list[float]) -> AsyncIterator[FakeTelegram]:
    server = await fake(now, stars=5.0)  # 50 billed messages
    yield server
    await server.stop()


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url) as client:
        yield client


async def send(bot: Bot, chats: range, paid: bool) -> list[object]:
    calls = [bot.send_message(chat, "hi", allow_paid_broadcast=paid or None) for chat in chats]
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_free_sends_stop_at_the_free_limit(server: FakeTelegram, bot: Bot):
    answers = await send(bot, range(1, 41), paid=False)
    assert sum(isinstance(a, RetryAfter) for a in answers) == 10  # 30 a second, no more
    assert server.paid_billed == 0 and server.stars == 5.0


async def test_paid_sends_go_above_it_and_only_those_above_are_billed(server: FakeTelegram, bot: Bot):
    await send(bot, range(1, 21), paid=False)
    answers = await send(bot, range(21, 61), paid=True)
    assert not [a for a in answers if isinstance(a, Exception)]
    billed = [m for chat in range(21, 61) for m in server.messages_in(chat) if m.billed]
    assert len(billed) == server.paid_billed == 30  # the first 10 paid ones fit the free window
    assert server.stars == 2.0


async def test_the_paid_rate_and_per_chat_limits_still_hold(now: list[float], bot: Bot):
    server = await fake(now)
    try:
        async with Bot(server.token, base_url=server.base_url) as client:
            answers = await send(client, range(1, 121), paid=True)
            assert sum(isinstance(a, RetryAfter) for a in answers) == 20  # paid_per_s=100 in all
            again = await send(client, range(1, 2), paid=True)
            assert isinstance(again[0], RetryAfter)  # still one a second in one chat
    finally:
        await server.stop()


async def test_a_spent_balance_answers_paid_sends_with_429(server: FakeTelegram, bot: Bot, now: list[float]):
    answers = await send(bot, range(1, 91), paid=True)  # 30 free, 50 billed, then nothing to pay with
    refused = [a for a in answers if isinstance(a, RetryAfter)]
    assert len(refused) == 10 and server.stars == 0 and server.paid_billed == 50
    now[0] += 1.5
    later = await send(bot, range(100, 130), paid=True)  # a new second: 30 free ones again
    assert not [a for a in later if isinstance(a, Exception)]
