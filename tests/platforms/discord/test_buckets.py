"""discord.py's buckets as the bot tunes them: no wait in the request that exhausts one, rare sweeps."""

from __future__ import annotations

import asyncio

import discord

from bot.platforms.discord.buckets import SWEEP_EVERY, PromptRatelimit, cancel_refreshes, tune
from bot.platforms.discord.sender import open_client
from tests.fakes.discord_server import FakeDiscord

NONE = discord.AllowedMentions.none()


async def test_the_send_that_empties_a_bucket_returns_and_the_next_one_waits_for_the_reset() -> None:
    # Real time on a 0.3 s bucket of 2: discord.py alone would sleep the 0.3 s inside the second send.
    async with (
        FakeDiscord(per_channel=2, channel_window=0.3) as server,
        open_client(server.token, server.base_url) as client,
    ):
        channel = client.get_partial_messageable(5)
        await channel.send("one", allowed_mentions=NONE)
        await channel.send("two", allowed_mentions=NONE)
        buckets = learned(client)
        assert len(buckets) == 1 and isinstance(buckets[0], PromptRatelimit)
        refresher = buckets[0].refresher
        assert refresher is not None and not refresher.done()  # the reset is slept beside us
        await channel.send("three", allowed_mentions=NONE)  # waits for that reset, as discord.py does
        assert refresher.done()
    assert server.rate_limited == 0 and len(server.sent(5)) == 3


async def test_new_buckets_sweep_for_idle_ones_at_most_once_a_minute() -> None:
    now = [0.0]
    http = discord.Client(intents=discord.Intents.none()).http
    sweeps: list[int] = []
    http._try_clear_expired_ratelimits = lambda: sweeps.append(len(http._buckets))  # type: ignore[method-assign]
    tune(http, clock=lambda: now[0])
    for channel in range(300):
        http.get_ratelimit(f"POST /channels/{{channel_id}}/messages:{channel}")
    assert len(sweeps) == 1
    http.get_ratelimit("POST /channels/{channel_id}/messages:0")  # known: no sweep, same bucket
    now[0] += SWEEP_EVERY
    http.get_ratelimit("POST /channels/{channel_id}/messages:300")
    assert sweeps == [1, 301] and len(http._buckets) == 301


async def test_closing_cancels_pending_reset_sleeps() -> None:
    async with (
        FakeDiscord(per_channel=1, channel_window=30.0) as server,
        open_client(server.token, server.base_url) as client,
    ):
        await client.get_partial_messageable(5).send("one", allowed_mentions=NONE)
        (bucket,) = learned(client)
        refresher = bucket.refresher
        assert refresher is not None and not refresher.done()  # 30 s to go
        cancel_refreshes(client.http)
        await asyncio.sleep(0)
        assert refresher.cancelled()


def learned(client: discord.Client) -> list[PromptRatelimit]:
    """The buckets learned from headers (discord.py files one under two keys: its route and hash)."""
    found = {id(b): b for b in client.http._buckets.values() if b.dirty}
    return [b for b in found.values() if isinstance(b, PromptRatelimit)]
