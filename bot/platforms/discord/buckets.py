"""discord.py's per-route buckets, kept as it learns them from the `X-RateLimit-*` headers, minus two costs.

- A request that spends a bucket's last token: discord.py sleeps out the bucket's reset inside that
  request, so its caller (one of the engine's sender slots) waits up to 5 s for a send that already
  succeeded. The engine's pacer holds the channel's next message back anyway, and discord.py's own
  wait for the next request stays: here the sleep runs beside the caller instead of in its way.
- A bucket for a channel never seen before: discord.py scans every bucket it knows for idle ones
  (idle means 5 minutes unused) on each new one, which makes a broadcast to N new channels cost N²
  checks (2 s of CPU at 2,000 channels). Here the scan runs at most once a minute.

Both lean on discord.py 2.7's `HTTPClient` internals (`_buckets`, `Ratelimit`); the tests in
tests/platforms/discord/test_buckets.py fail if a discord.py upgrade changes them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType

from discord.http import HTTPClient, Ratelimit

SWEEP_EVERY = 60.0  # seconds between scans for idle buckets; discord.py drops them after 300 s idle


class PromptRatelimit(Ratelimit):
    """A discord.py bucket whose exhausting request returns at once; the reset is slept beside it."""

    def __init__(self, max_ratelimit_timeout: float | None) -> None:
        super().__init__(max_ratelimit_timeout)
        self.refresher: asyncio.Task[None] | None = None

    async def __aexit__(
        self,
        type: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.outgoing -= 1
        tokens = self.remaining - self.outgoing
        # discord.py awaits `_refresh` right here; the requests waiting on this bucket are woken
        # by it all the same when it runs as a task of its own.
        busy = self._sleeping.locked() or (self.refresher is not None and not self.refresher.done())
        if tokens <= 0 and not busy:
            self.refresher = asyncio.get_running_loop().create_task(self._refresh())

    def cancel(self) -> None:
        """Stop a pending reset sleep (the client is closing)."""
        if self.refresher is not None:
            self.refresher.cancel()


def tune(http: HTTPClient, clock: Callable[[], float] = time.monotonic) -> None:
    """Make `http` create `PromptRatelimit` buckets and scan for idle ones at most once a minute."""
    sweep = http._try_clear_expired_ratelimits
    last = [-SWEEP_EVERY]

    def get_ratelimit(key: str) -> Ratelimit:
        try:
            return http._buckets[key]
        except KeyError:
            value = http._buckets[key] = PromptRatelimit(http.max_ratelimit_timeout)
            if clock() - last[0] >= SWEEP_EVERY:
                last[0] = clock()
                sweep()
            return value

    http.get_ratelimit = get_ratelimit  # type: ignore[method-assign]


def cancel_refreshes(http: HTTPClient) -> None:
    """Cancel the reset sleeps still pending (on close), so none outlives the client."""
    for bucket in list(http._buckets.values()):
        if isinstance(bucket, PromptRatelimit):
            bucket.cancel()
