"""Run the fake Discord API in its own process: `python -m bench.fake_discord_process TOKEN [--latency S]`.

Starts `FakeDiscord` (Discord's limits enforced: 50 requests/s overall, 5 messages per 5 s per
channel) on a free port of 127.0.0.1, prints the port on one line, and serves until stdin closes;
then prints one JSON line: the message creates it answered (monotonic time, status), its 429s, the
messages per channel, the first message's body (so a baseline can send the very same one) and the
CPU seconds this process used. Imports nothing of the bot: it starts even while `bot/` is mid-edit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.fakes` lives beside `bot`, outside the installed package
    sys.path.insert(0, str(ROOT))

from tests.fakes.discord_server import FakeDiscord  # noqa: E402


async def serve(token: str, latency: float) -> dict[str, Any]:
    """Serve until stdin reaches end of file; return what the server saw."""
    loop = asyncio.get_running_loop()
    async with FakeDiscord(token=token, latency=latency) as server:
        print(server.port, flush=True)
        await loop.run_in_executor(None, sys.stdin.read)  # returns when the parent closes our stdin
        creates = [
            (r.time, r.status) for r in server.requests if r.method == "POST" and r.path.endswith("/messages")
        ]
        per_channel = Counter(len(messages) for messages in server.messages.values())
        sample = next(iter(server.messages.values()))[0].body if server.messages else {}
        limits = {"global_per_s": server.global_per_s, "per_channel": server.per_channel,
                  "channel_window": server.channel_window}  # fmt: skip
    times = os.times()
    return {
        "creates": creates,
        "rate_limited": server.rate_limited,
        "requests": len(server.requests),
        "per_channel": {str(k): v for k, v in sorted(per_channel.items())},
        "sample": sample,
        "limits": limits,
        "cpu_s": times.user + times.system,
    }


def main() -> None:
    """Entry point: the token, and optionally a round trip's network delay in seconds."""
    parser = argparse.ArgumentParser(prog="python -m bench.fake_discord_process")
    parser.add_argument("token")
    parser.add_argument("--latency", type=float, default=0.0, help="round-trip network delay, seconds")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(serve(args.token, args.latency))), flush=True)


if __name__ == "__main__":
    main()
