"""Paid broadcast sends per platform and UTC day: what the daily Stars budget is counted against.

One row per platform and day, changed by adding (never by writing a value read earlier), so a
claim and a refund from two transactions never lose each other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import PaidUsage


async def add(session: AsyncSession, platform: str, day: str, messages: int) -> int:
    """Add `messages` (negative: give back) to the day's paid sends; return the day's new total."""
    statement = _ADD[session.get_bind().dialect.name == "postgresql"]
    values = {"platform": platform, "day": day, "first": max(messages, 0), "delta": messages}
    total = (await session.execute(statement, values)).scalar_one()
    return max(int(total), 0)


def _add_statement(dialect: Any) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING, built once (a claim writes it every few sends)."""
    first: dict[str, Any] = {
        "platform": bindparam("platform"),
        "day": bindparam("day"),
        "messages": bindparam("first"),
    }
    statement = dialect.insert(PaidUsage).values(first)
    return statement.on_conflict_do_update(
        index_elements=[PaidUsage.platform, PaidUsage.day],
        set_={"messages": PaidUsage.messages + bindparam("delta")},
    ).returning(PaidUsage.messages)


_ADD = {False: _add_statement(sqlite), True: _add_statement(postgresql)}


async def used(session: AsyncSession, platform: str, day: str) -> int:
    """Return the paid sends counted for `platform` on `day`."""
    query = select(PaidUsage.messages).where(PaidUsage.platform == platform, PaidUsage.day == day)
    return int(await session.scalar(query) or 0)
