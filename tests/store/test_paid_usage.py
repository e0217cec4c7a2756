"""The paid broadcast count per platform and day, on both databases."""

import asyncio

from bot.store import paid


async def test_adding_counts_up_per_platform_and_day_and_gives_back(app):
    async with app.sessions.begin() as session:
        assert await paid.used(session, "telegram", "2026-12-03") == 0
        assert await paid.add(session, "telegram", "2026-12-03", 30) == 30
        assert await paid.add(session, "telegram", "2026-12-03", 12) == 42
        assert await paid.add(session, "telegram", "2026-12-03", -2) == 40
        assert await paid.add(session, "telegram", "2026-12-04", 5) == 5
        assert await paid.add(session, "discord", "2026-12-03", 0) == 0
    async with app.sessions() as session:
        assert await paid.used(session, "telegram", "2026-12-03") == 40
        assert await paid.used(session, "telegram", "2026-12-04") == 5


async def test_two_writers_never_lose_each_others_counts(app):
    async def add(count: int) -> None:
        async with app.sessions.begin() as session:
            await paid.add(session, "telegram", "2026-12-03", count)

    for _ in range(5):
        await asyncio.gather(add(10), add(-1), add(3))
    async with app.sessions() as session:
        assert await paid.used(session, "telegram", "2026-12-03") == 60
