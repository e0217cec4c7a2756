"""Run the fake Bot API in its own process: `python -m bench.fake_telegram_process TOKEN`.

Starts `FakeTelegram(enforce_limits=False)` on a free port of 127.0.0.1, prints the port on one
line, and serves until stdin closes; then prints one JSON line: how many sendMessage calls it
accepted, the ones it refused, the CPU seconds this process used and the first sendMessage's
parameters (so a baseline can send the very same message). `bench.http_bench` measures the bot's HTTP path
against it, so bot and server never share an event loop or a core's worth of Python.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.fakes` lives beside `bot`, outside the installed package
    sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_server import FakeTelegram  # noqa: E402


async def serve(token: str) -> dict[str, object]:
    """Serve until stdin reaches end of file; return what the server did."""
    loop = asyncio.get_running_loop()
    async with FakeTelegram(token=token, enforce_limits=False) as server:
        print(server.port, flush=True)
        await loop.run_in_executor(None, sys.stdin.read)  # returns when the parent closes our stdin
        sends = [r for r in server.requests if r.method.lower() == "sendmessage"]
        accepted = sum(1 for r in sends if r.status == 200)
        refused = sum(1 for r in server.requests if r.status != 200)
        sample = sends[0].params if sends else {}
    times = os.times()
    return {"sent": accepted, "refused": refused, "cpu_s": times.user + times.system, "sample": sample}


def main() -> None:
    """Entry point: the token is the only argument."""
    print(json.dumps(asyncio.run(serve(sys.argv[1]))), flush=True)


if __name__ == "__main__":
    main()
