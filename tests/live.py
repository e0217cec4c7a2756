"""Helpers for tests that run the real thing: a dispatcher until settled, a `run` process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.app import App
from bot.store.database import create_engine, session_factory
from bot.store.models import Delivery, PaidUsage

ROOT = Path(__file__).resolve().parents[1]


async def until_settled(app: App, platform: str, limit: float = 30.0) -> None:
    """Run `platform`'s dispatcher for real until no delivery is pending or sending."""
    stop = asyncio.Event()
    runner = asyncio.create_task(app.dispatchers[platform].run(stop))
    try:
        async with asyncio.timeout(limit):
            while True:
                async with app.sessions() as session:
                    statuses = set((await session.execute(select(Delivery.status))).scalars())
                if statuses and not statuses & {"pending", "sending"}:
                    return
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await runner


async def start_bot(env: dict[str, str], *, output: bool = True) -> asyncio.subprocess.Process:
    """Start `python -m bot run` from the repository root; stdout+stderr piped when `output`."""
    stream = asyncio.subprocess.PIPE if output else asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=ROOT,
        stdout=stream,
        stderr=asyncio.subprocess.STDOUT if output else asyncio.subprocess.DEVNULL,
    )


async def paid_counted(url: str) -> int:
    """The paid sends the database counted (reserved at claim time, so never fewer than were billed)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.sum(PaidUsage.messages))) or 0)
    finally:
        await engine.dispose()
