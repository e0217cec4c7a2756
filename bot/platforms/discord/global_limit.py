"""Discord's global limit (50 requests/s per bot) kept before every HTTP request discord.py makes.

discord.py learns per-route buckets from the `X-RateLimit-*` headers but has no proactive global
limiter. The engine's pacer spaces transmissions; this covers what it never sees (login, command
syncs, a forum's first probe, the second and later parts of a whole post, edits and deletes), so
the pacer can run at the full rate without those pushing the bot over it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.broadcast.pacing import SAFETY

DISCORD_GLOBAL_PER_S = 50.0
FULL_POLL = 0.005  # every slot in flight: look again this often (only with round trips over 1 s)
# Interaction endpoints are not bound to the global limit (Discord's rate-limits docs): replies to
# slash commands and buttons never wait behind a broadcast.
EXEMPT = ("/interactions/", "/webhooks/")


class GlobalLimit:
    """At most `per_s` requests in any second, counted from when each one's answer came back.

    The server counts a request somewhere between our start and its answer; taking the answer
    makes network delay err on the safe side, and a request in flight counts in full.
    """

    def __init__(
        self,
        per_s: float = DISCORD_GLOBAL_PER_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if per_s <= 0:
            raise ValueError("a rate must be positive")
        # A fractional rate keeps its average: 2.5 a second is one request every 0.4 s.
        self.limit, self.seconds = (int(per_s), 1.0) if float(per_s).is_integer() else (1, 1.0 / per_s)
        self._clock, self._sleep = clock, sleep
        self._answered: deque[float] = deque()  # answer times, in order
        self.in_flight = 0
        self.waits = 0  # how many times a request had to wait (shown by tests and benchmarks)

    def delay(self, now: float) -> float:
        """Seconds until one more request may start (0: now)."""
        span = self.seconds * SAFETY
        while self._answered and self._answered[0] <= now - span:
            self._answered.popleft()
        excess = len(self._answered) + self.in_flight - self.limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(self._answered):
            return FULL_POLL  # only an answer can free a slot
        return max(self._answered[excess - 1] + span - now, 0.0) or FULL_POLL

    async def acquire(self) -> None:
        """Wait until a request may start, and count it as in flight."""
        waited = False
        while (wait := self.delay(self._clock())) > 0:
            waited = True
            await self._sleep(wait)
        self.waits += waited
        self.in_flight += 1

    def release(self) -> None:
        """Count a request whose answer (or failure) came back as sent at this moment."""
        self.in_flight = max(self.in_flight - 1, 0)
        self._answered.append(self._clock())


def exempt(url: str) -> bool:
    """Whether a request to `url` is outside the global limit (interaction callbacks, follow-ups)."""
    return any(part in url for part in EXEMPT)


def trace_config(limit: GlobalLimit) -> aiohttp.TraceConfig:
    """Return an aiohttp trace that makes each counted request of discord.py wait its turn.

    aiohttp awaits `on_request_start` before it sends, and gives every request that passed it an
    end or an exception (cancellation included), so nothing stays counted as in flight for ever.
    """

    async def start(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        if not exempt(str(params.url)):
            await limit.acquire()
            context.counted = True

    async def end(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        if getattr(context, "counted", False):
            context.counted = False
            limit.release()

    config = aiohttp.TraceConfig()
    config.on_request_start.append(start)
    config.on_request_end.append(end)
    config.on_request_exception.append(end)
    return config
