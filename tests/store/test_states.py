"""Statuses, kinds and modes are enums in Python and the same plain strings in the database."""

import pytest
from sqlalchemy import select, text

from bot.store.destinations import Subscription, subscribe
from bot.store.models import Destination
from bot.store.states import DestinationKind, DestinationMode


async def test_enums_are_stored_as_the_strings_rows_already_hold(app, clock):
    async with app.sessions.begin() as session:
        await subscribe(session, Subscription("telegram", "-100", kind=DestinationKind.GROUP), clock.now())
        # A row written as before there were enums (or by another version): plain strings.
        await session.execute(
            text(
                "INSERT INTO destinations (platform, chat_id, thread_id, title, kind, mode, categories,"
                " silent, active, created_at) VALUES ('discord', '5', '', '', 'thread', 'digest', '[]',"
                " false, true, :now)"
            ),
            {"now": clock.now().replace(tzinfo=None)},
        )
    async with app.sessions() as session:
        raw = (await session.execute(text("SELECT chat_id, kind, mode FROM destinations ORDER BY id"))).all()
        loaded = (await session.execute(select(Destination).order_by(Destination.id))).scalars().all()
    assert [tuple(r) for r in raw] == [("-100", "group", "instant"), ("5", "thread", "digest")]
    assert [(d.kind, d.mode) for d in loaded] == [
        (DestinationKind.GROUP, DestinationMode.INSTANT),
        (DestinationKind.THREAD, DestinationMode.DIGEST),
    ]
    assert all(type(d.kind) is DestinationKind for d in loaded)


async def test_a_string_no_enum_knows_is_refused_before_the_database(app, clock):
    with pytest.raises(Exception, match="'channnel' is not a valid DestinationKind"):
        async with app.sessions.begin() as session:
            await subscribe(session, Subscription("telegram", "1", kind="channnel"), clock.now())
