"""Discord's global limit, kept before every request discord.py makes (fake clock, no real sleeps)."""

from __future__ import annotations

import asyncio

import pytest

from bot.platforms.discord.global_limit import FULL_POLL, GlobalLimit, exempt
from bot.platforms.discord.sender import open_client
from tests.fakes.discord_server import FakeDiscord


class Clock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_full_second_waits_for_the_oldest_answer_to_age_out() -> None:
    clock = Clock()
    limit = GlobalLimit(3, clock, clock.sleep)
    for _ in range(3):
        await limit.acquire()
    assert limit.delay(clock()) == FULL_POLL  # all three in flight: only an answer frees a slot
    limit.release()
    clock.now += 0.2
    limit.release()
    assert limit.delay(clock()) == pytest.approx(1.01 - 0.2)  # counted from the first answer
    await limit.acquire()
    assert clock.now == pytest.approx(1001.01) and limit.waits == 1
    assert limit.in_flight == 2


async def test_fractional_rates_keep_their_average_and_bad_ones_are_refused() -> None:
    clock = Clock()
    limit = GlobalLimit(2.5, clock, clock.sleep)
    await limit.acquire()
    limit.release()
    assert limit.delay(clock()) == pytest.approx(0.4 * 1.01)
    with pytest.raises(ValueError):
        GlobalLimit(0)


def test_interaction_replies_are_not_counted() -> None:
    assert exempt("http://127.0.0.1:1/api/v10/interactions/1/tok/callback")
    assert exempt("https://discord.com/api/v10/webhooks/9/tok/messages/@original")
    assert not exempt("https://discord.com/api/v10/channels/5/messages")


async def test_requests_the_pacer_never_sees_stay_under_the_limit_too() -> None:
    # 60 sends at once, none paced by the engine (as a whole post's later parts are): the limit
    # holds the last 10 back until the first answers are a second old, so the fake refuses none.
    clock = Clock()
    async with FakeDiscord(clock=clock) as server:
        limit = GlobalLimit(50, clock, clock.sleep)
        async with open_client(server.token, server.base_url, limit) as client:
            login = len(server.requests)
            sends = [client.get_partial_messageable(100 + i).send("m") for i in range(60)]
            await asyncio.gather(*sends)
    assert server.rate_limited == 0
    assert sum(len(server.sent(100 + i)) for i in range(60)) == 60
    assert len(server.requests) == login + 60 and limit.waits >= 10
