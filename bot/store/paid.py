"""Paid broadcast sends per platform and UTC day: what the daily Stars budget is counted against.

One row per platform and day, changed by adding (never by writing a value read earlier), so a
claim and a refund from two transactions never lose each other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import PaidUsage


async def add(session: AsyncSession, platform: str, day: str, messages: int) -> int:
    """Add `messages` (negative: give back) to the day's paid sends; return the day's new total."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(PaidUsage).values(platform=platform, day=day, messages=max(messages, 0))
    statement = statement.on_conflict_do_update(
        index_elements=[PaidUsage.platform, PaidUsage.day],
        set_={"messages": PaidUsage.messages + messages},
    ).returning(PaidUsage.messages)
    total = (await session.execute(statement)).scalar_one()
    return max(int(total), 0)


async def used(session: AsyncSession, platform: str, day: str) -> int:
    """Return the paid sends counted for `platform` on `day`."""
    query = select(PaidUsage.messages).where(PaidUsage.platform == platform, PaidUsage.day == day)
    return int(await session.scalar(query) or 0)
